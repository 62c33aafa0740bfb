/*
 * The file-system benchmark (docs/benchmarks.md, bench/fs.sh): the same
 * program on Ceres over its 9p root, in the Linux guest over v9fs, and
 * natively on the host. Per repetition, in DIR:
 *   fs_seq_write_mibps  a 256 MiB file written in 1 MiB blocks; the clock
 *                       stops after fsync(), so the data reached the host
 *   fs_seq_read_mibps   the same file read back in 1 MiB blocks
 *   fs_create_per_s     2000 files, each created, written 4 KiB and closed
 * Usage: fsbench [REPS [DIR [MIB [FILES]]]] (1, ".", 256, 2000). Prints a
 * RESULT line per repetition and metric; the files are removed after each
 * repetition, untimed (DIR/fsbench-big, DIR/fsbench-small/). Exits 1 when a call fails, and says which.
 */
#include <fcntl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bench.h"

#define BLOCK (1024 * 1024)
#define SMALL 4096
#define NS_PER_S 1000000000ULL

static char block[BLOCK];

static int fail(const char *what, const char *name)
{
	printf("fsbench: %s %s: %s\n", what, name, strerror(errno));
	return -1;
}

/* Writes mib MiB to name and fsyncs it; the time in *ns. */
static int seq_write(const char *name, long mib, uint64_t *ns)
{
	uint64_t t0 = bench_now_ns();
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return fail("open", name);
	for (long i = 0; i < mib; i++) {
		block[0] = (char)i; /* each block differs a little */
		if (write(fd, block, BLOCK) != BLOCK) {
			close(fd);
			return fail("write", name);
		}
	}
	if (fsync(fd) || close(fd))
		return fail("fsync and close", name);
	*ns = bench_now_ns() - t0;
	return 0;
}

static int seq_read(const char *name, long mib, uint64_t *ns)
{
	uint64_t t0 = bench_now_ns(), total = 0;
	int fd = open(name, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return fail("open", name);
	while ((n = read(fd, block, BLOCK)) > 0)
		total += (uint64_t)n;
	close(fd);
	if (n < 0)
		return fail("read", name);
	if (total != (uint64_t)mib * BLOCK) {
		errno = EIO;
		return fail("read (short file)", name);
	}
	*ns = bench_now_ns() - t0;
	return 0;
}

/* files files of 4 KiB each in dir, which is made first and removed after. */
static int small_files(const char *dir, long files, uint64_t *ns)
{
	char name[64];
	uint64_t t0;
	int err = 0;

	if (mkdir(dir, 0755))
		return fail("mkdir", dir);
	t0 = bench_now_ns();
	for (long i = 0; i < files && !err; i++) {
		snprintf(name, sizeof(name), "%s/f%06ld", dir, i);
		int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);

		if (fd < 0 || write(fd, block, SMALL) != SMALL || close(fd))
			err = fail("create, write or close", name);
	}
	*ns = bench_now_ns() - t0;
	for (long i = 0; i < files; i++) {
		snprintf(name, sizeof(name), "%s/f%06ld", dir, i);
		unlink(name);
	}
	if (rmdir(dir) && !err)
		err = fail("rmdir", dir);
	return err;
}

int main(int argc, char **argv)
{
	long reps = argc > 1 ? atol(argv[1]) : 1;
	const char *dir = argc > 2 ? argv[2] : ".";
	long mib = argc > 3 ? atol(argv[3]) : 256, files = argc > 4 ? atol(argv[4]) : 2000;
	uint64_t ns;

	if (reps < 1 || mib < 1 || files < 1) {
		fprintf(stderr, "usage: fsbench [REPS [DIR [MIB [FILES]]]]\n");
		return 2;
	}
	if (chdir(dir))
		return fail("chdir", dir) ? 1 : 0;
	memset(block, 'x', sizeof(block));
	for (long r = 0; r < reps; r++) {
		if (seq_write("fsbench-big", mib, &ns))
			return 1;
		bench_report("fs_seq_write_mibps", (uint64_t)mib * NS_PER_S, ns);
		if (seq_read("fsbench-big", mib, &ns))
			return 1;
		bench_report("fs_seq_read_mibps", (uint64_t)mib * NS_PER_S, ns);
		unlink("fsbench-big");
		if (small_files("fsbench-small", files, &ns))
			return 1;
		bench_report("fs_create_per_s", (uint64_t)files * NS_PER_S, ns);
	}
	return 0;
}

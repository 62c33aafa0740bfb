/*
 * A differential test of /proc (docs/vfs.md, "/proc"): the files programs
 * read about themselves, natively on Linux and in Ceres, compared line for
 * line (tests/integration/abi.sh). It prints facts, not numbers that
 * differ between the two (pids, sizes): field counts, the fields' order,
 * formats, relations ("rss grew by at least 16 MiB after touching 16 MiB"),
 * the comm round trip and thread names, and the errors of writes. With
 * the argument "show" it prints the files instead.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "../errname.h"
#include "../say.h"

#define TEXT_MAX 8192
#define TOUCH_BYTES (16UL << 20)
#define PAGE 4096UL
#define STAT_FIELDS 52
#define PROC_SUPER_MAGIC 0x9fa0

static char text[TEXT_MAX];

static void result(const char *what, long ret)
{
	if (ret == -1)
		say(what, "-1 %s", errname(errno));
	else
		say(what, "%ld", ret);
}

/* The whole file into text (NUL terminated); its length, or -1. */
static long slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	long n = 0, r = 0;

	if (fd < 0)
		return -1;
	while (n < TEXT_MAX - 1 && (r = read(fd, text + n, TEXT_MAX - 1 - (size_t)n)) > 0)
		n += r;
	close(fd);
	text[n] = '\0';
	return r < 0 ? -1 : n;
}

/* Splits /proc/PID/stat: the comm (in parentheses, may hold spaces) counts as one field. */
static int stat_fields(char *s, char **f, int max)
{
	char *open = strchr(s, '('), *close = strrchr(s, ')');
	int n = 0;

	if (!open || !close || close < open || open == s || max < 3)
		return -1;
	open[-1] = '\0';
	close[1] = '\0';
	f[n++] = s;
	f[n++] = open;
	for (char *p = strtok(close + 2, " \n"); p && n < max; p = strtok(NULL, " \n"))
		f[n++] = p;
	return n;
}

/* Field 24 as Redis's zmalloc_get_rss() finds it: after 23 spaces. */
static long redis_rss(void)
{
	char *p = text, *x;
	int count = 23;

	if (slurp("/proc/self/stat") < 0)
		return -1;
	while (p && count--) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p || !(x = strchr(p, ' ')))
		return -1;
	*x = '\0';
	return strtol(p, NULL, 10);
}

/* A "Key:\tvalue" line of status, or NULL. */
static const char *status_value(const char *key)
{
	size_t len = strlen(key);

	for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, len) && l[len] == ':' && l[len + 1] == '\t')
			return l + len + 2;
	return NULL;
}

static long status_kb(const char *key)
{
	const char *v;

	if (slurp("/proc/self/status") < 0 || !(v = status_value(key)))
		return -1;
	return strtol(v, NULL, 10);
}

static void check_stat(void)
{
	char *f[STAT_FIELDS + 8];
	int n;

	result("stat: read", slurp("/proc/self/stat") > 0);
	n = stat_fields(text, f, STAT_FIELDS + 8);
	say("stat: fields", "%d", n);
	if (n < STAT_FIELDS)
		return;
	say("stat: pid is getpid()", "%d", atoi(f[0]) == getpid());
	say("stat: comm", "%s", f[1]);
	say("stat: state", "%s", strchr("RS", f[2][0]) ? "R or S" : f[2]);
	say("stat: ppid is getppid()", "%d", atoi(f[3]) == getppid());
	say("stat: num_threads", "%s", f[19]);
	say("stat: vsize > 0", "%d", strtoul(f[22], NULL, 10) > 0);
	say("stat: rsslim", "%s", f[24]);
	say("stat: exit_signal", "%s", f[37]);
}

static void check_statm(void)
{
	unsigned long v[7];
	int n;

	result("statm: read", slurp("/proc/self/statm") > 0);
	n = sscanf(text, "%lu %lu %lu %lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &v[6]);
	say("statm: fields", "%d", n);
	if (n == 7)
		say("statm: size >= resident > 0", "%d", v[0] >= v[1] && v[1] > 0);
	say("statm: one line", "%d", strchr(text, '\n') == text + strlen(text) - 1);
}

/* "%8lu kB\n": spaces, then digits, ending in column 8 or later. */
static int kb_field(const char *v)
{
	const char *kb = strstr(v, " kB\n");
	size_t spaces = strspn(v, " ");

	return kb && kb - v >= 8 && spaces + strspn(v + spaces, "0123456789") == (size_t)(kb - v);
}

static void check_status(void)
{
	static const char *const keys[] = { "Name", "State", "Tgid",   "Pid",
					    "PPid", "VmRSS", "Threads" };
	const char *prev = text, *v;
	int in_order = 1;

	result("status: read", slurp("/proc/self/status") > 0);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		v = status_value(keys[i]);
		if (!v || v < prev)
			in_order = 0;
		prev = v ? v : prev;
	}
	say("status: Name State Tgid Pid PPid VmRSS Threads, in order", "%d", in_order);
	v = status_value("Name");
	say("status: Name", "%.*s", v ? (int)strcspn(v, "\n") : 4, v ? v : "none");
	v = status_value("State");
	say("status: State", "%s",
	    v && (!strncmp(v, "R (running)\n", 12) || !strncmp(v, "S (sleeping)\n", 13))
		    ? "R (running) or S (sleeping)"
		    : "other");
	v = status_value("Pid");
	say("status: Pid is getpid()", "%d", v && atoi(v) == getpid());
	v = status_value("Tgid");
	say("status: Tgid is getpid()", "%d", v && atoi(v) == getpid());
	v = status_value("Threads");
	say("status: Threads", "%d", v ? atoi(v) : -1);
	v = status_value("VmRSS");
	say("status: VmRSS as '%8lu kB'", "%d", v && kb_field(v));
}

static void check_meminfo(void)
{
	static const char *const keys[] = { "MemTotal:", "MemFree:", "MemAvailable:" };
	unsigned long kb[3] = { 0 };
	char *line = text;
	int format = 1;

	result("meminfo: read", slurp("/proc/meminfo") > 0);
	for (int i = 0; i < 3; i++) {
		char *end = strchr(line, '\n');

		if (!end || strncmp(line, keys[i], strlen(keys[i])) || end - line != 27 ||
		    strncmp(end - 3, " kB", 3)) {
			format = 0;
			break;
		}
		kb[i] = strtoul(line + 16, NULL, 10);
		line = end + 1;
	}
	say("meminfo: MemTotal, MemFree, MemAvailable first, as '%-16s%8lu kB'", "%d", format);
	say("meminfo: MemTotal > MemFree > 0", "%d", kb[0] > kb[1] && kb[1] > 0);
	say("meminfo: MemAvailable <= MemTotal", "%d", kb[2] <= kb[0]);
}

static void check_rss_grows(void)
{
	long stat0 = redis_rss(), kb0 = status_kb("VmRSS"), stat1, kb1;
	char *p =
		mmap(NULL, TOUCH_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		result("rss: mmap", -1);
		return;
	}
	for (unsigned long i = 0; i < TOUCH_BYTES; i += PAGE)
		p[i] = 1;
	stat1 = redis_rss();
	kb1 = status_kb("VmRSS");
	/* Linux's counters are per CPU and approximate by a few pages: 3/4 of it is plenty. */
	say("rss: Redis's way finds field 24 > 0", "%d", stat1 > 0);
	say("rss: stat's rss grew by 12 MiB or more after touching 16 MiB", "%d",
	    stat1 - stat0 >= (long)(TOUCH_BYTES / PAGE * 3 / 4));
	say("rss: status's VmRSS too", "%d", kb1 - kb0 >= (long)((TOUCH_BYTES >> 10) * 3 / 4));
	munmap(p, TOUCH_BYTES);
}

static void show_file(const char *what, const char *path)
{
	long n = slurp(path);

	if (n < 0)
		result(what, -1);
	else
		say(what, "%ld bytes: '%.*s\\n'", n, (int)strcspn(text, "\n"), text);
}

static void check_comm(void)
{
	char name[32] = { 0 };
	int fd;

	show_file("comm: after PR_SET_NAME", "/proc/self/comm");
	fd = open("/proc/self/comm", O_RDWR);
	result("comm: write 26 bytes", write(fd, "abcdefghijklmnopqrstuvwxyz", 26));
	show_file("comm: ... keeps 15", "/proc/self/comm");
	prctl(PR_GET_NAME, name);
	say("comm: ... PR_GET_NAME agrees", "%s", name);
	result("comm: pwrite", pwrite(fd, "x", 1, 0));
	memset(name, 0, sizeof(name));
	result("comm: pread 4 at 1", pread(fd, name, 4, 1));
	say("comm: ... read", "%s", name);
	result("comm: lseek SEEK_END", lseek(fd, 0, SEEK_END));
	result("comm: lseek SEEK_SET 3", lseek(fd, 3, SEEK_SET));
	memset(name, 0, sizeof(name));
	result("comm: read from 3", read(fd, name, sizeof(name) - 1));
	say("comm: ... read", "%s", name);
	result("comm: write 'proctest'", write(fd, "proctest", 8));
	close(fd);
	show_file("comm: renamed back", "/proc/self/comm");
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int worker_tid, worker_go;

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	worker_tid = gettid();
	pthread_cond_broadcast(&cond);
	while (!worker_go)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void list_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0, main_seen = 0, worker_seen = 0;

	if (!d) {
		result("tasks: opendir", -1);
		return;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		main_seen |= atoi(e->d_name) == gettid() && e->d_type == DT_DIR;
		worker_seen |= atoi(e->d_name) == worker_tid && e->d_type == DT_DIR;
	}
	closedir(d);
	say("tasks: listed", "%d, the main thread %d, the worker %d", n, main_seen, worker_seen);
}

static void check_threads(void)
{
	char path[64], name[32] = { 0 };
	pthread_t t;
	int fd;

	pthread_create(&t, NULL, worker, NULL);
	pthread_mutex_lock(&lock);
	while (!worker_tid)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", worker_tid);
	show_file("threads: a new thread's comm", path);
	say("threads: pthread_setname_np", "%d", pthread_setname_np(t, "worker-1"));
	show_file("threads: ... its comm", path);
	say("threads: pthread_getname_np", "%d", pthread_getname_np(t, name, sizeof(name)));
	say("threads: ... gives", "%s", name);
	say("threads: pthread_setname_np of 16 bytes", "%s",
	    errname(pthread_setname_np(t, "0123456789abcdef")));
	show_file("threads: the main thread's comm is untouched", "/proc/self/comm");
	fd = open(path, O_WRONLY);
	result("threads: write its comm", write(fd, "w2", 2));
	close(fd);
	memset(name, 0, sizeof(name));
	pthread_getname_np(t, name, sizeof(name));
	say("threads: ... pthread_getname_np", "%s", name);
	slurp("/proc/self/status");
	say("threads: status's Threads with the worker", "%d",
	    status_value("Threads") ? atoi(status_value("Threads")) : -1);
	list_tasks();
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", worker_tid);
	slurp(path);
	{
		char *f[STAT_FIELDS + 8];
		int n = stat_fields(text, f, STAT_FIELDS + 8);

		say("threads: its stat", "%d fields, pid is its tid %d, comm %s, num_threads %s", n,
		    n > 1 && atoi(f[0]) == worker_tid, n > 1 ? f[1] : "-", n > 19 ? f[19] : "-");
	}

	pthread_mutex_lock(&lock);
	worker_go = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(t, NULL);
}

static void try_write(const char *path)
{
	char what[80];
	int fd = open(path, O_WRONLY);

	snprintf(what, sizeof(what), "errors: open %s for writing", path);
	result(what, fd < 0 ? -1 : 0);
	if (fd < 0)
		return;
	snprintf(what, sizeof(what), "errors: write %s", path);
	result(what, write(fd, "1", 1));
	snprintf(what, sizeof(what), "errors: pwrite %s", path);
	result(what, pwrite(fd, "1", 1, 0));
	close(fd);
}

static void check_errors(void)
{
	try_write("/proc/self/stat");
	try_write("/proc/self/statm");
	try_write("/proc/self/status");
	try_write("/proc/meminfo");
	result("errors: O_CREAT in /proc/self", open("/proc/self/new", O_CREAT | O_WRONLY, 0644));
	result("errors: mkdir in /proc/self", mkdir("/proc/self/dir", 0755));
	result("errors: unlink /proc/self/comm", unlink("/proc/self/comm"));
	result("errors: a pid that is not there", open("/proc/2000000000/stat", O_RDONLY));
	result("errors: a task that is not there",
	       open("/proc/self/task/2000000000/comm", O_RDONLY));
	result("errors: /proc/self/nothing", open("/proc/self/nothing", O_RDONLY));
}

static void check_tree(void)
{
	char link[64], want[64];
	struct statfs sfs;
	struct stat st;
	long n;

	n = readlink("/proc/self", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	say("tree: /proc/self links to getpid()", "%d", n > 0 && atoi(link) == getpid());
	n = readlink("/proc/thread-self", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	snprintf(want, sizeof(want), "%d/task/%d", getpid(), gettid());
	say("tree: /proc/thread-self links to PID/task/TID", "%d", !strcmp(link, want));
	lstat("/proc/self", &st);
	say("tree: /proc/self", "mode %o", st.st_mode);
	stat("/proc/self", &st);
	say("tree: /proc/self/", "mode %o", st.st_mode);
	stat("/proc/self/task", &st);
	say("tree: /proc/self/task", "mode %o", st.st_mode);
	stat("/proc/self/stat", &st);
	say("tree: /proc/self/stat", "mode %o size %ld", st.st_mode, (long)st.st_size);
	stat("/proc/self/comm", &st);
	say("tree: /proc/self/comm", "mode %o size %ld", st.st_mode, (long)st.st_size);
	stat("/proc/meminfo", &st);
	say("tree: /proc/meminfo", "mode %o size %ld", st.st_mode, (long)st.st_size);
	result("tree: statfs /proc", statfs("/proc", &sfs));
	say("tree: ... f_type is PROC_SUPER_MAGIC", "%d", sfs.f_type == PROC_SUPER_MAGIC);
}

/* With the argument "show": the files themselves, for a person to read. */
static void show_all(void)
{
	static const char *const files[] = { "/proc/self/stat", "/proc/self/statm",
					     "/proc/self/status", "/proc/meminfo" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (slurp(files[i]) >= 0)
			printf("== %s\n%s", files[i], text);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "show")) {
		show_all();
		return 0;
	}
	prctl(PR_SET_NAME, "proctest");
	check_tree();
	check_stat();
	check_statm();
	check_status();
	check_meminfo();
	check_rss_grows();
	check_comm();
	check_threads();
	check_errors();
	say("procfs", "done");
	return 0;
}

/*
 * Sockets as files (docs/net.md): socket, socketpair, bind, connect,
 * listen, accept, the names, shutdown, close, and read/write/poll/ioctl/stat
 * through struct file_ops. UDP's are served here; a stream socket's go on
 * to sock_tcp.c, an AF_UNIX pair's to sock_unix.c. The stack lock (net_lock) guards the pcbs; the arrival count
 * and the readers' wait queue change with interrupts off, so a reader
 * checks and sleeps without missing a wake.
 */
#include "lib/net/socket.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/uaccess.h"
#include "lib/net/sock_priv.h"
#include "sched/sync.h"

#define S_IFSOCK 0140000
#define SOCK_MODE 0777
#define SOCKFS_DEV 8 /* Linux's sockfs device, as fstat() shows a socket */
#define SOCK_BLKSIZE 4096
#define FIONREAD 0x541B
#define SIOCOUTQ 0x5411
#define SOCK_RCVBUF_DEFAULT 212992 /* net.core.rmem_default */
#define SOCK_SNDBUF_DEFAULT 212992 /* net.core.wmem_default */

static struct {
	uint64_t last_ino;
} socks;

static const struct file_ops sock_ops;

bool sock_is(const struct file *f)
{
	return f->ops == &sock_ops;
}

int sock_get(int fd, struct sock **out)
{
	struct file *f = fd_get(fd);

	if (!f)
		return -EBADF;
	if (!sock_is(f)) {
		fd_put(f);
		return -ENOTSOCK;
	}
	*out = f->priv;
	return 0;
}

void sock_put(struct sock *s)
{
	fd_put(&s->file);
}

int sock_addr_in(const void *app, uint32_t len, struct abi_sockaddr_in *sa)
{
	uint8_t buf[SOCKADDR_STORAGE_LEN];

	if ((int32_t)len < 0 || len > sizeof(buf))
		return -EINVAL;
	if (copy_from_app(buf, app, len) < 0)
		return -EFAULT;
	memset(sa, 0, sizeof(*sa));
	memcpy(sa, buf, len < sizeof(*sa) ? len : sizeof(*sa));
	return len < sizeof(*sa) ? -EINVAL : 0;
}

int sock_addr_put(void *app, uint32_t room, uint32_t addr, uint16_t port)
{
	struct abi_sockaddr_in sa = { .family = AF_INET };

	sa.port = net_htons(port);
	sa.addr = net_htonl(addr);
	return copy_to_app(app, &sa, room < sizeof(sa) ? room : sizeof(sa));
}

int sock_addr_out(void *app, uint32_t *app_len, uint32_t addr, uint16_t port)
{
	uint32_t len, full = sizeof(struct abi_sockaddr_in);

	if (copy_from_app(&len, app_len, sizeof(len)) < 0)
		return -EFAULT;
	if ((int32_t)len < 0)
		return -EINVAL;
	if (sock_addr_put(app, len, addr, port) < 0 ||
	    copy_to_app(app_len, &full, sizeof(full)) < 0)
		return -EFAULT;
	return 0;
}

/* Called with the stack lock held, by UDP input or a shutdown. */
void sock_wake(struct sock *s, unsigned events)
{
	unsigned long flags = irq_save();

	s->rx_seq++;
	waitq_wake_all(&s->readers);
	irq_restore(flags);
	poll_notify(&s->poll, events);
}

/* UDP queued a datagram for the socket (network thread, or a loopback send; lock held). */
static void sock_arrived(struct udp_pcb *pcb)
{
	sock_wake(pcb->owner, POLLIN | POLLRDNORM);
}

static long sock_read(struct file *f, void *buf, size_t n)
{
	struct sock_iter it;
	int msg_flags;

	sock_iter_single(&it, buf, n);
	return sock_recv(f->priv, &it, n, 0, NULL, &msg_flags);
}

static long sock_write(struct file *f, const void *buf, size_t n)
{
	struct sock_iter it;

	sock_iter_single(&it, buf, n);
	return sock_send(f->priv, &it, n, 0, NULL);
}

static long sock_readv(struct file *f, const void *iov, int iovcnt)
{
	struct sock_iter it;
	size_t total;
	int msg_flags;
	int err = sock_iter_app(&it, iov, (uint64_t)iovcnt, &total);

	return err < 0 ? err : sock_recv(f->priv, &it, total, 0, NULL, &msg_flags);
}

static long sock_writev(struct file *f, const void *iov, int iovcnt)
{
	struct sock_iter it;
	size_t total;
	int err = sock_iter_app(&it, iov, (uint64_t)iovcnt, &total);

	return err < 0 ? err : sock_send(f->priv, &it, total, 0, NULL);
}

static unsigned sock_poll(struct file *f, struct poll_watch *w)
{
	struct sock *s = f->priv;
	unsigned events = POLLOUT | POLLWRNORM | POLLWRBAND;

	if (w)
		poll_watch_add(&s->poll, w); /* first: an arrival after the look is heard */
	if (s->unix_pair)
		return sock_unix_poll(s);
	if (s->type == SOCK_STREAM)
		return sock_tcp_poll(s);
	net_lock();
	if (s->pcb.rxq_head || s->shut_rd)
		events |= POLLIN | POLLRDNORM;
	if (s->shut_rd)
		events |= POLLRDHUP;
	if (s->shut_rd && s->shut_wr)
		events |= POLLHUP;
	if (s->error)
		events |= POLLERR;
	net_unlock();
	return events;
}

static long sock_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
	struct sock *s = f->priv;
	int n = 0;

	if (cmd != FIONREAD && cmd != SIOCOUTQ)
		return -ENOTTY;
	if (s->unix_pair) {
		n = (int)sock_unix_queued(s, cmd == SIOCOUTQ);
	} else if (s->type == SOCK_STREAM) {
		n = sock_tcp_queued(s, cmd == SIOCOUTQ);
	} else if (cmd == FIONREAD) {
		net_lock();
		if (s->pcb.rxq_head)
			n = s->pcb.rxq_head->len; /* Linux: the next datagram's size */
		net_unlock();
	}
	return copy_to_app((void *)arg, &n, sizeof(n));
}

static void sock_stat(struct file *f, struct abi_stat *st)
{
	struct sock *s = f->priv;

	st->st_dev = SOCKFS_DEV;
	st->st_ino = s->ino;
	st->st_nlink = 1;
	st->st_mode = S_IFSOCK | SOCK_MODE;
	st->st_blksize = SOCK_BLKSIZE;
}

static void sock_release(struct file *f)
{
	struct sock *s = f->priv;

	if (s->unix_pair) {
		sock_unix_release(s);
	} else if (s->type == SOCK_STREAM) {
		sock_tcp_release(s);
	} else {
		net_lock();
		udp_close(&s->pcb);
		net_unlock();
	}
	poll_head_release(&s->poll);
	kfree(s);
}

static const struct file_ops sock_ops = {
	.read = sock_read,
	.write = sock_write,
	.ioctl = sock_ioctl,
	.stat = sock_stat,
	.poll = sock_poll,
	.readv = sock_readv,
	.writev = sock_writev,
	.release = sock_release,
};

/*
 * Checks socket()'s (and socketpair()'s) arguments as Linux does, in its
 * order. socket() is IPv4 only: no AF_UNIX, AF_INET6, AF_PACKET;
 * socketpair() also takes AF_UNIX (pair set).
 */
static int check_create(int domain, int type, int protocol, bool pair)
{
	int base = type & SOCK_TYPE_MASK;

	if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (domain != AF_INET && !(pair && domain == AF_UNIX))
		return -EAFNOSUPPORT;
	if (base < SOCK_STREAM || base > SOCK_TYPE_MAX)
		return -EINVAL;
	if (domain == AF_UNIX)
		return sock_unix_check(type, protocol);
	if (protocol < 0)
		return -EINVAL;
	if (base == SOCK_RAW)
		return -EPROTONOSUPPORT; /* no raw sockets */
	if (base != SOCK_DGRAM && base != SOCK_STREAM)
		return -ESOCKTNOSUPPORT;
	if (protocol != IPPROTO_IP && protocol != (base == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
		return -EPROTONOSUPPORT;
	return 0;
}

struct sock *sock_new(int type)
{
	struct sock *s = kcalloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->type = type & SOCK_TYPE_MASK;
	s->file.ops = &sock_ops;
	s->file.flags = O_RDWR | (type & SOCK_NONBLOCK ? O_NONBLOCK : 0);
	s->file.refs = 1;
	s->file.priv = s;
	s->readers.input = true; /* a reader waits for the network */
	udp_pcb_init(&s->pcb);
	s->pcb.owner = s;
	s->pcb.notify = sock_arrived;
	s->rcvbuf_opt = SOCK_RCVBUF_DEFAULT;
	s->pcb.rcvbuf = SOCK_RCVBUF_DEFAULT;
	s->sndbuf = SOCK_SNDBUF_DEFAULT;
	s->ino = __atomic_add_fetch(&socks.last_ino, 1, __ATOMIC_RELAXED);
	if (s->type == SOCK_STREAM && sock_tcp_open(s) < 0) {
		kfree(s);
		return NULL;
	}
	return s;
}

void sock_free(struct sock *s)
{
	sock_release(&s->file);
}

long sys_socket(int domain, int type, int protocol)
{
	int err = check_create(domain, type, protocol, false);
	struct sock *s;
	int fd;

	if (err < 0)
		return err;
	s = sock_new(type);
	if (!s)
		return -ENOMEM;
	fd = fd_install(&s->file, type & SOCK_CLOEXEC);
	if (fd < 0)
		sock_free(s);
	return fd;
}

long sys_socketpair(int domain, int type, int protocol, int *sv)
{
	int err = check_create(domain, type, protocol, true);
	struct sock *s[2];
	int fds[2];

	if (err < 0)
		return err;
	if (domain != AF_UNIX)
		return -EOPNOTSUPP; /* what Linux answers for AF_INET */
	err = sock_unix_pair(type, &s[0], &s[1]);
	if (err < 0)
		return err;
	fds[0] = fd_install(&s[0]->file, type & SOCK_CLOEXEC);
	if (fds[0] < 0) {
		sock_free(s[0]);
		sock_free(s[1]);
		return fds[0];
	}
	fds[1] = fd_install(&s[1]->file, type & SOCK_CLOEXEC);
	if (fds[1] < 0) {
		sys_close(fds[0]);
		sock_free(s[1]);
		return fds[1];
	}
	if (copy_to_app(sv, fds, sizeof(fds)) < 0) {
		sys_close(fds[0]);
		sys_close(fds[1]);
		return -EFAULT;
	}
	return 0;
}

/* An AF_UNIX pair's end is connected for good and has no name: bind, connect, listen, accept. */
static int unix_refuses(struct sock *s)
{
	if (!s->unix_pair)
		return 0;
	sock_put(s);
	return -EINVAL;
}

/* bind()'s address: AF_INET, or AF_UNSPEC with INADDR_ANY (Linux's old-program allowance). */
static int bind_family(const struct abi_sockaddr_in *sa)
{
	if (sa->family == AF_INET)
		return 0;
	return sa->family == AF_UNSPEC && sa->addr == 0 ? 0 : -EAFNOSUPPORT;
}

long sys_bind(int fd, const void *addr, uint32_t len)
{
	struct abi_sockaddr_in sa;
	struct sock *s;
	int err = sock_get(fd, &s);

	if (err < 0 || (err = unix_refuses(s)) < 0)
		return err;
	err = sock_addr_in(addr, len, &sa);
	if (!err)
		err = bind_family(&sa);
	if (!err && s->type == SOCK_STREAM) {
		err = sock_tcp_bind(s, net_ntohl(sa.addr), net_ntohs(sa.port));
	} else if (!err) {
		net_lock();
		err = udp_bind(&s->pcb, net_ntohl(sa.addr), net_ntohs(sa.port));
		net_unlock();
	}
	sock_put(s);
	return err;
}

static int connect_locked(struct sock *s, const struct abi_sockaddr_in *sa, uint32_t len)
{
	if (sa->family == AF_UNSPEC) {
		udp_disconnect(&s->pcb);
		return 0;
	}
	if (len < sizeof(*sa))
		return -EINVAL;
	if (sa->family != AF_INET)
		return -EAFNOSUPPORT;
	return udp_connect(&s->pcb, net_ntohl(sa->addr), net_ntohs(sa->port));
}

long sys_connect(int fd, const void *addr, uint32_t len)
{
	struct abi_sockaddr_in sa;
	struct sock *s;
	int err = sock_get(fd, &s);

	if (err < 0 || (err = unix_refuses(s)) < 0)
		return err;
	err = sock_addr_in(addr, len, &sa);
	if (err == -EINVAL && (int32_t)len >= (int32_t)sizeof(sa.family) &&
	    len <= SOCKADDR_STORAGE_LEN)
		err = 0; /* short is fine for AF_UNSPEC; connect_locked checks the rest */
	if (!err && s->type == SOCK_STREAM) {
		if (len < sizeof(sa))
			err = -EINVAL;
		else if (sa.family != AF_INET)
			err = -EAFNOSUPPORT; /* AF_UNSPEC's disconnect is not served for streams */
		else
			err = sock_tcp_connect(s, net_ntohl(sa.addr), net_ntohs(sa.port));
	} else if (!err) {
		net_lock();
		err = connect_locked(s, &sa, len);
		net_unlock();
	}
	sock_put(s);
	return err;
}

long sys_listen(int fd, int backlog)
{
	struct sock *s;
	int err = sock_get(fd, &s);

	if (err < 0 || (err = unix_refuses(s)) < 0)
		return err;
	err = s->type == SOCK_STREAM ? sock_tcp_listen(s, backlog) : -EOPNOTSUPP;
	sock_put(s);
	return err;
}

/* Installs the accepted socket c and tells its peer's name; the fd or -errno. */
static long accept_install(struct sock *c, void *addr, uint32_t *len, int flags)
{
	uint32_t a;
	uint16_t port;
	int fd, err;

	sock_tcp_name(c, true, &a, &port);
	if (addr) {
		err = sock_addr_out(addr, len, a, port);
		if (err < 0) {
			sock_free(c); /* Linux too loses the connection on a bad address */
			return err;
		}
	}
	fd = fd_install(&c->file, flags & SOCK_CLOEXEC);
	if (fd < 0)
		sock_free(c);
	return fd;
}

long sys_accept4(int fd, void *addr, uint32_t *len, int flags)
{
	struct sock *s, *c;
	long err;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	err = sock_get(fd, &s);
	if (err < 0 || (err = unix_refuses(s)) < 0)
		return err;
	err = s->type == SOCK_STREAM ? sock_tcp_accept(s, flags, &c) : -EOPNOTSUPP;
	sock_put(s);
	return err < 0 ? err : accept_install(c, addr, len, flags);
}

long sys_accept(int fd, void *addr, uint32_t *len)
{
	return sys_accept4(fd, addr, len, 0);
}

long sys_shutdown(int fd, int how)
{
	struct sock *s;
	int err = sock_get(fd, &s);

	if (err < 0)
		return err;
	if (how < SHUT_RD || how > SHUT_RDWR) {
		sock_put(s);
		return -EINVAL;
	}
	if (s->type == SOCK_STREAM) {
		err = s->unix_pair ? sock_unix_shutdown(s, how) : sock_tcp_shutdown(s, how);
		sock_put(s);
		return err;
	}
	net_lock();
	/* Linux applies it even unconnected, and then says ENOTCONN. */
	s->shut_rd |= how != SHUT_WR;
	s->shut_wr |= how != SHUT_RD;
	err = (s->pcb.flags & UDP_F_CONNECTED) ? 0 : -ENOTCONN;
	sock_wake(s, POLLIN | POLLRDNORM | POLLRDHUP);
	net_unlock();
	sock_put(s);
	return err;
}

/* An AF_UNIX pair's end's name, unnamed: the family alone, as Linux gives it. */
static int unix_name_out(void *app, uint32_t *app_len)
{
	uint16_t family = AF_UNIX;
	uint32_t len, full = sizeof(family);

	if (copy_from_app(&len, app_len, sizeof(len)) < 0)
		return -EFAULT;
	if ((int32_t)len < 0)
		return -EINVAL;
	if (copy_to_app(app, &family, len < full ? len : full) < 0 ||
	    copy_to_app(app_len, &full, sizeof(full)) < 0)
		return -EFAULT;
	return 0;
}

/* getsockname (peer false) and getpeername (peer true). */
static long sock_name(int fd, void *addr, uint32_t *len, bool peer)
{
	uint32_t a;
	uint16_t port;
	struct sock *s;
	int err = sock_get(fd, &s);

	if (err < 0)
		return err;
	if (s->unix_pair) {
		err = peer && !sock_unix_connected(s) ? -ENOTCONN : unix_name_out(addr, len);
		sock_put(s);
		return err;
	}
	if (s->type == SOCK_STREAM) {
		err = sock_tcp_name(s, peer, &a, &port);
		if (!err)
			err = sock_addr_out(addr, len, a, port);
		sock_put(s);
		return err;
	}
	net_lock();
	if (peer && !(s->pcb.flags & UDP_F_CONNECTED))
		err = -ENOTCONN;
	a = peer ? s->pcb.raddr : s->pcb.laddr;
	port = peer ? s->pcb.rport : s->pcb.lport;
	net_unlock();
	if (!err)
		err = sock_addr_out(addr, len, a, port);
	sock_put(s);
	return err;
}

long sys_getsockname(int fd, void *addr, uint32_t *len)
{
	return sock_name(fd, addr, len, false);
}

long sys_getpeername(int fd, void *addr, uint32_t *len)
{
	return sock_name(fd, addr, len, true);
}

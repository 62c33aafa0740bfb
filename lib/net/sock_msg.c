/*
 * The datagram calls: sendto, recvfrom, sendmsg, recvmsg, sendmmsg and
 * recvmmsg. Each checks its arguments in Linux's order (the fd, then the
 * address and the buffers) and calls sock_send/sock_recv (sock_io.c).
 * Control messages are neither sent nor received: msg_controllen comes
 * back 0, and an AF_UNIX pair refuses to send one (it would carry fds).
 */
#include "lib/net/socket.h"

#include <errno.h>
#include <string.h>

#include "kernel/printk.h"
#include "kernel/uaccess.h"
#include "lib/net/sock_priv.h"

/*
 * sendto()'s and sendmsg()'s destination, if one is given: *to NULL if not.
 * An AF_UNIX pair's end is connected for good: an address is -EISCONN.
 */
static int send_addr(const struct sock *s, const void *addr, uint32_t len,
		     struct abi_sockaddr_in *sa, const struct abi_sockaddr_in **to)
{
	int err;

	*to = NULL;
	if (!addr)
		return 0;
	if (s->unix_pair)
		return -EISCONN;
	err = sock_addr_in(addr, len, sa);
	if (err < 0)
		return err;
	*to = sa;
	return 0;
}

long sys_sendto(int fd, const void *buf, size_t n, int flags, const void *addr, uint32_t len)
{
	const struct abi_sockaddr_in *to;
	struct abi_sockaddr_in sa;
	struct sock_iter it;
	struct sock *s;
	long err = sock_get(fd, &s);

	if (err < 0)
		return err;
	if (n > SOCK_INT_MAX)
		n = SOCK_INT_MAX;
	err = send_addr(s, addr, len, &sa, &to);
	if (!err) {
		sock_iter_single(&it, buf, n);
		err = sock_send(s, &it, n, flags, to);
	}
	sock_put(s);
	return err;
}

/* The source of a received datagram to the application, if it asked (addr non-NULL). */
static long recv_addr(const struct sock *s, long r, void *addr, uint32_t *len,
		      const struct udp_from *from)
{
	uint32_t none = 0;
	int err;

	if (r < 0 || !addr)
		return r;
	if (s->type == SOCK_STREAM) /* a stream names no source: the length comes back 0 */
		return copy_to_app(len, &none, sizeof(none)) < 0 ? -EFAULT : r;
	err = sock_addr_out(addr, len, from->addr, from->port);
	return err < 0 ? err : r;
}

long sys_recvfrom(int fd, void *buf, size_t n, int flags, void *addr, uint32_t *len)
{
	struct udp_from from;
	struct sock_iter it;
	struct sock *s;
	int msg_flags;
	long r = sock_get(fd, &s);

	if (r < 0)
		return r;
	if (n > SOCK_INT_MAX)
		n = SOCK_INT_MAX;
	sock_iter_single(&it, buf, n);
	r = sock_recv(s, &it, n, flags, &from, &msg_flags);
	r = recv_addr(s, r, addr, len, &from);
	sock_put(s);
	return r;
}

static long sendmsg_one(struct sock *s, const struct abi_msghdr *app_msg, int flags)
{
	const struct abi_sockaddr_in *to;
	struct abi_sockaddr_in sa;
	struct abi_msghdr m;
	struct sock_iter it;
	size_t total;
	long err;

	if (copy_from_app(&m, app_msg, sizeof(m)) < 0)
		return -EFAULT;
	err = send_addr(s, (const void *)(uintptr_t)m.name, m.namelen, &sa, &to);
	if (!err && m.controllen && s->unix_pair) {
		pr_warn_once("unix: control messages (SCM_RIGHTS, SCM_CREDENTIALS) are not served");
		err = -EOPNOTSUPP;
	}
	if (!err)
		err = sock_iter_app(&it, (const struct abi_iovec *)(uintptr_t)m.iov, m.iovlen,
				    &total);
	if (!err)
		err = sock_send(s, &it, total, flags, to);
	return err;
}

/* Writes back what recvmsg() reports in the header: the name and its length, control, flags. */
static int recvmsg_report(const struct sock *s, struct abi_msghdr *app_msg,
			  const struct abi_msghdr *m, const struct udp_from *from, int msg_flags)
{
	uint32_t namelen = 0;
	uint64_t controllen = 0;

	if (m->name && s->type != SOCK_STREAM) {
		uint32_t room =
			m->namelen > SOCKADDR_STORAGE_LEN ? SOCKADDR_STORAGE_LEN : m->namelen;

		if (sock_addr_put((void *)(uintptr_t)m->name, room, from->addr, from->port) < 0)
			return -EFAULT;
		namelen = sizeof(struct abi_sockaddr_in);
	}
	if (copy_to_app(&app_msg->namelen, &namelen, sizeof(namelen)) < 0 ||
	    copy_to_app(&app_msg->controllen, &controllen, sizeof(controllen)) < 0 ||
	    copy_to_app(&app_msg->flags, &msg_flags, sizeof(msg_flags)) < 0)
		return -EFAULT;
	return 0;
}

static long recvmsg_one(struct sock *s, struct abi_msghdr *app_msg, int flags)
{
	struct udp_from from;
	struct abi_msghdr m;
	struct sock_iter it;
	size_t total;
	int msg_flags;
	long r;

	if (copy_from_app(&m, app_msg, sizeof(m)) < 0)
		return -EFAULT;
	if ((int32_t)m.namelen < 0)
		return -EINVAL;
	r = sock_iter_app(&it, (const struct abi_iovec *)(uintptr_t)m.iov, m.iovlen, &total);
	if (r < 0)
		return r;
	r = sock_recv(s, &it, total, flags, &from, &msg_flags);
	if (r >= 0) {
		int err = recvmsg_report(s, app_msg, &m, &from, msg_flags);

		if (err < 0)
			return err;
	}
	return r;
}

long sys_sendmsg(int fd, const void *msg, int flags)
{
	struct sock *s;
	long r = sock_get(fd, &s);

	if (r < 0)
		return r;
	r = sendmsg_one(s, msg, flags);
	sock_put(s);
	return r;
}

long sys_recvmsg(int fd, void *msg, int flags)
{
	struct sock *s;
	long r = sock_get(fd, &s);

	if (r < 0)
		return r;
	r = recvmsg_one(s, msg, flags);
	sock_put(s);
	return r;
}

/* Stores the byte count of message i of an mmsg call. */
static int mmsg_len(struct abi_mmsghdr *msgs, unsigned i, long r)
{
	uint32_t len = (uint32_t)r;

	return copy_to_app(&msgs[i].len, &len, sizeof(len));
}

long sys_sendmmsg(int fd, void *msgs, unsigned n, int flags)
{
	struct abi_mmsghdr *m = msgs;
	struct sock *s;
	long r = sock_get(fd, &s);
	unsigned done = 0;

	if (r < 0)
		return r;
	if (n > SOCK_IOV_MAX)
		n = SOCK_IOV_MAX;
	for (; done < n; done++) {
		r = sendmsg_one(s, &m[done].hdr, flags);
		if (r < 0 || mmsg_len(m, done, r) < 0)
			break;
	}
	sock_put(s);
	if (done)
		return done;
	return r < 0 ? r : -EFAULT;
}

/*
 * The timeout is only looked at between datagrams in Linux too; here the
 * call stops at the first datagram that is not already waiting after the
 * first one (Linux's behaviour without MSG_WAITFORONE differs: it may
 * wait for each, up to the timeout).
 */
long sys_recvmmsg(int fd, void *msgs, unsigned n, int flags, void *timeout)
{
	struct abi_mmsghdr *m = msgs;
	struct sock *s;
	long r = sock_get(fd, &s);
	unsigned done = 0;

	(void)timeout;
	if (r < 0)
		return r;
	if (n > SOCK_IOV_MAX)
		n = SOCK_IOV_MAX;
	for (; done < n; done++) {
		r = recvmsg_one(s, &m[done].hdr, done ? flags | MSG_DONTWAIT : flags);
		if (r < 0 || mmsg_len(m, done, r) < 0)
			break;
	}
	sock_put(s);
	if (done)
		return done;
	return r < 0 ? r : -EFAULT;
}

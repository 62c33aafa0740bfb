/*
 * setsockopt and getsockopt: the SOL_SOCKET options an application
 * commonly sets, and for stream sockets the IPPROTO_TCP ones (docs/net.md
 * lists them); the rest are ENOPROTOOPT, as Linux answers for an option it
 * does not know. Buffer
 * sizes follow Linux: a set value is clamped to the maximum, doubled, and
 * raised to the minimum; get shows the doubled value.
 */
#include "lib/net/socket.h"

#include <errno.h>

#include "kernel/time.h"
#include "kernel/uaccess.h"
#include "lib/abi/abi.h"
#include "lib/net/sock_priv.h"

#define SOL_SOCKET 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21
#define SO_ACCEPTCONN 30
#define SO_PROTOCOL 38
#define SO_DOMAIN 39

#define SOCK_BUF_MAX 212992  /* net.core.rmem_max and wmem_max */
#define SOCK_MIN_RCVBUF 2304 /* Linux's SOCK_MIN_RCVBUF on x86_64 */
#define SOCK_MIN_SNDBUF 4608 /* SOCK_MIN_SNDBUF */
#define USEC_PER_SEC 1000000

#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_CORK 3
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define TCP_KEEP_TIME_MAX 32767 /* Linux's MAX_TCP_KEEPIDLE and MAX_TCP_KEEPINTVL */
#define TCP_KEEPCNT_MAX 127	/* MAX_TCP_KEEPCNT */

struct abi_linger {
	int32_t onoff, secs;
};

/* Linux's arithmetic for SO_RCVBUF and SO_SNDBUF. */
static int buf_size(int v, int min)
{
	int64_t n = v < 0 ? 0 : v;

	if (n > SOCK_BUF_MAX)
		n = SOCK_BUF_MAX;
	n *= 2;
	return n < min ? min : (int)n;
}

static int set_flag(struct sock *s, unsigned flag, int v)
{
	s->pcb.flags = v ? s->pcb.flags | flag : s->pcb.flags & ~flag;
	return 0;
}

static int set_timeout(uint64_t *ns, const void *val, uint32_t len)
{
	struct abi_timeval tv;

	if (len < sizeof(tv))
		return -EINVAL;
	if (copy_from_app(&tv, val, sizeof(tv)) < 0)
		return -EFAULT;
	if (tv.tv_usec < 0 || tv.tv_usec >= USEC_PER_SEC)
		return -EDOM;
	*ns = tv.tv_sec < 0
		      ? 0
		      : (uint64_t)tv.tv_sec * NSEC_PER_SEC + (uint64_t)tv.tv_usec * NSEC_PER_USEC;
	return 0;
}

/* An int option's value (Linux reads an int; a shorter one is EINVAL). */
static int set_int(struct sock *s, int name, int v)
{
	switch (name) {
	case SO_REUSEADDR:
		return set_flag(s, UDP_F_REUSEADDR, v);
	case SO_REUSEPORT:
		return set_flag(s, UDP_F_REUSEPORT, v);
	case SO_BROADCAST:
		return set_flag(s, UDP_F_BROADCAST, v);
	case SO_KEEPALIVE:
		s->stream.keepalive = v; /* meaningless for UDP, accepted, as on Linux */
		break;
	case SO_RCVBUF:
		s->rcvbuf_opt = buf_size(v, SOCK_MIN_RCVBUF);
		s->pcb.rcvbuf = (size_t)s->rcvbuf_opt;
		s->stream.bufs_set = true;
		break;
	case SO_SNDBUF:
		s->sndbuf = buf_size(v, SOCK_MIN_SNDBUF);
		s->stream.bufs_set = true;
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (sock_is_tcp(s))
		sock_tcp_apply(s, name == SO_RCVBUF || name == SO_SNDBUF);
	return 0;
}

static int set_linger(struct sock *s, const void *val, uint32_t len)
{
	struct abi_linger l;

	if (len < sizeof(l))
		return -EINVAL;
	if (copy_from_app(&l, val, sizeof(l)) < 0)
		return -EFAULT;
	s->stream.linger = l.onoff != 0;
	s->stream.linger_s = l.secs < 0 ? 0 : l.secs;
	return 0;
}

static int setsockopt_socket(struct sock *s, int name, const void *val, uint32_t len)
{
	int v;

	if (name == SO_RCVTIMEO || name == SO_SNDTIMEO)
		return set_timeout(name == SO_RCVTIMEO ? &s->rcvtimeo : &s->sndtimeo, val, len);
	if (name == SO_LINGER)
		return set_linger(s, val, len);
	if (name == SO_TYPE || name == SO_ERROR || name == SO_PROTOCOL || name == SO_DOMAIN ||
	    name == SO_ACCEPTCONN)
		return -ENOPROTOOPT; /* read-only */
	if (len < sizeof(int))
		return -EINVAL;
	if (copy_from_app(&v, val, sizeof(v)) < 0)
		return -EFAULT;
	return set_int(s, name, v);
}

/* An IPPROTO_TCP option's new value (Linux's ranges); lock held. */
static int set_tcp_int(struct sock *s, int name, int v)
{
	struct sock_stream *st = &s->stream;
	bool keep_time = name == TCP_KEEPIDLE || name == TCP_KEEPINTVL;

	if ((keep_time && (v < 1 || v > TCP_KEEP_TIME_MAX)) ||
	    (name == TCP_KEEPCNT && (v < 1 || v > TCP_KEEPCNT_MAX)))
		return -EINVAL;
	switch (name) {
	case TCP_NODELAY:
		st->nodelay = v != 0;
		break;
	case TCP_CORK:
		st->cork = v != 0;
		break;
	case TCP_KEEPIDLE:
		st->keepidle = v;
		break;
	case TCP_KEEPINTVL:
		st->keepintvl = v;
		break;
	case TCP_KEEPCNT:
		st->keepcnt = v;
		break;
	default:
		return -ENOPROTOOPT; /* TCP_MAXSEG is only read; others are not served */
	}
	sock_tcp_apply(s, false);
	return 0;
}

static int setsockopt_tcp(struct sock *s, int name, const void *val, uint32_t len)
{
	int v;

	if (len < sizeof(int))
		return -EINVAL;
	if (copy_from_app(&v, val, sizeof(v)) < 0)
		return -EFAULT;
	return set_tcp_int(s, name, v);
}

long sys_setsockopt(int fd, int level, int name, const void *val, uint32_t len)
{
	struct sock *s;
	int err = sock_get(fd, &s);

	if (err < 0)
		return err;
	if ((int32_t)len < 0) {
		err = -EINVAL;
	} else if (level == IPPROTO_TCP && sock_is_tcp(s)) {
		net_lock();
		err = setsockopt_tcp(s, name, val, len);
		net_unlock();
	} else if (level != SOL_SOCKET) {
		err = -ENOPROTOOPT; /* no IP or UDP level option is served */
	} else {
		net_lock();
		err = setsockopt_socket(s, name, val, len);
		net_unlock();
	}
	sock_put(s);
	return err;
}

static int get_flag(const struct sock *s, unsigned flag)
{
	return (s->pcb.flags & flag) != 0;
}

/* An int option's value; -ENOPROTOOPT if name is none. */
static int get_int(struct sock *s, int name, int *v)
{
	switch (name) {
	case SO_TYPE:
		*v = s->type;
		break;
	case SO_PROTOCOL:
		*v = s->unix_pair ? 0 : s->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
		break;
	case SO_DOMAIN:
		*v = s->unix_pair ? AF_UNIX : AF_INET;
		break;
	case SO_ERROR:
		*v = s->error;
		s->error = 0;
		break;
	case SO_ACCEPTCONN:
		*v = s->stream.listening;
		break;
	case SO_KEEPALIVE:
		*v = s->stream.keepalive;
		break;
	case SO_REUSEADDR:
		*v = get_flag(s, UDP_F_REUSEADDR);
		break;
	case SO_REUSEPORT:
		*v = get_flag(s, UDP_F_REUSEPORT);
		break;
	case SO_BROADCAST:
		*v = get_flag(s, UDP_F_BROADCAST);
		break;
	case SO_RCVBUF:
		*v = s->rcvbuf_opt;
		break;
	case SO_SNDBUF:
		*v = s->sndbuf;
		break;
	default:
		return -ENOPROTOOPT;
	}
	return 0;
}

/* Copies the option's value out, cut to the room the application gave; 0 or -errno. */
static int put_value(void *val, uint32_t *app_len, uint32_t room, const void *v, uint32_t size)
{
	uint32_t n = room < size ? room : size;

	if (copy_to_app(val, v, n) < 0 || copy_to_app(app_len, &n, sizeof(n)) < 0)
		return -EFAULT;
	return 0;
}

static int getsockopt_socket(struct sock *s, int name, void *val, uint32_t *app_len, uint32_t room)
{
	struct abi_timeval tv;
	int v, err;

	if (name == SO_LINGER) {
		struct abi_linger l = { s->stream.linger, s->stream.linger_s };

		return put_value(val, app_len, room, &l, sizeof(l));
	}
	if (name == SO_RCVTIMEO || name == SO_SNDTIMEO) {
		uint64_t ns = name == SO_RCVTIMEO ? s->rcvtimeo : s->sndtimeo;

		tv = abi_timeval_of(ns);
		return put_value(val, app_len, room, &tv, sizeof(tv));
	}
	net_lock();
	err = get_int(s, name, &v);
	net_unlock();
	if (err < 0)
		return err;
	return put_value(val, app_len, room, &v, sizeof(v));
}

static int getsockopt_tcp(struct sock *s, int name, void *val, uint32_t *app_len, uint32_t room)
{
	const struct sock_stream *st = &s->stream;
	int v;

	net_lock();
	switch (name) {
	case TCP_NODELAY:
		v = st->nodelay;
		break;
	case TCP_CORK:
		v = st->cork;
		break;
	case TCP_MAXSEG:
		v = (int)tcp_mss(st->pcb);
		break;
	case TCP_KEEPIDLE:
		v = st->keepidle;
		break;
	case TCP_KEEPINTVL:
		v = st->keepintvl;
		break;
	case TCP_KEEPCNT:
		v = st->keepcnt;
		break;
	default:
		net_unlock();
		return -ENOPROTOOPT;
	}
	net_unlock();
	return put_value(val, app_len, room, &v, sizeof(v));
}

long sys_getsockopt(int fd, int level, int name, void *val, uint32_t *len)
{
	struct sock *s;
	uint32_t room;
	int err = sock_get(fd, &s);

	if (err < 0)
		return err;
	if (copy_from_app(&room, len, sizeof(room)) < 0)
		err = -EFAULT;
	else if ((int32_t)room < 0)
		err = -EINVAL;
	else if (level == IPPROTO_TCP && sock_is_tcp(s))
		err = getsockopt_tcp(s, name, val, len, room);
	else if (level == IPPROTO_IP || level == IPPROTO_UDP)
		err = -ENOPROTOOPT; /* none of theirs is served */
	else if (level != SOL_SOCKET)
		err = -EOPNOTSUPP; /* what Linux answers for a UDP socket at an unknown level */
	else
		err = getsockopt_socket(s, name, val, len, room);
	sock_put(s);
	return err;
}

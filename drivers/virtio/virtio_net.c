/*
 * virtio-net (virtio 1.x 5.1; docs/virtio.md): queue 0 receives into
 * pbufs posted whole, queue 1 sends pbufs with the header pushed into
 * their headroom. One MSI-X vector serves both queues and only wakes the
 * network thread; netdev_poll() does the work there.
 *
 * Segmentation offload (docs/net.md, "Offload"): with HOST_TSO4 the stack
 * may send a TCP segment of up to 64 KiB in a big pbuf, which the device
 * cuts (gso_type TCPV4, gso_size the MSS). With GUEST_TSO4 and MRG_RXBUF
 * the device may merge received segments into one frame spread over
 * several posted buffers (num_buffers); such a frame is copied into one
 * big pbuf and goes up whole. Without MRG_RXBUF, GUEST_TSO4 would need
 * 64 KiB receive buffers, so it is asked for only together with it.
 *
 * Locking: the transmit ring is used by xmit (any thread, under the
 * stack's lock) and by poll (the network thread): interrupts are off
 * around each use. The receive ring is the network thread's; the
 * interrupt handler only writes its callback flags (virtq_disable_cb).
 */
#include "drivers/virtio/virtio_net.h"

#include <errno.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "drivers/net/netdev.h"
#include "drivers/net/pbuf.h"
#include "drivers/virtio/virtio.h"
#include "drivers/virtio/virtio_net_regs.h"
#include "kernel/irq.h"
#include "kernel/page.h"
#include "kernel/params.h"
#include "kernel/printk.h"
#include "kernel/random.h"
#include "kernel/time.h"
#include "sched/sched.h"

#define VNET_NAME "virtio-net"
#define VNET_QUEUE_SIZE_MAX 256
#define VNET_SG_MAX 2 /* header and frame, when they must be apart */
#define VNET_ETH_MTU 1500
#define VNET_MAC_LOCAL 0x02 /* first octet: locally administered, unicast */
#define VNET_POLL_NS (2 * NSEC_PER_MSEC)
/* How long transmits may wait with the device making no progress before it is kicked anyway. */
#define VNET_TX_WATCH_NS (10 * NSEC_PER_MSEC)
#define VNET_MSIX_QUEUES 0 /* MSI-X table entries */
#define VNET_MSIX_CONFIG 1
#define VNET_MSIX_WANTED 2
#define VNET_TCP_DOFF_BYTE 12 /* the TCP header's data offset, in its high nibble */

#define VNET_FEATURES                                                                            \
	(VIRTIO_FEATURE(VIRTIO_NET_F_MAC) | VIRTIO_FEATURE(VIRTIO_NET_F_STATUS) |                \
	 VIRTIO_FEATURE(VIRTIO_NET_F_CSUM) | VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_CSUM) |           \
	 VIRTIO_FEATURE(VIRTIO_RING_F_INDIRECT_DESC) | VIRTIO_FEATURE(VIRTIO_RING_F_EVENT_IDX) | \
	 VIRTIO_FEATURE(VIRTIO_F_ANY_LAYOUT))
/* Large receives: merged segments over several buffers (5.1.6.3, 5.1.6.4). */
#define VNET_FEATURES_RX_LARGE \
	(VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_TSO4) | VIRTIO_FEATURE(VIRTIO_NET_F_MRG_RXBUF))
#define VNET_BIG_BUFFERS_MIN 16 /* above the 8 that sends leave for receives (tcp_ip.c) */
#define VNET_BIG_RAM_SHARE 8	/* the big buffers take at most an eighth of RAM */
#define VNET_BIG_BUFFERS_MAX 256

static int rx_buffers = 128;
PARAM_INT("virtio_net.rx_buffers", rx_buffers, 1, VNET_QUEUE_SIZE_MAX,
	  "receive buffers virtio-net keeps posted (pbufs from the shared pool)");
static bool use_tso = true;
PARAM_BOOL("virtio_net.tso", use_tso,
	   "send TCP segments of up to 64 KiB for the device to cut (HOST_TSO4), if offered");
static bool use_rx_large = true;
PARAM_BOOL("virtio_net.rx_large", use_rx_large,
	   "let the device merge received TCP segments into frames of up to 64 KiB "
	   "(GUEST_TSO4 with MRG_RXBUF), if offered");
static int big_buffers = 32;
PARAM_INT("virtio_net.big_buffers", big_buffers, VNET_BIG_BUFFERS_MIN, VNET_BIG_BUFFERS_MAX,
	  "64 KiB packet buffers made for segmentation offload (for sends in flight and "
	  "merged receives; when none is free, sends go as single segments), at most an "
	  "eighth of RAM");

static struct {
	bool present;
	struct netdev nd;
	struct virtio_dev vd;
	struct virtq rx, tx;
	unsigned hdr_len;      /* 12 with VERSION_1 or MRG_RXBUF, 10 legacy */
	bool mrg_rxbuf;	       /* a received frame may span several buffers */
	bool split_hdr;	       /* no ANY_LAYOUT: the header in a descriptor of its own */
	bool config_changed;   /* set by the config interrupt */
	bool in_poll;	       /* a thread is in vnet_poll() */
	uint16_t config_entry; /* MSI-X entry for config changes, or NO_VECTOR */
	uint16_t queue_entry;  /* MSI-X entry of both queues, or NO_VECTOR */
	struct sched_timer poll_timer;
	struct sched_timer tx_watch; /* runs while transmits are outstanding */
	bool tx_watching;
	uint16_t tx_watch_used; /* the device's used index at the watch's last look */
	struct virtio_net_stats stats;
} vnet;

static void queues_disable_cb(void)
{
	virtq_disable_cb(&vnet.rx);
	virtq_disable_cb(&vnet.tx);
}

/* Both queues' MSI-X vector: hand the work to the network thread. */
static void queue_irq(void *ctx)
{
	(void)ctx;
	vnet.stats.irqs++;
	queues_disable_cb();
	if (vnet.nd.wake)
		vnet.nd.wake(&vnet.nd);
}

static void config_irq(void *ctx)
{
	(void)ctx;
	vnet.stats.config_irqs++;
	vnet.config_changed = true;
	if (vnet.nd.wake)
		vnet.nd.wake(&vnet.nd);
}

/*
 * Without MSI-X: the timer looks for finished requests instead, and at the
 * ISR byte for configuration changes (reading it acknowledges). Interrupts off.
 */
static void poll_timer(struct sched_timer *t)
{
	if (virtio_read_isr(&vnet.vd) & VIRTIO_PCI_ISR_CONFIG)
		vnet.config_changed = true;
	if (vnet.nd.wake &&
	    (vnet.config_changed || virtq_has_used(&vnet.rx) || virtq_has_used(&vnet.tx))) {
		vnet.stats.timer_polls++;
		vnet.nd.wake(&vnet.nd);
	}
	sched_timer_start(t, clock_monotonic_ns() + VNET_POLL_NS, poll_timer);
}

/*
 * Under QEMU's userspace backend a transmit notification sometimes goes
 * missing with EVENT_IDX: the device leaves frames in the ring that it
 * was told of, and waits (seen as a full ring and a dead link, 1 boot in
 * 2 under a UDP flood; docs/virtio.md). While transmits are outstanding
 * this watch looks every VNET_TX_WATCH_NS, and if the device has made no
 * progress since the last look, notifies it whatever it asked. Interrupts off.
 */
static void tx_watch(struct sched_timer *t)
{
	uint16_t used = virtq_device_used(&vnet.tx);

	if (vnet.tx.avail_idx == used || vnet.stats.stopped) {
		vnet.tx_watching = false;
		return;
	}
	if (used == vnet.tx_watch_used) {
		if (!vnet.stats.tx_stalls++)
			pr_warn(VNET_NAME ": the device left %u transmits untouched for %lu ms; "
					  "notified it again (counted as tx stalls)",
				(unsigned)(uint16_t)(vnet.tx.avail_idx - used),
				(unsigned long)(VNET_TX_WATCH_NS / NSEC_PER_MSEC));
		virtq_kick_force(&vnet.tx);
	}
	vnet.tx_watch_used = used;
	sched_timer_start(t, clock_monotonic_ns() + VNET_TX_WATCH_NS, tx_watch);
}

/* Starts the watch above if it is not running. Interrupts off. */
static void tx_watch_start(void)
{
	if (vnet.tx_watching)
		return;
	vnet.tx_watching = true;
	vnet.tx_watch_used = virtq_device_used(&vnet.tx);
	sched_timer_start(&vnet.tx_watch, clock_monotonic_ns() + VNET_TX_WATCH_NS, tx_watch);
}

/* Stops using the device after it broke a rule; says so once. */
static void stop_device(const char *why)
{
	if (vnet.stats.stopped)
		return;
	vnet.stats.stopped = true;
	vnet.stats.device_errors++;
	vnet.nd.link_up = false;
	pr_err(VNET_NAME ": %s; the device is no longer used", why);
}

static bool check_rings(void)
{
	if (virtq_is_broken(&vnet.rx) || virtq_is_broken(&vnet.tx))
		stop_device("a ring broke (see above)");
	return !vnet.stats.stopped;
}

/* The sg list of a buffer that starts with the header. */
static unsigned buf_sg(struct virtq_sg *sg, uint8_t *buf, uint32_t len)
{
	if (!vnet.split_hdr) {
		sg[0] = (struct virtq_sg){ (uint64_t)(uintptr_t)buf, len };
		return 1;
	}
	sg[0] = (struct virtq_sg){ (uint64_t)(uintptr_t)buf, vnet.hdr_len };
	sg[1] = (struct virtq_sg){ (uint64_t)(uintptr_t)(buf + vnet.hdr_len), len - vnet.hdr_len };
	return 2;
}

/* Posts receive buffers up to rx_buffers; how many were added. */
static unsigned rx_refill(void)
{
	unsigned added = 0;

	while (vnet.stats.rx_posted < (unsigned)rx_buffers) {
		struct pbuf *p = pbuf_alloc(0);
		struct virtq_sg sg[VNET_SG_MAX];
		unsigned n;

		if (!p) {
			vnet.stats.rx_no_buffer++;
			break;
		}
		n = buf_sg(sg, p->buf, PBUF_SIZE);
		if (virtq_add(&vnet.rx, NULL, 0, sg, n, p) < 0) {
			pbuf_free(p);
			break;
		}
		vnet.stats.rx_posted++;
		added++;
	}
	return added;
}

/* DATA_VALID, or NEEDS_CSUM from the host we trust (docs/virtio.md), when negotiated. */
static uint16_t rx_csum_flags(const struct virtio_net_hdr *h)
{
	if (!virtio_has_feature(&vnet.vd, VIRTIO_NET_F_GUEST_CSUM))
		return 0;
	if (h->flags & (VIRTIO_NET_HDR_F_DATA_VALID | VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return PBUF_F_CSUM_VALID;
	return 0;
}

/* The next used receive buffer, or NULL; len is the bytes the device wrote. */
static struct pbuf *rx_next(uint32_t *len)
{
	struct pbuf *p = virtq_get_used(&vnet.rx, len);

	if (p) {
		vnet.stats.rx_posted--;
		if (*len > p->size)
			*len = p->size; /* a device writing past the buffer: kept within it */
	}
	return p;
}

/*
 * The rest of a frame that spans n buffers (MRG_RXBUF), the first of
 * which is first: all of it copied into one big pbuf (first is freed),
 * or NULL (dropped and counted; every buffer of the frame is consumed).
 */
static struct pbuf *rx_merge(struct pbuf *first, unsigned n)
{
	struct pbuf *big = pbuf_alloc_big(0);
	bool fits = big != NULL;

	if (fits)
		memcpy(pbuf_put(big, first->len), first->data, first->len);
	pbuf_free(first);
	for (unsigned i = 1; i < n; i++) {
		uint32_t len;
		struct pbuf *p = rx_next(&len);

		if (!p) {
			stop_device("a frame's num_buffers is more than the buffers it used");
			pbuf_free(big);
			return NULL;
		}
		if (fits && pbuf_tailroom(big) >= len && big->len + len <= PBUF_LEN_MAX)
			memcpy(pbuf_put(big, len), p->buf, len);
		else
			fits = false;
		pbuf_free(p);
	}
	if (!fits) {
		vnet.stats.rx_merge_drops++;
		vnet.nd.stats.rx_drops++;
		pbuf_free(big);
		return NULL;
	}
	return big;
}

/* What the header says of a merged TCP segment; false if the frame is to be dropped. */
static bool rx_gso(struct pbuf *p, const struct virtio_net_hdr *h)
{
	if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return true;
	if (h->gso_type != VIRTIO_NET_HDR_GSO_TCPV4 ||
	    !virtio_has_feature(&vnet.vd, VIRTIO_NET_F_GUEST_TSO4)) {
		if (!vnet.stats.rx_bad_gso++)
			pr_warn(VNET_NAME ": a received frame with gso_type %#x, which was not "
					  "negotiated; dropped (counted as rx bad gso)",
				h->gso_type);
		return false;
	}
	p->flags |= PBUF_F_GSO_TCPV4;
	p->gso_size = h->gso_size;
	vnet.nd.stats.rx_gso++;
	return true;
}

/* One finished receive buffer: the frame goes up in place, or merged from several. */
static void rx_frame(struct pbuf *p, uint32_t len)
{
	struct virtio_net_hdr h = { 0 };
	unsigned n = 1;

	if (len <= vnet.hdr_len) {
		vnet.stats.rx_short++;
		vnet.nd.stats.rx_errors++;
		pbuf_free(p);
		return;
	}
	memcpy(&h, p->buf, vnet.hdr_len);
	p->data = p->buf + vnet.hdr_len;
	p->len = (uint16_t)(len - vnet.hdr_len);
	if (vnet.mrg_rxbuf)
		n = h.num_buffers;
	if (n != 1) {
		if (!n || n > (unsigned)rx_buffers) {
			pbuf_free(p);
			stop_device("a received frame's num_buffers is out of range");
			return;
		}
		p = rx_merge(p, n);
		if (!p)
			return;
	}
	p->flags = rx_csum_flags(&h);
	if (!rx_gso(p, &h)) {
		vnet.nd.stats.rx_errors++;
		pbuf_free(p);
		return;
	}
	vnet.nd.stats.rx_packets++;
	vnet.nd.stats.rx_bytes += p->len;
	vnet.nd.rx(&vnet.nd, p);
}

static int rx_process(int budget)
{
	int done = 0;

	while (done < budget && !vnet.stats.stopped) {
		uint32_t len;
		struct pbuf *p = rx_next(&len);

		if (!p)
			break;
		rx_frame(p, len);
		done++;
	}
	if (rx_refill())
		virtq_kick(&vnet.rx);
	return done;
}

/*
 * Frees the transmits the device is done with, the header taken off
 * again: whoever else holds a reference sees the frame it gave.
 * Interrupts off.
 */
static int tx_reclaim(void)
{
	int done = 0;
	uint32_t len;
	struct pbuf *p;

	while ((p = virtq_get_used(&vnet.tx, &len))) {
		pbuf_pull(p, vnet.hdr_len);
		pbuf_free(p);
		done++;
	}
	return done;
}

/*
 * A TCP segment for the device to cut (5.1.6.2): gso_size its MSS, and
 * hdr_len the headers in front of the payload (Ethernet, IPv4, TCP with
 * its options), which the device repeats on every piece. frame is where
 * the Ethernet header starts; netdev_xmit() checked the flags.
 */
static void tx_fill_gso(struct virtio_net_hdr *h, const struct pbuf *p, const uint8_t *frame)
{
	unsigned doff = (unsigned)(frame[p->csum_start + VNET_TCP_DOFF_BYTE] >> 4) * 4;

	h->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	h->gso_size = p->gso_size;
	h->hdr_len = (uint16_t)(p->csum_start + doff);
	vnet.nd.stats.tx_gso++;
}

static void tx_fill_hdr(struct virtio_net_hdr *h, const struct pbuf *p, const uint8_t *frame)
{
	memset(h, 0, vnet.hdr_len);
	h->gso_type = VIRTIO_NET_HDR_GSO_NONE;
	if (!(p->flags & PBUF_F_CSUM_NEEDED))
		return;
	if (!virtio_has_feature(&vnet.vd, VIRTIO_NET_F_CSUM)) {
		pr_warn_once(VNET_NAME ": a frame asks for checksum offload, which the device "
				       "does not do; sent as it is");
		return;
	}
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = p->csum_start;
	h->csum_offset = p->csum_offset;
	if (p->flags & PBUF_F_GSO_TCPV4)
		tx_fill_gso(h, p, frame);
}

static int tx_post(struct pbuf *p)
{
	uint16_t frame_len = p->len;
	struct virtq_sg sg[VNET_SG_MAX];
	uint8_t *hdr = pbuf_push(p, vnet.hdr_len);
	int err;

	if (!hdr) {
		pr_warn_once(VNET_NAME ": a frame without %u bytes of headroom; dropped",
			     vnet.hdr_len);
		return -EINVAL;
	}
	tx_fill_hdr((struct virtio_net_hdr *)hdr, p, hdr + vnet.hdr_len);
	err = virtq_add(&vnet.tx, sg, buf_sg(sg, hdr, p->len), NULL, 0, p);
	if (err == -ENOSPC)
		virtq_kick_force(&vnet.tx);
	if (err < 0) {
		pbuf_pull(p, vnet.hdr_len);
		return err;
	}
	virtq_kick(&vnet.tx);
	tx_watch_start();
	vnet.nd.stats.tx_packets++;
	vnet.nd.stats.tx_bytes += frame_len;
	return 0;
}

static int vnet_xmit(struct netdev *nd, struct pbuf *p)
{
	unsigned long flags;
	int err = -EIO;

	(void)nd;
	flags = irq_save();
	if (check_rings()) {
		tx_reclaim();
		err = tx_post(p);
	}
	irq_restore(flags);
	if (err < 0) {
		vnet.nd.stats.tx_drops++;
		pbuf_free(p);
		return err == -ENOSPC ? -ENOBUFS : err;
	}
	return 0;
}

static void read_link(void)
{
	uint16_t status = VIRTIO_NET_S_LINK_UP;
	bool up;

	if (virtio_has_feature(&vnet.vd, VIRTIO_NET_F_STATUS) &&
	    virtio_read_config(&vnet.vd, VIRTIO_NET_CFG_STATUS, &status, sizeof(status)) < 0)
		status = 0;
	up = status & VIRTIO_NET_S_LINK_UP;
	if (up != vnet.nd.link_up && vnet.present)
		pr_info(VNET_NAME ": link %s", up ? "up" : "down");
	vnet.nd.link_up = up;
}

static void config_check(void)
{
	vnet.config_changed = false;
	if (virtio_needs_reset(&vnet.vd)) {
		stop_device("the device needs a reset");
		return;
	}
	read_link();
}

static int poll_once(int budget)
{
	unsigned long flags;
	int work;

	if (vnet.config_changed)
		config_check();
	work = rx_process(budget);
	flags = irq_save();
	work += tx_reclaim();
	irq_restore(flags);
	return work;
}

/* Enables both queues' callbacks; false if work came meanwhile. */
static bool queues_enable_cb(void)
{
	unsigned long flags = irq_save();
	bool idle = virtq_enable_cb(&vnet.rx);

	idle &= virtq_enable_cb(&vnet.tx);
	irq_restore(flags);
	return idle;
}

/* Marks the poll as running; false if another thread is in it already. */
static bool poll_claim(void)
{
	unsigned long flags = irq_save();
	bool free = !vnet.in_poll;

	vnet.in_poll = true;
	irq_restore(flags);
	return free;
}

/*
 * The receive ring is the poller's alone: a second thread that polls
 * meanwhile (the stack's and a test's, say) finds no work, and the first
 * one sees to what came.
 */
static int vnet_poll(struct netdev *nd, int budget)
{
	int work = 0;

	(void)nd;
	if (!check_rings() || !poll_claim())
		return 0;
	work = poll_once(budget);
	if (!work && !queues_enable_cb()) {
		queues_disable_cb();
		work = poll_once(budget);
	}
	vnet.in_poll = false;
	return work;
}

static bool vnet_tx_idle(struct netdev *nd)
{
	unsigned long flags = irq_save();
	bool idle;

	(void)nd;
	tx_reclaim();
	idle = !vnet.tx.in_flight || !check_rings();
	irq_restore(flags);
	return idle;
}

static const struct netdev_ops vnet_ops = {
	.xmit = vnet_xmit,
	.poll = vnet_poll,
	.tx_idle = vnet_tx_idle,
};

/* The polling timer, for a device without MSI-X. */
static void start_polling(const char *why)
{
	vnet.stats.polling = true;
	vnet.queue_entry = vnet.config_entry = VIRTIO_MSI_NO_VECTOR;
	pr_warn(VNET_NAME ": %s: no interrupts, polling every %lu ms", why,
		(unsigned long)(VNET_POLL_NS / NSEC_PER_MSEC));
	sched_timer_start(&vnet.poll_timer, clock_monotonic_ns() + VNET_POLL_NS, poll_timer);
}

/* One MSI-X vector for the queues, one for config changes if the table has room. */
static void setup_irqs(void)
{
	unsigned size = pci_msix_table_size(vnet.vd.pci);
	int vec[VNET_MSIX_WANTED];
	unsigned n = size >= VNET_MSIX_WANTED ? VNET_MSIX_WANTED : 1;

	if (!size) {
		start_polling("no MSI-X");
		return;
	}
	vec[VNET_MSIX_QUEUES] = irq_alloc(queue_irq, NULL, VNET_NAME);
	if (n > VNET_MSIX_CONFIG)
		vec[VNET_MSIX_CONFIG] = irq_alloc(config_irq, NULL, VNET_NAME " config");
	if (vec[VNET_MSIX_QUEUES] < 0 || (n > VNET_MSIX_CONFIG && vec[VNET_MSIX_CONFIG] < 0) ||
	    pci_msix_enable(vnet.vd.pci, n, vec) < 0) {
		start_polling("MSI-X could not be set up");
		return;
	}
	vnet.queue_entry = VNET_MSIX_QUEUES;
	vnet.config_entry = n > VNET_MSIX_CONFIG ? VNET_MSIX_CONFIG : VIRTIO_MSI_NO_VECTOR;
}

static void read_mac(void)
{
	uint8_t *a = vnet.nd.addr;

	if (virtio_has_feature(&vnet.vd, VIRTIO_NET_F_MAC) &&
	    virtio_read_config(&vnet.vd, VIRTIO_NET_CFG_MAC, a, NETDEV_ADDR_LEN) == 0)
		return;
	random_fill(a, NETDEV_ADDR_LEN);
	a[0] = VNET_MAC_LOCAL;
	pr_info(VNET_NAME ": no MAC from the device, using %02x:%02x:%02x:%02x:%02x:%02x", a[0],
		a[1], a[2], a[3], a[4], a[5]);
}

static int setup_queues(void)
{
	int err = virtio_queue_setup(&vnet.vd, &vnet.rx, VIRTIO_NET_QUEUE_RX, VNET_NAME " rx",
				     VNET_QUEUE_SIZE_MAX, VNET_SG_MAX, vnet.queue_entry);

	if (err < 0)
		return err;
	err = virtio_queue_setup(&vnet.vd, &vnet.tx, VIRTIO_NET_QUEUE_TX, VNET_NAME " tx",
				 VNET_QUEUE_SIZE_MAX, VNET_SG_MAX, vnet.queue_entry);
	if (err < 0)
		return err;
	/* The transmit interrupt is only wanted when poll() has nothing else to do. */
	virtq_disable_cb(&vnet.tx);
	return virtio_set_config_vector(&vnet.vd, vnet.config_entry);
}

/* What the negotiated features mean for the header and the stack. */
static void apply_features(bool big)
{
	bool v1 = virtio_has_feature(&vnet.vd, VIRTIO_F_VERSION_1);

	vnet.mrg_rxbuf = virtio_has_feature(&vnet.vd, VIRTIO_NET_F_MRG_RXBUF);
	vnet.hdr_len = v1 || vnet.mrg_rxbuf ? VIRTIO_NET_HDR_LEN_V1 : VIRTIO_NET_HDR_LEN_LEGACY;
	vnet.split_hdr = !v1 && !virtio_has_feature(&vnet.vd, VIRTIO_F_ANY_LAYOUT);
	if (virtio_has_feature(&vnet.vd, VIRTIO_NET_F_CSUM))
		vnet.nd.features |= NETDEV_F_TX_CSUM;
	if (virtio_has_feature(&vnet.vd, VIRTIO_NET_F_GUEST_CSUM))
		vnet.nd.features |= NETDEV_F_RX_CSUM;
	if (big && virtio_has_feature(&vnet.vd, VIRTIO_NET_F_HOST_TSO4)) {
		vnet.nd.features |= NETDEV_F_TSO4;
		vnet.nd.tso_max = (uint16_t)(PBUF_LEN_MAX - vnet.hdr_len);
	}
	if (virtio_has_feature(&vnet.vd, VIRTIO_NET_F_GUEST_TSO4))
		vnet.nd.features |= NETDEV_F_RX_LARGE;
}

/* The offloads asked for: what the parameters allow and the big buffers make possible. */
static uint64_t offload_features(bool big)
{
	uint64_t f = 0;

	if (big && use_tso)
		f |= VIRTIO_FEATURE(VIRTIO_NET_F_HOST_TSO4);
	if (big && use_rx_large)
		f |= VNET_FEATURES_RX_LARGE;
	return f;
}

/*
 * The features' rules (5.1.3.1): HOST_TSO4 needs CSUM, GUEST_TSO4 needs
 * GUEST_CSUM, and here also MRG_RXBUF (or 64 KiB receive buffers), which
 * alone is harmless. Which offloads the negotiated set cannot keep.
 */
static uint64_t offload_conflicts(void)
{
	uint64_t f = vnet.vd.features, bad = 0;

	if ((f & VIRTIO_FEATURE(VIRTIO_NET_F_HOST_TSO4)) &&
	    !(f & VIRTIO_FEATURE(VIRTIO_NET_F_CSUM)))
		bad |= VIRTIO_FEATURE(VIRTIO_NET_F_HOST_TSO4);
	if ((f & VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_TSO4)) &&
	    (!(f & VIRTIO_FEATURE(VIRTIO_NET_F_MRG_RXBUF)) ||
	     !(f & VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_CSUM))))
		bad |= VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_TSO4);
	return bad;
}

/*
 * Negotiates, and again without the offloads whose rules the device's
 * offer breaks (the handshake starts over from a reset).
 */
static int negotiate(bool big)
{
	uint64_t wanted = VNET_FEATURES | offload_features(big), bad;
	int err = virtio_negotiate(&vnet.vd, wanted);

	if (err < 0)
		return err;
	bad = offload_conflicts();
	if (!bad)
		return 0;
	pr_info(VNET_NAME ": offload features %#lx lack what they need; negotiating without them",
		(unsigned long)bad);
	return virtio_negotiate(&vnet.vd, wanted & ~bad);
}

/*
 * The big pbufs of offload, from pages of their own: made before the
 * handshake (without them no offload is asked for) and given back if
 * none was negotiated. false if there are none.
 */
static bool big_pool_alloc(void **mem, size_t *pages)
{
	size_t one = sizeof(struct pbuf) + PBUF_BIG_SIZE, n = (size_t)big_buffers, bytes;
	struct page_stats ps;

	*mem = NULL;
	if (!use_tso && !use_rx_large)
		return false;
	page_stats(&ps);
	if (n > ps.total / VNET_BIG_RAM_SHARE / one)
		n = ps.total / VNET_BIG_RAM_SHARE / one;
	if (n < VNET_BIG_BUFFERS_MIN) {
		pr_info(VNET_NAME ": %lu KiB of RAM has no eighth for %d big packet buffers; "
				  "no segmentation offload",
			(unsigned long)(ps.total >> 10), VNET_BIG_BUFFERS_MIN);
		return false;
	}
	bytes = n * one;
	*pages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	*mem = page_alloc(*pages);
	if (!*mem)
		pr_warn(VNET_NAME ": no memory for %d big packet buffers; no segmentation offload",
			big_buffers);
	return *mem != NULL;
}

static void big_pool_keep(void *mem, size_t pages)
{
	if (!mem)
		return;
	if (vnet.nd.features & (NETDEV_F_TSO4 | NETDEV_F_RX_LARGE)) {
		pbuf_big_pool_init(mem, pages * PAGE_SIZE);
		return;
	}
	page_free(mem, pages);
}

/* Everything up to DRIVER_OK; 0 or a negative errno (the device marked FAILED). */
static int bring_up(void)
{
	void *big_mem;
	size_t big_pages = 0;
	bool big = big_pool_alloc(&big_mem, &big_pages);
	int err = negotiate(big);

	if (err < 0) {
		if (big)
			page_free(big_mem, big_pages);
		return err;
	}
	apply_features(big);
	big_pool_keep(big_mem, big_pages);
	setup_irqs();
	err = setup_queues();
	if (err < 0) {
		virtio_fail(&vnet.vd, "queue setup");
		return err;
	}
	read_mac();
	read_link();
	if (rx_refill() < (unsigned)rx_buffers)
		pr_warn(VNET_NAME ": %u of %d receive buffers posted: the pbuf pool is short",
			vnet.stats.rx_posted, rx_buffers);
	virtio_driver_ok(&vnet.vd);
	virtq_kick(&vnet.rx);
	return 0;
}

/*
 * A device that cannot be used is reported and left alone: the boot goes
 * on without a network (only running out of memory fails it).
 */
static int give_up(int err)
{
	if (vnet.stats.polling)
		sched_timer_stop(&vnet.poll_timer);
	vnet.stats.device_errors++;
	pr_err(VNET_NAME ": the device at %02x:%02x.%u is left unused (error %d)", vnet.vd.pci->bus,
	       vnet.vd.pci->dev, vnet.vd.pci->fn, err);
	return err == -ENOMEM ? err : 0;
}

int virtio_net_init(void)
{
	struct pci_dev *pd = virtio_pci_find(VIRTIO_ID_NET, NULL);
	int err;

	if (!pd) {
		pr_info(VNET_NAME ": no device");
		return 0;
	}
	err = virtio_pci_probe(&vnet.vd, pd, VIRTIO_ID_NET, VNET_NAME);
	if (err == 0)
		err = bring_up();
	if (err < 0)
		return give_up(err);
	vnet.nd.ops = &vnet_ops;
	strcpy(vnet.nd.name, VNET_NAME "0");
	vnet.nd.mtu = VNET_ETH_MTU;
	vnet.present = true;
	netdev_register(&vnet.nd);
	if (virtio_pci_find(VIRTIO_ID_NET, pd))
		pr_warn(VNET_NAME ": more than one device; only the first is used");
	return 0;
}

bool virtio_net_stats(struct virtio_net_stats *st)
{
	*st = vnet.stats;
	st->rx_ring = vnet.rx.stats;
	st->tx_ring = vnet.tx.stats;
	st->transport = vnet.present ? vnet.vd.ops->name : "none";
	return vnet.present;
}

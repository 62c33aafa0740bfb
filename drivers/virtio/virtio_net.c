/*
 * virtio-net (virtio 1.x 5.1; docs/virtio.md): queue 0 receives into
 * pbufs posted whole, queue 1 sends pbufs with the header pushed into
 * their headroom. One MSI-X vector serves both queues and only wakes the
 * network thread; netdev_poll() does the work there.
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

#define VNET_FEATURES                                                                            \
	(VIRTIO_FEATURE(VIRTIO_NET_F_MAC) | VIRTIO_FEATURE(VIRTIO_NET_F_STATUS) |                \
	 VIRTIO_FEATURE(VIRTIO_NET_F_CSUM) | VIRTIO_FEATURE(VIRTIO_NET_F_GUEST_CSUM) |           \
	 VIRTIO_FEATURE(VIRTIO_RING_F_INDIRECT_DESC) | VIRTIO_FEATURE(VIRTIO_RING_F_EVENT_IDX) | \
	 VIRTIO_FEATURE(VIRTIO_F_ANY_LAYOUT))

static int rx_buffers = 128;
PARAM_INT("virtio_net.rx_buffers", rx_buffers, 1, VNET_QUEUE_SIZE_MAX,
	  "receive buffers virtio-net keeps posted (pbufs from the shared pool)");

static struct {
	bool present;
	struct netdev nd;
	struct virtio_dev vd;
	struct virtq rx, tx;
	unsigned hdr_len;      /* 12 with VERSION_1, 10 legacy */
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

/* One finished receive buffer: the frame goes up in place. */
static void rx_frame(struct pbuf *p, uint32_t len)
{
	const struct virtio_net_hdr *h = (const struct virtio_net_hdr *)p->buf;

	vnet.stats.rx_posted--;
	if (len <= vnet.hdr_len) {
		vnet.stats.rx_short++;
		vnet.nd.stats.rx_errors++;
		pbuf_free(p);
		return;
	}
	p->data = p->buf + vnet.hdr_len;
	p->len = (uint16_t)(len - vnet.hdr_len);
	p->flags = rx_csum_flags(h);
	vnet.nd.stats.rx_packets++;
	vnet.nd.stats.rx_bytes += p->len;
	vnet.nd.rx(&vnet.nd, p);
}

static int rx_process(int budget)
{
	int done = 0;

	while (done < budget) {
		uint32_t len;
		struct pbuf *p = virtq_get_used(&vnet.rx, &len);

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

static void tx_fill_hdr(struct virtio_net_hdr *h, const struct pbuf *p)
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
	tx_fill_hdr((struct virtio_net_hdr *)hdr, p);
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
static void apply_features(void)
{
	bool v1 = virtio_has_feature(&vnet.vd, VIRTIO_F_VERSION_1);

	vnet.hdr_len = v1 ? VIRTIO_NET_HDR_LEN_V1 : VIRTIO_NET_HDR_LEN_LEGACY;
	vnet.split_hdr = !v1 && !virtio_has_feature(&vnet.vd, VIRTIO_F_ANY_LAYOUT);
	if (virtio_has_feature(&vnet.vd, VIRTIO_NET_F_CSUM))
		vnet.nd.features |= NETDEV_F_TX_CSUM;
	if (virtio_has_feature(&vnet.vd, VIRTIO_NET_F_GUEST_CSUM))
		vnet.nd.features |= NETDEV_F_RX_CSUM;
}

/* Everything up to DRIVER_OK; 0 or a negative errno (the device marked FAILED). */
static int bring_up(void)
{
	int err = virtio_negotiate(&vnet.vd, VNET_FEATURES);

	if (err < 0)
		return err;
	apply_features();
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

/*
 * virtio-9p (virtio 1.x 5.3; docs/9p.md): every 9P device on the PCI bus,
 * each with its mount tag and one request queue, as a struct p9_transport.
 *
 * A request is the caller's buffers as one ring entry (out: the T-message,
 * in: the reply), its token the caller's struct p9_treq, on the caller's
 * stack (identity mapped, so the device may write there). The queue's
 * interrupt, or without MSI-X a polling timer, takes the used entries and
 * wakes each one's caller. A full ring makes the submitter sleep until an
 * entry comes back (counted).
 *
 * Locking: the ring is used by submitters (threads) and by the interrupt
 * handler or timer; threads hold interrupts off around each use.
 */
#include "drivers/virtio/virtio_9p.h"

#include <errno.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "drivers/virtio/virtio.h"
#include "kernel/irq.h"
#include "kernel/list.h"
#include "kernel/params.h"
#include "kernel/printk.h"
#include "kernel/time.h"
#include "lib/kc/include/stdlib.h"
#include "sched/sched.h"

#define V9P_NAME "virtio-9p"
#define V9P_QUEUE 0		 /* the request queue: the only one */
#define V9P_QUEUE_SIZE_MAX 1024	 /* entries asked of a modern device */
#define V9P_SG_MAX 2		 /* buffers per direction: a header and the caller's data */
#define V9P_F_MOUNT_TAG 0	 /* feature bit: the config holds the tag */
#define V9P_CFG_TAG_LEN 0	 /* config: tag_len[2] */
#define V9P_CFG_TAG 2		 /* config: tag[tag_len], no NUL */
#define V9P_BYTES_PER_ENTRY 4096 /* msize per ring entry, as Linux reckons it */
#define V9P_MSIZE_CAP (512 * 1024)
#define V9P_POLL_NS (1 * NSEC_PER_MSEC)
#define V9P_MSIX_QUEUE 0 /* MSI-X table entries */
#define V9P_MSIX_CONFIG 1
#define V9P_MSIX_WANTED 2
#define V9P_TNAME_MAX (sizeof(V9P_NAME) + VIRTIO_9P_TAG_MAX + 3)

#define V9P_FEATURES (VIRTIO_FEATURE(V9P_F_MOUNT_TAG) | VIRTIO_FEATURE(VIRTIO_RING_F_INDIRECT_DESC))

static int msize_param = V9P_MSIZE_CAP;
PARAM_INT("9p.msize", msize_param, P9_MSIZE_MIN, V9P_MSIZE_CAP,
	  "the largest 9P message virtio-9p offers (bytes; the ring may bound it lower)");

static int queue_size_param = V9P_QUEUE_SIZE_MAX;
PARAM_INT("virtio_9p.queue_size", queue_size_param, 2, V9P_QUEUE_SIZE_MAX,
	  "entries asked of a modern virtio-9p device's queue (a legacy one sets its own)");

struct v9p_dev {
	struct virtio_dev vd;
	struct virtq vq;
	struct p9_transport t;
	struct waitq room; /* submitters waiting for a free ring entry */
	bool stopped;	   /* the device broke or needs a reset: every request fails */
	bool polling;	   /* no MSI-X: poll_timer looks for finished requests */
	struct sched_timer poll_timer;
	struct virtio_9p_stats stats;
	char tag[VIRTIO_9P_TAG_MAX + 1];
	char tname[V9P_TNAME_MAX]; /* "virtio-9p 'rootfs'", the transport's name */
};

static struct {
	struct v9p_dev *devs[VIRTIO_9P_DEVICES_MAX];
	int n;
} v9p;

/* Ends r with err and wakes its caller. Interrupts off. */
static void req_done(struct p9_treq *r, uint32_t len, int err)
{
	r->in_len = len;
	r->err = err;
	r->done = true;
	waitq_wake_one(&r->waiters);
}

/*
 * Stops using the device: reset first, so it writes no more into the
 * callers' buffers, then every request still out fails. Interrupts off.
 */
static void stop_device(struct v9p_dev *d, const char *why)
{
	struct p9_treq *r;

	if (!d->stopped) {
		d->stopped = true;
		d->stats.errors++;
		pr_err(V9P_NAME " '%s': %s; the device is reset and no longer used", d->tag, why);
		d->vd.ops->set_status(&d->vd, 0);
	}
	while ((r = virtq_detach_unused(&d->vq)))
		req_done(r, 0, -EIO);
	waitq_wake_all(&d->room);
}

/* Takes every finished request and wakes its caller. Interrupts off. */
static void complete(struct v9p_dev *d)
{
	struct p9_treq *r;
	uint32_t len;
	bool any = false;

	while ((r = virtq_get_used(&d->vq, &len))) {
		req_done(r, len, 0);
		any = true;
	}
	if (virtq_is_broken(&d->vq))
		stop_device(d, "the ring broke (see above)");
	if (any)
		waitq_wake_all(&d->room);
}

static void queue_irq(void *ctx)
{
	complete(ctx);
}

static void config_check(struct v9p_dev *d)
{
	if (!d->stopped && virtio_needs_reset(&d->vd))
		stop_device(d, "the device needs a reset");
}

static void config_irq(void *ctx)
{
	config_check(ctx);
}

/* Without MSI-X: finished requests and the ISR's config bit, every V9P_POLL_NS. */
static void poll_timer(struct sched_timer *t)
{
	struct v9p_dev *d = container_of(t, struct v9p_dev, poll_timer);

	if (virtio_read_isr(&d->vd) & VIRTIO_PCI_ISR_CONFIG)
		config_check(d);
	complete(d);
	if (!d->stopped)
		sched_timer_start(t, clock_monotonic_ns() + V9P_POLL_NS, poll_timer);
}

/* The caller's buffers as ring buffers; -EINVAL for more than a request may have. */
static int to_sg(struct virtq_sg *sg, const struct p9_iov *iov, unsigned n)
{
	if (n > V9P_SG_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		sg[i] = (struct virtq_sg){ (uint64_t)(uintptr_t)iov[i].base, (uint32_t)iov[i].len };
	return 0;
}

/* Adds r to the ring, waiting for room while it is full. Interrupts off. */
static int add_request(struct v9p_dev *d, struct p9_treq *r, const struct virtq_sg *out,
		       const struct virtq_sg *in)
{
	int err;

	for (;;) {
		if (d->stopped)
			return -EIO;
		err = virtq_add(&d->vq, out, r->n_out, in, r->n_in, r);
		if (err != -ENOSPC)
			return err;
		d->stats.ring_full_waits++;
		waitq_wait(&d->room, 0);
	}
}

static int v9p_submit(void *ctx, struct p9_treq *r)
{
	struct v9p_dev *d = ctx;
	struct virtq_sg out[V9P_SG_MAX], in[V9P_SG_MAX];
	unsigned long flags;
	int err = to_sg(out, r->out, r->n_out);

	if (err == 0)
		err = to_sg(in, r->in, r->n_in);
	r->done = false;
	r->err = 0;
	r->in_len = 0;
	/* Zeroed is an empty queue; its waiter waits for the device. */
	r->waiters = (struct waitq){ .input = true };
	flags = irq_save();
	if (err == 0)
		err = add_request(d, r, out, in);
	if (err == 0) {
		d->stats.requests++;
		virtq_kick(&d->vq);
	} else {
		d->stats.errors++;
		if (virtq_is_broken(&d->vq))
			stop_device(d, "the ring broke (see above)");
	}
	irq_restore(flags);
	return err < 0 ? -EIO : 0;
}

static int v9p_wait(void *ctx, struct p9_treq *r)
{
	unsigned long flags = irq_save();

	(void)ctx;
	while (!r->done)
		waitq_wait(&r->waiters, 0);
	irq_restore(flags);
	return r->err;
}

static int v9p_request(void *ctx, const struct p9_iov *out, unsigned n_out, const struct p9_iov *in,
		       unsigned n_in, uint32_t *in_len)
{
	struct p9_treq r = { .out = out, .n_out = n_out, .in = in, .n_in = n_in };
	int err = v9p_submit(ctx, &r);

	if (err == 0)
		err = v9p_wait(ctx, &r);
	*in_len = r.in_len;
	return err;
}

/* ---- finding and setting up devices ---- */

static void start_polling(struct v9p_dev *d, const char *why)
{
	d->polling = true;
	pr_warn(V9P_NAME ": %s: no interrupts, polling every %lu ms", why,
		(unsigned long)(V9P_POLL_NS / NSEC_PER_MSEC));
}

/* The queue's MSI-X entry, and one for config changes if the table has room. */
static void setup_irqs(struct v9p_dev *d, uint16_t *queue_entry, uint16_t *config_entry)
{
	unsigned size = pci_msix_table_size(d->vd.pci);
	unsigned n = size >= V9P_MSIX_WANTED ? V9P_MSIX_WANTED : 1;
	int vec[V9P_MSIX_WANTED];

	*queue_entry = *config_entry = VIRTIO_MSI_NO_VECTOR;
	if (!size) {
		start_polling(d, "no MSI-X");
		return;
	}
	vec[V9P_MSIX_QUEUE] = irq_alloc(queue_irq, d, V9P_NAME);
	if (n > V9P_MSIX_CONFIG)
		vec[V9P_MSIX_CONFIG] = irq_alloc(config_irq, d, V9P_NAME " config");
	if (vec[V9P_MSIX_QUEUE] < 0 || (n > V9P_MSIX_CONFIG && vec[V9P_MSIX_CONFIG] < 0) ||
	    pci_msix_enable(d->vd.pci, n, vec) < 0) {
		start_polling(d, "MSI-X could not be set up");
		return;
	}
	*queue_entry = V9P_MSIX_QUEUE;
	if (n > V9P_MSIX_CONFIG)
		*config_entry = V9P_MSIX_CONFIG;
}

/* The mount tag from the config: 1..VIRTIO_9P_TAG_MAX bytes, no NUL. 0 or -EIO (reported). */
static int read_tag(struct v9p_dev *d)
{
	uint16_t len;

	if (!virtio_has_feature(&d->vd, V9P_F_MOUNT_TAG)) {
		pr_err(V9P_NAME ": the device offers no mount tag (feature bit %u)",
		       V9P_F_MOUNT_TAG);
		return -EIO;
	}
	if (virtio_read_config(&d->vd, V9P_CFG_TAG_LEN, &len, sizeof(len)) < 0)
		return -EIO;
	if (len < 1 || len > VIRTIO_9P_TAG_MAX) {
		pr_err(V9P_NAME ": a mount tag of %u bytes; expected 1 to %u", len,
		       VIRTIO_9P_TAG_MAX);
		return -EIO;
	}
	if (virtio_read_config(&d->vd, V9P_CFG_TAG, d->tag, len) < 0)
		return -EIO;
	d->tag[len] = '\0';
	if (strlen(d->tag) != len) {
		pr_err(V9P_NAME ": the mount tag '%s' has a NUL inside its %u bytes", d->tag, len);
		return -EIO;
	}
	return 0;
}

/* The largest message: the ring's entries at 4 KiB each (as Linux reckons), the cap, the parameter. */
static uint32_t pick_msize(const struct v9p_dev *d)
{
	uint64_t m = (uint64_t)d->vq.num * V9P_BYTES_PER_ENTRY;

	if (m > V9P_MSIZE_CAP)
		m = V9P_MSIZE_CAP;
	if (m > (uint64_t)msize_param)
		m = (uint64_t)msize_param;
	return (uint32_t)m;
}

/* Everything up to DRIVER_OK; 0 or a negative errno (the device marked FAILED). */
static int bring_up(struct v9p_dev *d)
{
	uint16_t queue_entry, config_entry;
	int err = virtio_negotiate(&d->vd, V9P_FEATURES);

	if (err < 0)
		return err;
	setup_irqs(d, &queue_entry, &config_entry);
	err = read_tag(d);
	if (err < 0) {
		virtio_fail(&d->vd, "no usable mount tag");
		return err;
	}
	err = virtio_queue_setup(&d->vd, &d->vq, V9P_QUEUE, V9P_NAME, (uint16_t)queue_size_param,
				 V9P_SG_MAX * 2, queue_entry);
	if (err == 0)
		err = virtio_set_config_vector(&d->vd, config_entry);
	if (err < 0) {
		virtio_fail(&d->vd, "queue setup");
		return err;
	}
	virtio_driver_ok(&d->vd);
	if (d->polling)
		sched_timer_start(&d->poll_timer, clock_monotonic_ns() + V9P_POLL_NS, poll_timer);
	return 0;
}

static void describe(struct v9p_dev *d)
{
	strcpy(d->tname, V9P_NAME " '");
	strcat(d->tname, d->tag);
	strcat(d->tname, "'");
	d->t = (struct p9_transport){ .request = v9p_request,
				      .submit = v9p_submit,
				      .wait = v9p_wait,
				      .ctx = d,
				      .msize_max = pick_msize(d),
				      .name = d->tname };
	pr_info(V9P_NAME ": %02x:%02x.%u: tag '%s', %s transport, %u-entry queue%s, msize up "
			 "to %u",
		d->vd.pci->bus, d->vd.pci->dev, d->vd.pci->fn, d->tag,
		d->vd.modern ? "modern" : "legacy", d->vq.num,
		d->vq.indirect_max ? " (indirect)" : "", d->t.msize_max);
}

/* Sets up the device at pd; 0 (used or skipped, reported) or -ENOMEM. */
static int add_device(struct pci_dev *pd)
{
	struct v9p_dev *d = kcalloc(1, sizeof(*d));
	int err;

	if (!d)
		return -ENOMEM;
	d->room.input = true;
	err = virtio_pci_probe(&d->vd, pd, VIRTIO_ID_9P, V9P_NAME);
	if (err == 0)
		err = bring_up(d);
	if (err < 0) {
		pr_err(V9P_NAME ": the device at %02x:%02x.%u is left unused (error %d)", pd->bus,
		       pd->dev, pd->fn, err);
		/* Its vectors may still point at d: it stays allocated, and unused. */
		return err == -ENOMEM ? err : 0;
	}
	describe(d);
	v9p.devs[v9p.n++] = d;
	return 0;
}

int virtio_9p_init(void)
{
	struct pci_dev *pd = NULL;
	int err;

	while ((pd = virtio_pci_find(VIRTIO_ID_9P, pd))) {
		if (v9p.n == VIRTIO_9P_DEVICES_MAX) {
			pr_warn(V9P_NAME ": more than %d devices; the rest are left unused",
				VIRTIO_9P_DEVICES_MAX);
			break;
		}
		err = add_device(pd);
		if (err < 0)
			return err;
	}
	if (!v9p.n)
		pr_info(V9P_NAME ": no usable device");
	return 0;
}

int virtio_9p_count(void)
{
	return v9p.n;
}

const char *virtio_9p_tag(int i)
{
	return i >= 0 && i < v9p.n ? v9p.devs[i]->tag : NULL;
}

const struct p9_transport *virtio_9p_find(const char *tag)
{
	for (int i = 0; i < v9p.n; i++)
		if (!strcmp(v9p.devs[i]->tag, tag))
			return &v9p.devs[i]->t;
	return NULL;
}

static void stats_add(struct virtio_9p_stats *sum, const struct virtio_9p_stats *s)
{
	sum->requests += s->requests;
	sum->errors += s->errors;
	sum->ring_full_waits += s->ring_full_waits;
}

int virtio_9p_stats(int i, struct virtio_9p_stats *st)
{
	unsigned long flags = irq_save();

	*st = (struct virtio_9p_stats){ 0 };
	if (i < 0)
		for (int k = 0; k < v9p.n; k++)
			stats_add(st, &v9p.devs[k]->stats);
	else if (i < v9p.n)
		*st = v9p.devs[i]->stats;
	irq_restore(flags);
	return i < 0 ? v9p.n > 0 : i < v9p.n;
}

/*
 * The split virtqueue (drivers/virtio/virtio_ring.h, virtio 1.x 2.7).
 *
 * Invariants: the free list and the order of each outstanding chain are
 * in slots[].next, which the device never sees; a chain's head alone has
 * a token. The device's writes (the used ring, avail_event, used flags)
 * are read once each, through volatile, and checked before use.
 */
#include "drivers/virtio/virtio_ring.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kernel/printk.h"

/* Shared memory is read and written once per access, in program order. */
#define VQ_READ(x) (*(const volatile __typeof__(x) *)&(x))
#define VQ_WRITE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* The device runs on another host thread: order our accesses against its. */
static inline void vq_mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void vq_wmb(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void vq_rmb(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

static size_t avail_bytes(uint16_t num)
{
	/* flags, idx, ring[num], used_event */
	return sizeof(struct virtq_avail) + sizeof(uint16_t) * ((size_t)num + 1);
}

static size_t used_bytes(uint16_t num)
{
	/* flags, idx, ring[num], avail_event */
	return sizeof(struct virtq_used) + sizeof(struct virtq_used_elem) * num + sizeof(uint16_t);
}

size_t virtq_ring_bytes(uint16_t num, size_t align)
{
	size_t used_at = align_up(sizeof(struct virtq_desc) * num + avail_bytes(num), align);

	return used_at + used_bytes(num);
}

static size_t slots_bytes(uint16_t num)
{
	return align_up(sizeof(struct virtq_slot) * num, VIRTQ_DESC_ALIGN);
}

size_t virtq_aux_bytes(uint16_t num, uint16_t indirect_max)
{
	return slots_bytes(num) + sizeof(struct virtq_desc) * num * indirect_max;
}

static uint16_t *used_event(struct virtq *vq)
{
	return &vq->avail->ring[vq->num];
}

static uint16_t *avail_event(struct virtq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->num];
}

int virtq_init(struct virtq *vq, const struct virtq_config *cfg, void *ring, void *aux)
{
	uint16_t num = cfg->num;

	if (!num || num & (num - 1) || num > VIRTQ_SIZE_MAX || !cfg->align ||
	    cfg->align & (cfg->align - 1))
		return -EINVAL;
	memset(ring, 0, virtq_ring_bytes(num, cfg->align));
	memset(aux, 0, virtq_aux_bytes(num, cfg->indirect_max));
	*vq = (struct virtq){ .num = num,
			      .indirect_max = cfg->indirect_max,
			      .index = cfg->index,
			      .num_free = num,
			      .event_idx = cfg->event_idx,
			      .name = cfg->name,
			      .notify = cfg->notify,
			      .priv = cfg->priv };
	vq->ring_bytes = virtq_ring_bytes(num, cfg->align);
	vq->aux_bytes = virtq_aux_bytes(num, cfg->indirect_max);
	vq->desc = ring;
	vq->avail = (struct virtq_avail *)((char *)ring + sizeof(struct virtq_desc) * num);
	vq->used = (struct virtq_used *)((char *)ring + align_up(sizeof(struct virtq_desc) * num +
									 avail_bytes(num),
								 cfg->align));
	vq->slots = aux;
	if (cfg->indirect_max)
		vq->indirect = (struct virtq_desc *)((char *)aux + slots_bytes(num));
	for (uint16_t i = 0; i < num; i++)
		vq->slots[i].next = (uint16_t)((i + 1) & (num - 1));
	return 0;
}

uint64_t virtq_desc_addr(const struct virtq *vq)
{
	return (uint64_t)(uintptr_t)vq->desc;
}

uint64_t virtq_avail_addr(const struct virtq *vq)
{
	return (uint64_t)(uintptr_t)vq->avail;
}

uint64_t virtq_used_addr(const struct virtq *vq)
{
	return (uint64_t)(uintptr_t)vq->used;
}

/* The k-th buffer of the request (out first, then in) as descriptor fields. */
static void fill_desc(struct virtq_desc *d, const struct virtq_sg *out, unsigned n_out,
		      const struct virtq_sg *in, unsigned k)
{
	const struct virtq_sg *sg = k < n_out ? &out[k] : &in[k - n_out];

	d->addr = sg->addr;
	d->len = sg->len;
	d->flags = k < n_out ? 0 : VIRTQ_DESC_F_WRITE;
}

/* Takes n descriptors off the free list; returns the head. num_free >= n. */
static uint16_t take_chain(struct virtq *vq, unsigned n)
{
	uint16_t head = vq->free_head, i = head;

	for (unsigned k = 0; k < n; k++)
		i = vq->slots[i].next;
	vq->free_head = i;
	vq->num_free = (uint16_t)(vq->num_free - n);
	vq->slots[head].ndesc = (uint16_t)n;
	return head;
}

static uint16_t add_indirect(struct virtq *vq, const struct virtq_sg *out, unsigned n_out,
			     const struct virtq_sg *in, unsigned n)
{
	uint16_t head = take_chain(vq, 1);
	struct virtq_desc *table = &vq->indirect[(size_t)head * vq->indirect_max];

	for (unsigned k = 0; k < n; k++) {
		fill_desc(&table[k], out, n_out, in, k);
		if (k + 1 < n) {
			table[k].flags |= VIRTQ_DESC_F_NEXT;
			table[k].next = (uint16_t)(k + 1);
		}
	}
	vq->desc[head] = (struct virtq_desc){ .addr = (uint64_t)(uintptr_t)table,
					      .len = (uint32_t)(sizeof(*table) * n),
					      .flags = VIRTQ_DESC_F_INDIRECT };
	return head;
}

static uint16_t add_chain(struct virtq *vq, const struct virtq_sg *out, unsigned n_out,
			  const struct virtq_sg *in, unsigned n)
{
	uint16_t head = take_chain(vq, n), i = head;

	for (unsigned k = 0; k < n; k++) {
		struct virtq_desc d;

		fill_desc(&d, out, n_out, in, k);
		if (k + 1 < n) {
			d.flags |= VIRTQ_DESC_F_NEXT;
			d.next = vq->slots[i].next;
		} else {
			d.next = 0;
		}
		vq->desc[i] = d;
		i = vq->slots[i].next;
	}
	return head;
}

static uint64_t in_bytes(const struct virtq_sg *in, unsigned n_in)
{
	uint64_t sum = 0;

	for (unsigned k = 0; k < n_in; k++)
		sum += in[k].len;
	return sum;
}

int virtq_add(struct virtq *vq, const struct virtq_sg *out, unsigned n_out,
	      const struct virtq_sg *in, unsigned n_in, void *token)
{
	unsigned n = n_out + n_in;
	bool indirect = vq->indirect && n > 1 && n <= vq->indirect_max;
	uint16_t head;

	if (vq->broken)
		return -EIO;
	if (!token || !n || (!indirect && n > vq->num))
		return -EINVAL;
	if (vq->num_free < (indirect ? 1 : n)) {
		vq->stats.full++;
		return -ENOSPC;
	}
	head = indirect ? add_indirect(vq, out, n_out, in, n) : add_chain(vq, out, n_out, in, n);
	vq->slots[head].token = token;
	vq->slots[head].in_len = in_bytes(in, n_in);
	vq->in_flight++;
	VQ_WRITE(vq->avail->ring[vq->avail_idx & (vq->num - 1)], head);
	vq->avail_idx++;
	/* The descriptors and the ring entry before the index that publishes them. */
	vq_wmb();
	VQ_WRITE(vq->avail->idx, vq->avail_idx);
	vq->stats.added++;
	return 0;
}

bool virtq_kick_prepare(struct virtq *vq)
{
	uint16_t new = vq->avail_idx, old = vq->kicked_idx, event;

	vq->kicked_idx = new;
	if (vq->broken || new == old)
		return false;
	/* Our avail->idx store before the device's flags or avail_event load. */
	vq_mb();
	if (!vq->event_idx)
		return !(VQ_READ(vq->used->flags) & VIRTQ_USED_F_NO_NOTIFY);
	event = VQ_READ(*avail_event(vq));
	/* Did avail->idx move past avail_event in (old, new]? (2.7.10) */
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

void virtq_kick(struct virtq *vq)
{
	if (virtq_kick_prepare(vq)) {
		vq->stats.kicks++;
		vq->notify(vq);
	} else {
		vq->stats.kicks_suppressed++;
	}
}

void virtq_kick_force(struct virtq *vq)
{
	if (vq->broken)
		return;
	vq->kicked_idx = vq->avail_idx;
	vq_mb();
	vq->stats.kicks_forced++;
	vq->notify(vq);
}

/* Stops trusting the device with this ring, and says why. */
__attribute__((format(printf, 2, 3))) static void vq_break(struct virtq *vq, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vq->broken = true;
	pr_err("virtq: %s: %s; the ring is broken, the device no longer trusted", vq->name, msg);
}

/* Returns the chain at head to the free list. */
static void free_chain(struct virtq *vq, uint16_t head)
{
	uint16_t tail = head;

	for (uint16_t k = 1; k < vq->slots[head].ndesc; k++)
		tail = vq->slots[tail].next;
	vq->slots[tail].next = vq->free_head;
	vq->free_head = head;
	vq->num_free = (uint16_t)(vq->num_free + vq->slots[head].ndesc);
	vq->slots[head].token = NULL;
	vq->slots[head].ndesc = 0;
	vq->in_flight--;
}

/* Is the device's next used entry one we posted? Breaks the ring if not. */
static bool used_id_ok(struct virtq *vq, uint32_t id)
{
	if (id >= vq->num) {
		vq->stats.bad_used_id++;
		vq_break(vq, "used id %u, expected one below the ring size %u", id, vq->num);
		return false;
	}
	if (!vq->slots[id].token) {
		vq->stats.bad_used_id++;
		vq_break(vq, "used id %u was never posted (or is done already)", id);
		return false;
	}
	return true;
}

static uint32_t clamp_len(struct virtq *vq, uint32_t id, uint32_t len)
{
	if (len <= vq->slots[id].in_len)
		return len;
	if (!vq->stats.bad_used_len++)
		pr_warn("virtq: %s: used length %u for id %u, beyond the %lu bytes offered; "
			"clamped (said once per ring)",
			vq->name, len, id, (unsigned long)vq->slots[id].in_len);
	return (uint32_t)vq->slots[id].in_len;
}

void *virtq_get_used(struct virtq *vq, uint32_t *len)
{
	uint16_t idx, pending;
	struct virtq_used_elem e;
	void *token;

	if (vq->broken)
		return NULL;
	idx = VQ_READ(vq->used->idx);
	pending = (uint16_t)(idx - vq->last_used);
	if (!pending)
		return NULL;
	if (pending > vq->in_flight) {
		vq->stats.bad_used_idx++;
		vq_break(vq, "used index %u is %u ahead of %u, with %u requests outstanding", idx,
			 pending, vq->last_used, vq->in_flight);
		return NULL;
	}
	/* The index before the entry it covers. */
	vq_rmb();
	e.id = VQ_READ(vq->used->ring[vq->last_used & (vq->num - 1)].id);
	e.len = VQ_READ(vq->used->ring[vq->last_used & (vq->num - 1)].len);
	if (!used_id_ok(vq, e.id))
		return NULL;
	*len = clamp_len(vq, e.id, e.len);
	token = vq->slots[e.id].token;
	free_chain(vq, (uint16_t)e.id);
	vq->last_used++;
	vq->stats.used++;
	if (vq->event_idx && !vq->cb_disabled)
		VQ_WRITE(*used_event(vq), vq->last_used);
	return token;
}

uint16_t virtq_device_used(const struct virtq *vq)
{
	return VQ_READ(vq->used->idx);
}

bool virtq_has_used(const struct virtq *vq)
{
	return !vq->broken && VQ_READ(vq->used->idx) != vq->last_used;
}

void virtq_disable_cb(struct virtq *vq)
{
	vq->cb_disabled = true;
	if (vq->event_idx)
		/* Beyond reach: the used index cannot pass last_used + num. */
		VQ_WRITE(*used_event(vq), (uint16_t)(vq->last_used + vq->num));
	else
		VQ_WRITE(vq->avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
}

bool virtq_enable_cb(struct virtq *vq)
{
	vq->cb_disabled = false;
	if (vq->event_idx)
		VQ_WRITE(*used_event(vq), vq->last_used);
	else
		VQ_WRITE(vq->avail->flags, 0);
	/* Our store before the device's used->idx load: the EVENT_IDX race (2.7.10). */
	vq_mb();
	return vq->broken || VQ_READ(vq->used->idx) == vq->last_used;
}

void *virtq_detach_unused(struct virtq *vq)
{
	for (uint16_t i = 0; i < vq->num; i++) {
		void *token = vq->slots[i].token;

		if (token) {
			free_chain(vq, i);
			return token;
		}
	}
	return NULL;
}

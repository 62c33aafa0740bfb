/* Intrusive doubly linked lists: a list_head inside each member. */
#ifndef KERNEL_LIST_H
#define KERNEL_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_head {
	struct list_head *next, *prev;
};

#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))
#define list_entry(p, type, member) container_of(p, type, member)

static inline void list_init(struct list_head *h)
{
	h->next = h->prev = h;
}

/* A zeroed head counts as empty; this makes it a real one. */
static inline void list_ensure(struct list_head *h)
{
	if (!h->next)
		list_init(h);
}

static inline bool list_empty(const struct list_head *h)
{
	return !h->next || h->next == h;
}

static inline void list_insert_between(struct list_head *n, struct list_head *prev,
				       struct list_head *next)
{
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
}

static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	list_insert_between(n, h->prev, h);
}

/* Inserts n just before pos. */
static inline void list_add_before(struct list_head *n, struct list_head *pos)
{
	list_insert_between(n, pos->prev, pos);
}

/* Unlinks n and marks it unlinked (see list_linked). */
static inline void list_del(struct list_head *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = NULL;
}

static inline bool list_linked(const struct list_head *n)
{
	return n->next != NULL;
}

static inline struct list_head *list_first(const struct list_head *h)
{
	return list_empty(h) ? NULL : h->next;
}

#define list_for_each(p, h) for (struct list_head *p = (h)->next; p != (h); p = p->next)

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * Flush statistics of a virtio-pmem device, one value per file, in
 * /sys/bus/virtio/devices/virtioN/flush_stats/
 * (Documentation/ABI/testing/sysfs-driver-virtio_pmem-guestmem).  The
 * group is attached by the driver core (virtio_pmem's dev_groups); the
 * latency histogram is in debugfs.
 */
#include <linux/device.h>
#include <linux/sysfs.h>
#include <linux/virtio.h>
#include "virtio_pmem.h"

struct vpmem_snapshot {
	struct vpmem_stats st;
	u64 gen;
	bool in_flight;
	unsigned int queued;
	enum vpmem_state state;
};

static void vpmem_snapshot(struct device *dev, struct vpmem_snapshot *s)
{
	struct virtio_pmem *vpmem = dev_to_virtio(dev)->priv;
	struct vpmem_flusher *f = &vpmem->flusher;
	unsigned long flags;

	spin_lock_irqsave(&f->lock, flags);
	s->st = f->stats;
	s->gen = f->co.gen;
	s->in_flight = f->co.inflight && !f->unsent;
	s->queued = f->co.next_callers + (f->unsent ? f->co.cur_callers : 0);
	s->state = f->state;
	/* Broken while idle: nobody failed yet, but it is broken. */
	if (s->state == VPMEM_OK && f->vq && virtqueue_is_broken(f->vq))
		s->state = VPMEM_BROKEN;
	spin_unlock_irqrestore(&f->lock, flags);
}

#define VPMEM_STAT_ATTR(_name, _expr)					\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct vpmem_snapshot s;					\
									\
	vpmem_snapshot(dev, &s);					\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)(_expr));	\
}									\
static DEVICE_ATTR_RO(_name)

VPMEM_STAT_ATTR(requests, s.st.requests);
VPMEM_STAT_ATTR(callers, s.st.callers);
VPMEM_STAT_ATTR(coalesced, s.st.callers - min(s.st.callers, s.st.requests));
VPMEM_STAT_ATTR(errors, s.st.errors);
VPMEM_STAT_ATTR(timeouts, s.st.timeouts);
VPMEM_STAT_ATTR(refused, s.st.refused);
VPMEM_STAT_ATTR(atomic_callers, s.st.atomic_callers);
VPMEM_STAT_ATTR(in_flight, s.in_flight);
VPMEM_STAT_ATTR(queued, s.queued);
VPMEM_STAT_ATTR(generation, s.gen);
VPMEM_STAT_ATTR(last_latency_ns, s.st.last_latency_ns);
VPMEM_STAT_ATTR(max_latency_ns, s.st.max_latency_ns);

static const char * const vpmem_state_names[] = {
	[VPMEM_OK] = "ok",
	[VPMEM_QUIESCED] = "quiesced",
	[VPMEM_STUCK] = "stuck",
	[VPMEM_BROKEN] = "broken",
	[VPMEM_DEAD] = "dead",
};

static const char *vpmem_state_name(enum vpmem_state state)
{
	if (state >= ARRAY_SIZE(vpmem_state_names))
		return "?";
	return vpmem_state_names[state];
}

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct vpmem_snapshot s;

	vpmem_snapshot(dev, &s);
	return sysfs_emit(buf, "%s\n", vpmem_state_name(s.state));
}
static DEVICE_ATTR_RO(state);

static struct attribute *vpmem_stat_attrs[] = {
	&dev_attr_requests.attr,
	&dev_attr_callers.attr,
	&dev_attr_coalesced.attr,
	&dev_attr_errors.attr,
	&dev_attr_timeouts.attr,
	&dev_attr_refused.attr,
	&dev_attr_atomic_callers.attr,
	&dev_attr_in_flight.attr,
	&dev_attr_queued.attr,
	&dev_attr_generation.attr,
	&dev_attr_last_latency_ns.attr,
	&dev_attr_max_latency_ns.attr,
	&dev_attr_state.attr,
	NULL,
};

/* For virtio_pmem's driver.dev_groups: created after probe, gone before remove. */
const struct attribute_group vpmem_flush_stats_group = {
	.name = "flush_stats",
	.attrs = vpmem_stat_attrs,
};
EXPORT_SYMBOL_GPL(vpmem_flush_stats_group);

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences, decided by compile-time feature probes run
 * against the target tree (include/probes/, scripts/compat-probe.sh),
 * never by version numbers: distribution kernels carry backports.
 */
#ifndef _GUESTMEM_COMPAT_H
#define _GUESTMEM_COMPAT_H

#include <linux/libnvdimm.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <guestmem_probes.h>	/* generated: GUESTMEM_HAVE_* */

/*
 * GUESTMEM_FLUSH_ASYNC: value a region flush callback returns when it
 * took ownership of the bio and completes it later; 0 when the kernel
 * only knows synchronous providers.
 */
#ifdef GUESTMEM_HAVE_NVDIMM_FLUSH_ASYNC
#define GUESTMEM_FLUSH_ASYNC	NVDIMM_FLUSH_ASYNC
#else
#define GUESTMEM_FLUSH_ASYNC	0
#endif

/*
 * guestmem_can_sleep(): may the caller block?  Only a kernel that counts
 * preemption-disabled sections (CONFIG_PREEMPT_COUNT: every PREEMPT_DYNAMIC,
 * PREEMPT or PREEMPT_RT kernel, Debian's included) can tell; elsewhere a
 * held spinlock leaves no trace and the answer is yes.  Preemptible is
 * not enough: on PREEMPT_RT a spinlock_t holder stays preemptible (the
 * lock only disables migration) but is inside an RCU read-side critical
 * section (rt_spin_lock() takes rcu_read_lock()), where it may wait for
 * another spinlock_t and nothing else; the same holds for any caller
 * under rcu_read_lock() with preemptible RCU.  This is the test
 * __might_resched() makes (preempt count and RCU nesting): found by the
 * BTT's flush under its map lock on Debian's 6.12 rt kernel, which
 * slept in wait_event() ("Voluntary context switch within RCU read-side
 * critical section!").
 */
static inline bool guestmem_can_sleep(void)
{
	if (!IS_ENABLED(CONFIG_PREEMPT_COUNT))
		return true;
	return preemptible() && !rcu_preempt_depth();
}

/*
 * guestmem_cc_guest_mem_encrypt(): a confidential-computing guest whose
 * memory is encrypted (SEV, TDX); memory shared with the host must be
 * mapped decrypted there, which none of our drivers does.
 */
#ifdef GUESTMEM_HAVE_CC_PLATFORM_HAS
#include <linux/cc_platform.h>
#define guestmem_cc_guest_mem_encrypt()	cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT)
#else
#define guestmem_cc_guest_mem_encrypt()	false
#endif

/* Import the namespace of EXPORT_SYMBOL_IF_KUNIT() symbols. */
#ifdef GUESTMEM_HAVE_MODULE_IMPORT_NS_IDENT
#define GUESTMEM_IMPORT_KUNIT_NS()	MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING)
#else
#define GUESTMEM_IMPORT_KUNIT_NS()	MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING")
#endif

/*
 * kzalloc_obj(): the typed allocator of newer kernels (checkpatch asks for
 * it there).  It is a macro where it exists; older kernels get the
 * equivalent one-object kzalloc().
 */
#ifndef kzalloc_obj
#define kzalloc_obj(P, GFP)	kzalloc(sizeof(P), GFP)
#endif

#endif /* _GUESTMEM_COMPAT_H */

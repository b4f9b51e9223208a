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
 * held spinlock leaves no trace and the answer is yes.  On PREEMPT_RT a
 * spinlock_t sleeps, and so may its holder.
 */
static inline bool guestmem_can_sleep(void)
{
	return !IS_ENABLED(CONFIG_PREEMPT_COUNT) || preemptible();
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

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-mem protocol constants the kernel's uapi header may lack (the
 * 6.1 header predates PERSISTENT_SUSPEND), plus the project's own limits.
 */
#ifndef _GUESTMEM_VIRTIO_MEM_DEFS_H
#define _GUESTMEM_VIRTIO_MEM_DEFS_H

#include <linux/virtio_mem.h>

#ifndef VIRTIO_ID_MEM
#define VIRTIO_ID_MEM				24
#endif

/* Plugged state survives S3; the driver may allow suspend (spec 1.3). */
#ifndef VIRTIO_MEM_F_PERSISTENT_SUSPEND
#define VIRTIO_MEM_F_PERSISTENT_SUSPEND		2
#endif

/* One request carries at most this many device blocks (le16 field). */
#define VMEM_MAX_NB_BLOCKS			U16_MAX

#endif /* _GUESTMEM_VIRTIO_MEM_DEFS_H */

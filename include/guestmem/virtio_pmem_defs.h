/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-pmem protocol definitions missing from older kernel headers.
 * VIRTIO_PMEM_F_SHMEM_REGION entered the uapi header in 6.8; Debian's
 * 6.1 headers lack it.  Values from the virtio spec (PMEM device).
 */
#ifndef _GUESTMEM_VIRTIO_PMEM_DEFS_H
#define _GUESTMEM_VIRTIO_PMEM_DEFS_H

#include <uapi/linux/virtio_pmem.h>

#ifndef VIRTIO_PMEM_F_SHMEM_REGION
#define VIRTIO_PMEM_F_SHMEM_REGION	0
#endif

#ifndef VIRTIO_PMEM_SHMEM_REGION_ID
#define VIRTIO_PMEM_SHMEM_REGION_ID	0
#endif

#endif /* _GUESTMEM_VIRTIO_PMEM_DEFS_H */

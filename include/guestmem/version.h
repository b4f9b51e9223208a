/* SPDX-License-Identifier: GPL-2.0 */
/* The one version string of every module; equals dkms.conf's PACKAGE_VERSION. */
#ifndef _GUESTMEM_VERSION_H
#define _GUESTMEM_VERSION_H

#define GUESTMEM_VERSION	"0.1.0"

#endif /* _GUESTMEM_VERSION_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The version of every module is dkms.conf's PACKAGE_VERSION, passed by the
 * top-level Kbuild as -DGUESTMEM_VERSION, so the DKMS package, the Debian
 * package and MODULE_VERSION cannot disagree.
 */
#ifndef _GUESTMEM_VERSION_H
#define _GUESTMEM_VERSION_H

#ifndef GUESTMEM_VERSION
#error "GUESTMEM_VERSION is set by the top-level Kbuild from dkms.conf"
#endif

#endif /* _GUESTMEM_VERSION_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * GUESTMEM_HAVE_MODULE_IMPORT_NS_IDENT: MODULE_IMPORT_NS() takes a bare
 * identifier.  Since 6.13 (commit "module: Convert symbol namespace to
 * string literal") it takes a string and an identifier fails to build.
 */
#include <linux/module.h>

MODULE_IMPORT_NS(GUESTMEM_PROBE_NS);

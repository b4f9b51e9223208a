// SPDX-License-Identifier: GPL-2.0
/*
 * GUESTMEM_HAVE_VM_FLAGS_SET: vma->vm_flags is read-only and changed
 * through vm_flags_set() (6.3, commit bc292ab00f6c "mm: introduce
 * vma->vm_flags wrapper functions").
 */
#include <linux/mm.h>

void guestmem_probe(struct vm_area_struct *vma);
void guestmem_probe(struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_DONTEXPAND);
}

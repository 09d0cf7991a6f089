/**
 * The address space. Replay must reproduce its layout for real, so the calls that change it
 * are executed (munmap, mprotect, brk, madvise: MADV_DONTNEED zero-fills) or special (mmap,
 * whose file contents come from the trace's copy, and mremap, which can move a mapping).
 * Calls that only steer the kernel's placement or paging (mlock, NUMA policy) are emulated:
 * they do not change what memory contains.
 */
import { PAGE_SIZE, STRUCT_SIZES as S } from '../structs';
import {
  FamilyDef, deny, emulate, execute, fixed, fromArg, out, special, unsupported,
} from './dsl';

const ENOSYS = 38;

export const MM_SYSCALLS: FamilyDef[] = [
  special('mmap', 'mmap', ['hex', 'size', 'flags', 'flags', 'fd', 'hex']),
  special('mremap', 'mremap', ['hex', 'size', 'size', 'flags', 'hex']),
  execute('munmap', ['hex', 'size']),
  execute('mprotect', ['hex', 'size', 'flags']),
  execute('pkey_mprotect', ['hex', 'size', 'flags', 'int']),
  // pkey_alloc sets the new key's rights in the thread's PKRU register; replay needs both the
  // same key numbers and the same PKRU.
  execute('pkey_alloc', ['flags', 'hex']),
  execute('pkey_free', ['int']),
  execute('brk', ['hex']),
  execute('madvise', ['hex', 'size', 'int']),
  execute('mseal', ['hex', 'size', 'flags']),
  emulate('msync', ['hex', 'size', 'flags']),
  // One byte per page of [addr, addr + len).
  emulate('mincore', ['hex', 'size', 'ptr'], { outparams: [out(2, fromArg(1, 1 / PAGE_SIZE))] }),
  emulate('mlock', ['hex', 'size']),
  emulate('mlock2', ['hex', 'size', 'flags']),
  emulate('munlock', ['hex', 'size']),
  emulate('mlockall', ['flags']),
  emulate('munlockall', []),
  emulate('membarrier', ['int', 'flags', 'int']),
  emulate('memfd_create', ['str', 'flags']),
  // Reimplemented by the kernel on top of mmap: it rearranges which file pages back memory.
  unsupported('remap_file_pages', ['hex', 'size', 'int', 'size', 'flags']),

  emulate('mbind', ['hex', 'size', 'int', 'ptr', 'size', 'flags']),
  emulate('set_mempolicy', ['int', 'ptr', 'size']),
  emulate('set_mempolicy_home_node', ['hex', 'size', 'int', 'flags']),
  // The nodemask written is ALIGN(maxnode - 1, 64) / 8 bytes: no Size expression for that.
  unsupported('get_mempolicy', ['ptr', 'ptr', 'size', 'hex', 'flags']),
  emulate('migrate_pages', ['int', 'size', 'ptr', 'ptr']),
  // status[count] (int each) is written back.
  emulate('move_pages', ['int', 'size', 'ptr', 'ptr', 'ptr', 'flags'], {
    outparams: [out(4, fromArg(1, 4))],
  }),
  emulate('process_madvise', ['fd', 'ptr', 'size', 'int', 'flags']),
  emulate('process_mrelease', ['fd', 'flags']),

  // Secret memory cannot be read through ptrace or /proc/pid/mem, so it cannot be recorded.
  deny('memfd_secret', ENOSYS, ['flags']),
  // A userfaultfd handler fills pages of the tracee behind our back (UFFDIO_COPY).
  deny('userfaultfd', ENOSYS, ['flags']),
  unsupported('map_shadow_stack', ['hex', 'size', 'flags']),

  // TLS descriptors in the GDT for 32-bit code; entry_number is written back into user_desc.
  execute('set_thread_area', ['ptr'], { outparams: [out(0, fixed(S.userDesc))] }),
  emulate('get_thread_area', ['ptr'], { outparams: [out(0, fixed(S.userDesc))] }),
  // Changes segment descriptors (writes) or copies the LDT out (reads): mode-dependent.
  unsupported('modify_ldt', ['int', 'ptr', 'size']),
];

/**
 * The machine as a whole: host information, randomness, logging, administration (modules,
 * swap, reboot, keys), security policy (seccomp, landlock), and the calls no x86-64 kernel
 * implements any more. Administration calls are emulated: replay does not redo them, and no
 * memory of the tracee changes.
 */
import { STRUCT_SIZES as S } from '../structs';
import {
  FamilyDef, emulate, fixed, fromRet, notImplemented, out, scatter, unsupported,
} from './dsl';

export const SYSTEM_SYSCALLS: FamilyDef[] = [
  emulate('uname', ['ptr'], { outparams: [out(0, fixed(S.utsname))] }),
  emulate('sysinfo', ['ptr'], { outparams: [out(0, fixed(S.sysinfo))] }),
  emulate('getrandom', ['ptr', 'size', 'flags'], {
    outparams: [out(0, fromRet())], mayBlock: true,
  }),
  emulate('syslog', ['int', 'ptr', 'int'], { scatter: [scatter('byOp', 0)], mayBlock: true }),
  emulate('sysfs', ['int', 'hex', 'hex'], { scatter: [scatter('byOp', 0)] }),
  emulate('sethostname', ['str', 'size']),
  emulate('setdomainname', ['str', 'size']),
  emulate('vhangup', []),
  emulate('acct', ['str']),
  emulate('reboot', ['hex', 'hex', 'hex', 'ptr']),
  emulate('swapon', ['str', 'flags']),
  emulate('swapoff', ['str']),
  emulate('init_module', ['ptr', 'size', 'str']),
  emulate('finit_module', ['fd', 'str', 'flags']),
  emulate('delete_module', ['str', 'flags']),
  emulate('kexec_load', ['hex', 'size', 'ptr', 'flags']),
  emulate('kexec_file_load', ['fd', 'fd', 'size', 'str', 'flags']),
  // Port I/O from user space reads devices: nothing we could record.
  unsupported('iopl', ['int']),
  unsupported('ioperm', ['hex', 'hex', 'int']),

  emulate('add_key', ['str', 'str', 'ptr', 'size', 'int']),
  emulate('request_key', ['str', 'str', 'str', 'int']),
  // Dozens of operations, several copying out buffers: not described yet.
  unsupported('keyctl', ['int', 'hex', 'hex', 'hex', 'hex']),

  emulate('seccomp', ['int', 'flags', 'ptr'], { scatter: [scatter('byOp', 0)] }),
  emulate('landlock_create_ruleset', ['ptr', 'size', 'flags']),
  emulate('landlock_add_rule', ['fd', 'int', 'ptr', 'flags']),
  emulate('landlock_restrict_self', ['fd', 'flags']),
  // Returns an fd whose mmap'ed ring the kernel fills asynchronously.
  unsupported('perf_event_open', ['ptr', 'int', 'int', 'fd', 'flags']),
  // Maps, programs and their outputs live in kernel objects that write into user memory.
  unsupported('bpf', ['int', 'ptr', 'size']),

  // Removed in 6.10; where it existed it copied a path of up to len bytes.
  emulate('lookup_dcookie', ['hex', 'ptr', 'size'], { outparams: [out(1, fromRet(1, 2))] }),
  // Removed in 5.5; older kernels copied results out through a struct of pointers.
  unsupported('_sysctl', ['ptr']),
  // Where still configured (CONFIG_USELIB), it maps a library: an mmap in disguise.
  unsupported('uselib', ['str']),
  notImplemented('create_module'),
  notImplemented('get_kernel_syms'),
  notImplemented('query_module'),
  notImplemented('nfsservctl'),
  notImplemented('getpmsg'),
  notImplemented('putpmsg'),
  notImplemented('afs_syscall'),
  notImplemented('tuxcall'),
  notImplemented('security'),
  notImplemented('vserver'),
];

/**
 * Processes and threads: creation and exit (special), waiting, identity, credentials,
 * scheduling, resource limits, and the per-thread registrations (set_tid_address,
 * set_robust_list, arch_prctl) that replay must make for real.
 *
 * exit and exit_group are 'special' rather than 'execute': the task must really exit in
 * replay at that point, but the kernel then writes 0 to the clear_child_tid word and wakes its
 * futex, and walks the robust futex list: memory effects the replayer handles (and checks)
 * itself rather than a generic "run and compare the result" (there is no result).
 */
import { STRUCT_SIZES as S } from '../structs';
import {
  FamilyDef, deny, emulate, execute, fixed, fromArg, fromRet, out, outAlways, scatter, special,
  unsupported,
} from './dsl';

const ENOSYS = 38;
const U32 = 4;

export const PROCESS_SYSCALLS: FamilyDef[] = [
  special('clone', 'clone', ['flags', 'hex', 'ptr', 'ptr', 'hex']),
  special('clone3', 'clone3', ['ptr', 'size']),
  special('fork', 'fork', []),
  special('vfork', 'vfork', []),
  special('execve', 'execve', ['str', 'ptr', 'ptr']),
  special('execveat', 'execve', ['fd', 'str', 'ptr', 'ptr', 'flags']),
  special('exit', 'exit', ['int']),
  special('exit_group', 'exit_group', ['int']),
  // The kernel continues an interrupted call (nanosleep, poll...) under this number; the
  // handler treats it as that call's continuation.
  special('restart_syscall', 'restart_syscall', [], { mayBlock: true }),

  emulate('wait4', ['int', 'ptr', 'flags', 'ptr'], {
    outparams: [out(1, fixed(U32)), out(3, fixed(S.rusage))], mayBlock: true,
  }),
  emulate('waitid', ['int', 'int', 'ptr', 'flags', 'ptr'], {
    outparams: [out(2, fixed(S.siginfo)), out(4, fixed(S.rusage))], mayBlock: true,
  }),

  execute('set_tid_address', ['ptr']),
  execute('set_robust_list', ['ptr', 'size']),
  emulate('get_robust_list', ['int', 'ptr', 'ptr'], {
    outparams: [out(1, fixed(8)), out(2, fixed(8))],
  }),
  execute('arch_prctl', ['hex', 'hex'], { scatter: [scatter('byOp', 0)] }),
  emulate('prctl', ['int', 'hex', 'hex', 'hex', 'hex'], { scatter: [scatter('prctl', 0)] }),
  // The kernel would write the current cpu id into the registered struct rseq on every
  // preemption, asynchronously: like rr, pretend the kernel has no rseq. glibc copes.
  deny('rseq', ENOSYS, ['ptr', 'size', 'flags', 'hex']),
  emulate('personality', ['hex']),
  emulate('unshare', ['flags']),
  emulate('setns', ['fd', 'flags']),
  emulate('kcmp', ['int', 'int', 'int', 'hex', 'hex']),
  emulate('pidfd_open', ['int', 'flags']),
  emulate('pidfd_getfd', ['fd', 'int', 'flags']),
  // Copies from another process into our iovecs: ret bytes across them, like readv.
  emulate('process_vm_readv', ['int', 'ptr', 'size', 'ptr', 'size', 'flags'], {
    scatter: [scatter('iovec', 1, 2)],
  }),
  // Writes into another process's memory, which is not ours to replay.
  unsupported('process_vm_writev', ['int', 'ptr', 'size', 'ptr', 'size', 'flags']),
  unsupported('ptrace', ['int', 'int', 'hex', 'hex']),

  emulate('getpid', []),
  emulate('getppid', []),
  emulate('gettid', []),
  emulate('getuid', []),
  emulate('geteuid', []),
  emulate('getgid', []),
  emulate('getegid', []),
  emulate('getresuid', ['ptr', 'ptr', 'ptr'], {
    outparams: [out(0, fixed(U32)), out(1, fixed(U32)), out(2, fixed(U32))],
  }),
  emulate('getresgid', ['ptr', 'ptr', 'ptr'], {
    outparams: [out(0, fixed(U32)), out(1, fixed(U32)), out(2, fixed(U32))],
  }),
  // ret gids, but nothing at all when size is 0 (the call only counts): capped by size.
  emulate('getgroups', ['int', 'ptr'], { outparams: [out(1, fromRet(U32, 0))] }),
  emulate('setgroups', ['int', 'ptr']),
  emulate('setuid', ['int']),
  emulate('setgid', ['int']),
  emulate('setreuid', ['int', 'int']),
  emulate('setregid', ['int', 'int']),
  emulate('setresuid', ['int', 'int', 'int']),
  emulate('setresgid', ['int', 'int', 'int']),
  emulate('setfsuid', ['int']),
  emulate('setfsgid', ['int']),
  emulate('getpgrp', []),
  emulate('getpgid', ['int']),
  emulate('setpgid', ['int', 'int']),
  emulate('getsid', ['int']),
  emulate('setsid', []),
  // The header's version field is rewritten when the caller's version is unknown, and that
  // call fails (libcap probes this way). Data: two 12-byte structs for the v2/v3 ABI every
  // current libcap uses; a v1 caller (one struct, deprecated since 2.6.26) would have 12
  // bytes after its struct saved and restored unchanged.
  emulate('capget', ['ptr', 'ptr'], {
    outparams: [outAlways(0, fixed(S.capHeader)), out(1, fixed(2 * S.capData))],
  }),
  emulate('capset', ['ptr', 'ptr'], { outparams: [outAlways(0, fixed(S.capHeader))] }),

  emulate('getpriority', ['int', 'int']),
  emulate('setpriority', ['int', 'int', 'int']),
  emulate('sched_yield', []),
  emulate('sched_setparam', ['int', 'ptr']),
  emulate('sched_getparam', ['int', 'ptr'], { outparams: [out(1, fixed(S.schedParam))] }),
  emulate('sched_setscheduler', ['int', 'int', 'ptr']),
  emulate('sched_getscheduler', ['int']),
  emulate('sched_get_priority_max', ['int']),
  emulate('sched_get_priority_min', ['int']),
  emulate('sched_rr_get_interval', ['int', 'ptr'], { outparams: [out(1, fixed(S.timespec))] }),
  emulate('sched_setaffinity', ['int', 'size', 'ptr']),
  // Returns the number of bytes of cpumask copied.
  emulate('sched_getaffinity', ['int', 'size', 'ptr'], { outparams: [out(2, fromRet())] }),
  emulate('sched_setattr', ['int', 'ptr', 'flags']),
  // Copies min(size, the kernel's struct size) bytes into the caller's struct.
  emulate('sched_getattr', ['int', 'ptr', 'size', 'flags'], { outparams: [out(1, fromArg(2))] }),
  emulate('ioprio_set', ['int', 'int', 'int']),
  emulate('ioprio_get', ['int', 'int']),
  emulate('getcpu', ['ptr', 'ptr', 'ptr'], {
    outparams: [out(0, fixed(U32)), out(1, fixed(U32))],
  }),

  emulate('getrlimit', ['int', 'ptr'], { outparams: [out(1, fixed(S.rlimit))] }),
  emulate('setrlimit', ['int', 'ptr']),
  emulate('prlimit64', ['int', 'int', 'ptr', 'ptr'], { outparams: [out(3, fixed(S.rlimit))] }),
  emulate('getrusage', ['int', 'ptr'], { outparams: [out(1, fixed(S.rusage))] }),
  // times() returns a tick count that starts 5 minutes before zero (INITIAL_JIFFIES), so just
  // after boot a successful result can look like -errno: save the struct whatever the result.
  emulate('times', ['ptr'], { outparams: [outAlways(0, fixed(S.tms))] }),

  emulate('futex', ['ptr', 'int', 'int', 'ptr', 'ptr', 'int'], {
    scatter: [scatter('byOp', 1)], mayBlock: true,
  }),
  emulate('futex_waitv', ['ptr', 'int', 'flags', 'ptr', 'int'], { mayBlock: true }),
  emulate('futex_wake', ['ptr', 'hex', 'int', 'flags']),
  emulate('futex_wait', ['ptr', 'hex', 'hex', 'flags', 'ptr', 'int'], { mayBlock: true }),
  emulate('futex_requeue', ['ptr', 'flags', 'int', 'int']),

  // Each writes a u32 size and a variable list of LSM structures: not described yet.
  unsupported('lsm_get_self_attr', ['int', 'ptr', 'ptr', 'flags']),
  unsupported('lsm_set_self_attr', ['int', 'ptr', 'size', 'flags']),
  unsupported('lsm_list_modules', ['ptr', 'ptr', 'flags']),
];

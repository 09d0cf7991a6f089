/**
 * Multiplexed syscalls, described per operation: what each op of fcntl, prctl, futex, the SysV
 * *ctl calls, arch_prctl... writes, whether it can block, and whether replay must treat it
 * differently from the syscall as a whole. The collector (outparams.ts) and table.ts's
 * `replayActionFor` / `mayBlockFor` read these tables; nothing here is code.
 *
 * An op that is not listed is unknown: if the call succeeded the collector reports a problem
 * and replay stops there. A failed call with an unknown op is fine: the kernel rejects ops it
 * does not know before touching memory.
 */
import type { Outparam, ReplayAction, Scatter, SyscallDef } from './types';
import { STRUCT_SIZES as S } from './structs';

export interface OpDef {
  /** the C macro name */
  name: string;
  /** memory the kernel writes for this op; same rules as SyscallDef.outparams */
  out?: readonly Outparam[];
  /** replay action for this op when it differs from the syscall's own */
  replay?: ReplayAction;
  mayBlock?: boolean;
}

export interface OpTable {
  /** the bits of the op argument that select the op (futex: FUTEX_CMD_MASK) */
  mask?: number;
  ops: ReadonlyMap<number, OpDef>;
}

/** A table from [op, def] pairs; a number listed twice is a typo that would hide an op. */
function table(entries: ReadonlyArray<[number, OpDef]>, mask?: number): OpTable {
  const ops = new Map(entries);
  if (ops.size !== entries.length) throw new Error(`op table ${entries[0]?.[1].name}...: duplicate number`);
  return { mask, ops };
}

const fixed = (arg: number, bytes: number, onlyOnSuccess?: boolean): Outparam =>
  onlyOnSuccess === undefined
    ? { arg, size: { kind: 'fixed', bytes } }
    : { arg, size: { kind: 'fixed', bytes }, onlyOnSuccess };

/** fcntl(fd, cmd, arg): only the GET commands with a struct argument write memory. */
export const FCNTL_OPS = table([
  [0, { name: 'F_DUPFD' }],
  [1, { name: 'F_GETFD' }],
  [2, { name: 'F_SETFD' }],
  [3, { name: 'F_GETFL' }],
  [4, { name: 'F_SETFL' }],
  [5, { name: 'F_GETLK', out: [fixed(2, S.flock)] }],
  [6, { name: 'F_SETLK' }],
  [7, { name: 'F_SETLKW', mayBlock: true }],
  [8, { name: 'F_SETOWN' }],
  [9, { name: 'F_GETOWN' }],
  [10, { name: 'F_SETSIG' }],
  [11, { name: 'F_GETSIG' }],
  [15, { name: 'F_SETOWN_EX' }],
  [16, { name: 'F_GETOWN_EX', out: [fixed(2, S.fOwnerEx)] }],
  [36, { name: 'F_OFD_GETLK', out: [fixed(2, S.flock)] }],
  [37, { name: 'F_OFD_SETLK' }],
  [38, { name: 'F_OFD_SETLKW', mayBlock: true }],
  [1024, { name: 'F_SETLEASE' }],
  [1025, { name: 'F_GETLEASE' }],
  [1026, { name: 'F_NOTIFY' }],
  // 6.10 / 6.12: answered in the return value.
  [1027, { name: 'F_DUPFD_QUERY' }],
  [1028, { name: 'F_CREATED_QUERY' }],
  [1029, { name: 'F_CANCELLK' }],
  [1030, { name: 'F_DUPFD_CLOEXEC' }],
  [1031, { name: 'F_SETPIPE_SZ' }],
  [1032, { name: 'F_GETPIPE_SZ' }],
  [1033, { name: 'F_ADD_SEALS' }],
  [1034, { name: 'F_GET_SEALS' }],
  [1035, { name: 'F_GET_RW_HINT', out: [fixed(2, 8)] }],
  [1036, { name: 'F_SET_RW_HINT' }],
  [1037, { name: 'F_GET_FILE_RW_HINT', out: [fixed(2, 8)] }],
  [1038, { name: 'F_SET_FILE_RW_HINT' }],
]);

/**
 * prctl(option, arg2..arg5). Most options answer in the return value. Options that change
 * state replay depends on run for real ('execute'): PR_SET_NAME (thread names gdb shows),
 * PR_SET_MM and PR_SET_VMA (the address space as /proc and the replayer see it), PR_SET_MDWE
 * (makes later mprotect calls fail, and mprotect is executed in replay). PR_SET_SECCOMP is
 * emulated: in replay the calls its filter would judge are emulated too, and their recorded
 * results already include the filter's verdicts. PR_SET_TSC would fight the recorder's own
 * rdtsc trapping, and PR_SET_SYSCALL_USER_DISPATCH turns syscalls into signals: unsupported.
 */
export const PRCTL_OPS = table([
  [1, { name: 'PR_SET_PDEATHSIG' }],
  [2, { name: 'PR_GET_PDEATHSIG', out: [fixed(1, 4)] }],
  [3, { name: 'PR_GET_DUMPABLE' }],
  [4, { name: 'PR_SET_DUMPABLE' }],
  [5, { name: 'PR_GET_UNALIGN', out: [fixed(1, 4)] }],
  [6, { name: 'PR_SET_UNALIGN' }],
  [7, { name: 'PR_GET_KEEPCAPS' }],
  [8, { name: 'PR_SET_KEEPCAPS' }],
  [9, { name: 'PR_GET_FPEMU', out: [fixed(1, 4)] }],
  [10, { name: 'PR_SET_FPEMU' }],
  [11, { name: 'PR_GET_FPEXC', out: [fixed(1, 4)] }],
  [12, { name: 'PR_SET_FPEXC' }],
  [13, { name: 'PR_GET_TIMING' }],
  [14, { name: 'PR_SET_TIMING' }],
  [15, { name: 'PR_SET_NAME', replay: 'execute' }],
  [16, { name: 'PR_GET_NAME', out: [fixed(1, 16)] }],
  [19, { name: 'PR_GET_ENDIAN', out: [fixed(1, 4)] }],
  [20, { name: 'PR_SET_ENDIAN' }],
  [21, { name: 'PR_GET_SECCOMP' }],
  [22, { name: 'PR_SET_SECCOMP' }],
  [23, { name: 'PR_CAPBSET_READ' }],
  [24, { name: 'PR_CAPBSET_DROP' }],
  [25, { name: 'PR_GET_TSC', out: [fixed(1, 4)] }],
  [26, { name: 'PR_SET_TSC', replay: 'unsupported' }],
  [27, { name: 'PR_GET_SECUREBITS' }],
  [28, { name: 'PR_SET_SECUREBITS' }],
  [29, { name: 'PR_SET_TIMERSLACK' }],
  [30, { name: 'PR_GET_TIMERSLACK' }],
  [31, { name: 'PR_TASK_PERF_EVENTS_DISABLE' }],
  [32, { name: 'PR_TASK_PERF_EVENTS_ENABLE' }],
  [33, { name: 'PR_MCE_KILL' }],
  [34, { name: 'PR_MCE_KILL_GET' }],
  [35, { name: 'PR_SET_MM', replay: 'execute' }],
  [36, { name: 'PR_SET_CHILD_SUBREAPER' }],
  [37, { name: 'PR_GET_CHILD_SUBREAPER', out: [fixed(1, 4)] }],
  [38, { name: 'PR_SET_NO_NEW_PRIVS' }],
  [39, { name: 'PR_GET_NO_NEW_PRIVS' }],
  [40, { name: 'PR_GET_TID_ADDRESS', out: [fixed(1, 8)] }],
  [41, { name: 'PR_SET_THP_DISABLE' }],
  [42, { name: 'PR_GET_THP_DISABLE' }],
  [47, { name: 'PR_CAP_AMBIENT' }],
  [52, { name: 'PR_GET_SPECULATION_CTRL' }],
  [53, { name: 'PR_SET_SPECULATION_CTRL' }],
  [57, { name: 'PR_SET_IO_FLUSHER' }],
  [58, { name: 'PR_GET_IO_FLUSHER' }],
  [59, { name: 'PR_SET_SYSCALL_USER_DISPATCH', replay: 'unsupported' }],
  // PR_SCHED_CORE_GET writes a cookie at arg 5; the subcommand decides.
  [62, { name: 'PR_SCHED_CORE', replay: 'unsupported' }],
  [65, { name: 'PR_SET_MDWE', replay: 'execute' }],
  [66, { name: 'PR_GET_MDWE' }],
  [67, { name: 'PR_SET_MEMORY_MERGE' }],
  [68, { name: 'PR_GET_MEMORY_MERGE' }],
  [77, { name: 'PR_TIMER_CREATE_RESTORE_IDS' }],
  [78, { name: 'PR_FUTEX_HASH' }],
  [0x53564d41, { name: 'PR_SET_VMA', replay: 'execute' }],
  // Copies min(size, auxv size) bytes: bounded by the caller's buffer.
  [0x41555856, { name: 'PR_GET_AUXV', out: [{ arg: 1, size: { kind: 'arg', arg: 2 } }] }],
  [0x59616d61, { name: 'PR_SET_PTRACER' }],
]);

/**
 * futex(uaddr, op, val, timeout|val2, uaddr2, val3). The common ops write nothing: a
 * FUTEX_WAIT result is simply replayed. The PI ops make the kernel store the owner tid (and
 * the FUTEX_WAITERS bit) in the futex word, even when they fail (a timed-out LOCK_PI may have
 * set FUTEX_WAITERS); FUTEX_WAKE_OP modifies the word at uaddr2.
 */
export const FUTEX_OPS = table(
  [
    [0, { name: 'FUTEX_WAIT', mayBlock: true }],
    [1, { name: 'FUTEX_WAKE' }],
    [2, { name: 'FUTEX_FD' }],
    [3, { name: 'FUTEX_REQUEUE' }],
    [4, { name: 'FUTEX_CMP_REQUEUE' }],
    [5, { name: 'FUTEX_WAKE_OP', out: [fixed(4, 4)] }],
    [6, { name: 'FUTEX_LOCK_PI', out: [fixed(0, 4, false)], mayBlock: true }],
    [7, { name: 'FUTEX_UNLOCK_PI', out: [fixed(0, 4, false)] }],
    [8, { name: 'FUTEX_TRYLOCK_PI', out: [fixed(0, 4, false)] }],
    [9, { name: 'FUTEX_WAIT_BITSET', mayBlock: true }],
    [10, { name: 'FUTEX_WAKE_BITSET' }],
    [11, { name: 'FUTEX_WAIT_REQUEUE_PI', out: [fixed(0, 4, false), fixed(4, 4, false)], mayBlock: true }],
    [12, { name: 'FUTEX_CMP_REQUEUE_PI', out: [fixed(4, 4, false)] }],
    [13, { name: 'FUTEX_LOCK_PI2', out: [fixed(0, 4, false)], mayBlock: true }],
  ],
  // FUTEX_CMD_MASK: drop FUTEX_PRIVATE_FLAG (128) and FUTEX_CLOCK_REALTIME (256).
  0x7f,
);

/** arch_prctl(op, addr): the GET ops store a u64 at addr. The syscall is 'execute'. */
export const ARCH_PRCTL_OPS = table([
  [0x1001, { name: 'ARCH_SET_GS' }],
  [0x1002, { name: 'ARCH_SET_FS' }],
  [0x1003, { name: 'ARCH_GET_FS', out: [fixed(1, 8)] }],
  [0x1004, { name: 'ARCH_GET_GS', out: [fixed(1, 8)] }],
  [0x1011, { name: 'ARCH_GET_CPUID' }],
  [0x1012, { name: 'ARCH_SET_CPUID' }],
  [0x1021, { name: 'ARCH_GET_XCOMP_SUPP', out: [fixed(1, 8)] }],
  [0x1022, { name: 'ARCH_GET_XCOMP_PERM', out: [fixed(1, 8)] }],
  [0x1023, { name: 'ARCH_REQ_XCOMP_PERM' }],
  [0x1024, { name: 'ARCH_GET_XCOMP_GUEST_PERM', out: [fixed(1, 8)] }],
  [0x1025, { name: 'ARCH_REQ_XCOMP_GUEST_PERM' }],
  // Maps a vDSO image: an mmap the replayer would have to reproduce.
  [0x2001, { name: 'ARCH_MAP_VDSO_X32', replay: 'unsupported' }],
  [0x2002, { name: 'ARCH_MAP_VDSO_32', replay: 'unsupported' }],
  [0x2003, { name: 'ARCH_MAP_VDSO_64', replay: 'unsupported' }],
  [0x4001, { name: 'ARCH_GET_UNTAG_MASK', out: [fixed(1, 8)] }],
  [0x4002, { name: 'ARCH_ENABLE_TAGGED_ADDR' }],
  [0x4003, { name: 'ARCH_GET_MAX_TAG_BITS', out: [fixed(1, 8)] }],
  [0x4004, { name: 'ARCH_FORCE_TAGGED_SVA' }],
  [0x5001, { name: 'ARCH_SHSTK_ENABLE' }],
  [0x5002, { name: 'ARCH_SHSTK_DISABLE' }],
  [0x5003, { name: 'ARCH_SHSTK_LOCK' }],
  [0x5004, { name: 'ARCH_SHSTK_UNLOCK' }],
  [0x5005, { name: 'ARCH_SHSTK_STATUS', out: [fixed(1, 8)] }],
]);

/** shmctl(id, cmd, buf) */
export const SHMCTL_OPS = table([
  [0, { name: 'IPC_RMID' }],
  [1, { name: 'IPC_SET' }],
  [2, { name: 'IPC_STAT', out: [fixed(2, S.shmidDs)] }],
  [3, { name: 'IPC_INFO', out: [fixed(2, S.shminfo)] }],
  [11, { name: 'SHM_LOCK' }],
  [12, { name: 'SHM_UNLOCK' }],
  [13, { name: 'SHM_STAT', out: [fixed(2, S.shmidDs)] }],
  [14, { name: 'SHM_INFO', out: [fixed(2, S.shmInfo)] }],
  [15, { name: 'SHM_STAT_ANY', out: [fixed(2, S.shmidDs)] }],
]);

/**
 * semctl(id, semnum, cmd, arg): arg (a union semun passed by value) is the pointer. GETALL
 * writes nsems shorts, and nsems is not among the arguments: unsupported.
 */
export const SEMCTL_OPS = table([
  [0, { name: 'IPC_RMID' }],
  [1, { name: 'IPC_SET' }],
  [2, { name: 'IPC_STAT', out: [fixed(3, S.semidDs)] }],
  [3, { name: 'IPC_INFO', out: [fixed(3, S.seminfo)] }],
  [11, { name: 'GETPID' }],
  [12, { name: 'GETVAL' }],
  [13, { name: 'GETALL', replay: 'unsupported' }],
  [14, { name: 'GETNCNT' }],
  [15, { name: 'GETZCNT' }],
  [16, { name: 'SETVAL' }],
  [17, { name: 'SETALL' }],
  [18, { name: 'SEM_STAT', out: [fixed(3, S.semidDs)] }],
  [19, { name: 'SEM_INFO', out: [fixed(3, S.seminfo)] }],
  [20, { name: 'SEM_STAT_ANY', out: [fixed(3, S.semidDs)] }],
]);

/** msgctl(id, cmd, buf) */
export const MSGCTL_OPS = table([
  [0, { name: 'IPC_RMID' }],
  [1, { name: 'IPC_SET' }],
  [2, { name: 'IPC_STAT', out: [fixed(2, S.msqidDs)] }],
  [3, { name: 'IPC_INFO', out: [fixed(2, S.msginfo)] }],
  [11, { name: 'MSG_STAT', out: [fixed(2, S.msqidDs)] }],
  [12, { name: 'MSG_INFO', out: [fixed(2, S.msginfo)] }],
  [13, { name: 'MSG_STAT_ANY', out: [fixed(2, S.msqidDs)] }],
]);

/**
 * seccomp(op, flags, args). Installing a filter is emulated: see PR_SET_SECCOMP above.
 * (The recorder must still keep the tracee's filter from hiding syscalls from it.)
 */
export const SECCOMP_OPS = table([
  [0, { name: 'SECCOMP_SET_MODE_STRICT' }],
  [1, { name: 'SECCOMP_SET_MODE_FILTER' }],
  [2, { name: 'SECCOMP_GET_ACTION_AVAIL' }],
  [3, { name: 'SECCOMP_GET_NOTIF_SIZES', out: [fixed(2, S.seccompNotifSizes)] }],
]);

const syslogRead = (): Outparam[] => [{ arg: 1, size: { kind: 'ret', capArg: 2 } }];

/** syslog(type, buf, len): only the READ types fill buf; the others ignore it. */
export const SYSLOG_OPS = table([
  [0, { name: 'SYSLOG_ACTION_CLOSE' }],
  [1, { name: 'SYSLOG_ACTION_OPEN' }],
  [2, { name: 'SYSLOG_ACTION_READ', out: syslogRead(), mayBlock: true }],
  [3, { name: 'SYSLOG_ACTION_READ_ALL', out: syslogRead() }],
  [4, { name: 'SYSLOG_ACTION_READ_CLEAR', out: syslogRead() }],
  [5, { name: 'SYSLOG_ACTION_CLEAR' }],
  [6, { name: 'SYSLOG_ACTION_CONSOLE_OFF' }],
  [7, { name: 'SYSLOG_ACTION_CONSOLE_ON' }],
  [8, { name: 'SYSLOG_ACTION_CONSOLE_LEVEL' }],
  [9, { name: 'SYSLOG_ACTION_SIZE_UNREAD' }],
  [10, { name: 'SYSLOG_ACTION_SIZE_BUFFER' }],
]);

/** sysfs(option, ...): option 2 copies a file system name of unstated length. */
export const SYSFS_OPS = table([
  [1, { name: 'GETFSIND' }],
  [2, { name: 'GETFSTYP', replay: 'unsupported' }],
  [3, { name: 'GETNFSTYPES' }],
]);

/** The tables the 'byOp' scatter uses, by syscall name. */
export const BY_OP_TABLES: Readonly<Record<string, OpTable>> = {
  futex: FUTEX_OPS,
  arch_prctl: ARCH_PRCTL_OPS,
  shmctl: SHMCTL_OPS,
  semctl: SEMCTL_OPS,
  msgctl: MSGCTL_OPS,
  seccomp: SECCOMP_OPS,
  syslog: SYSLOG_OPS,
  sysfs: SYSFS_OPS,
};

/** The op table a scatter of kind fcntl / prctl / byOp refers to (undefined for other kinds). */
export function opTableFor(def: SyscallDef, scatter: Scatter): OpTable | undefined {
  switch (scatter.kind) {
    case 'fcntl':
      return FCNTL_OPS;
    case 'prctl':
      return PRCTL_OPS;
    case 'byOp':
      return BY_OP_TABLES[def.name];
    default:
      return undefined;
  }
}

/** The op number an op table selects from the argument (low 32 bits, then the table's mask). */
export function opNumber(t: OpTable, arg: bigint): number {
  const v = Number(BigInt.asUintN(32, arg));
  return t.mask === undefined ? v : v & t.mask;
}

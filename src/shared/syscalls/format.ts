/**
 * One-line rendering of a syscall for `rrts dump`, strace style:
 *   openat(AT_FDCWD, 0x7ffc1234, O_RDONLY|O_CLOEXEC) = 3
 *   openat(AT_FDCWD, 0x7ffc1234, O_RDONLY) = -1 ENOENT
 * A trace holds registers and outparams, not the strings a call read, so 'str' arguments print
 * as pointers. Flag arguments print symbolically where FLAG_ARGS knows their set, else in hex.
 */
import * as os from 'os';
import type { ArgFormat, SyscallDef } from './types';
import { isErrorResult } from './resolve';

type FlagSet = {
  /** [mask, name], matched in order; multi-bit masks first */
  bits: ReadonlyArray<readonly [number, string]>;
  /** the low two bits are an access mode (O_RDONLY/O_WRONLY/O_RDWR) */
  accessMode?: boolean;
  /** the low two bits are a mapping type (MAP_SHARED/MAP_PRIVATE/MAP_SHARED_VALIDATE) */
  mapType?: boolean;
  /** the low byte is a signal (clone's exit signal) */
  lowSignal?: boolean;
  /** name of 0 */
  zero?: string;
};

const O_FLAGS: ReadonlyArray<readonly [number, string]> = [
  [0o4010000, 'O_SYNC'],
  [0o20200000, 'O_TMPFILE'],
  [0o100, 'O_CREAT'], [0o200, 'O_EXCL'], [0o400, 'O_NOCTTY'], [0o1000, 'O_TRUNC'],
  [0o2000, 'O_APPEND'], [0o4000, 'O_NONBLOCK'], [0o10000, 'O_DSYNC'], [0o20000, 'O_ASYNC'],
  [0o40000, 'O_DIRECT'], [0o100000, 'O_LARGEFILE'], [0o200000, 'O_DIRECTORY'],
  [0o400000, 'O_NOFOLLOW'], [0o1000000, 'O_NOATIME'], [0o2000000, 'O_CLOEXEC'],
  [0o10000000, 'O_PATH'],
];

const OPEN: FlagSet = { bits: O_FLAGS, accessMode: true };
/** pipe2, dup3, eventfd2, accept4...: the O_NONBLOCK / O_CLOEXEC values under other names */
const FD: FlagSet = { bits: O_FLAGS, zero: '0' };
const PROT: FlagSet = {
  bits: [[1, 'PROT_READ'], [2, 'PROT_WRITE'], [4, 'PROT_EXEC'], [0x01000000, 'PROT_GROWSDOWN'],
    [0x02000000, 'PROT_GROWSUP']],
  zero: 'PROT_NONE',
};
const MAP: FlagSet = {
  mapType: true,
  bits: [[0x10, 'MAP_FIXED'], [0x20, 'MAP_ANONYMOUS'], [0x40, 'MAP_32BIT'],
    [0x100, 'MAP_GROWSDOWN'], [0x800, 'MAP_DENYWRITE'], [0x1000, 'MAP_EXECUTABLE'],
    [0x2000, 'MAP_LOCKED'], [0x4000, 'MAP_NORESERVE'], [0x8000, 'MAP_POPULATE'],
    [0x10000, 'MAP_NONBLOCK'], [0x20000, 'MAP_STACK'], [0x40000, 'MAP_HUGETLB'],
    [0x80000, 'MAP_SYNC'], [0x100000, 'MAP_FIXED_NOREPLACE'], [0x4000000, 'MAP_UNINITIALIZED']],
};
const AT_BITS: ReadonlyArray<readonly [number, string]> = [
  [0x100, 'AT_SYMLINK_NOFOLLOW'], [0x400, 'AT_SYMLINK_FOLLOW'], [0x800, 'AT_NO_AUTOMOUNT'],
  [0x1000, 'AT_EMPTY_PATH'], [0x2000, 'AT_STATX_FORCE_SYNC'], [0x4000, 'AT_STATX_DONT_SYNC'],
  [0x8000, 'AT_RECURSIVE'],
];
const AT: FlagSet = { bits: [...AT_BITS, [0x200, 'AT_EACCESS']], zero: '0' };
const UNLINKAT: FlagSet = { bits: [[0x200, 'AT_REMOVEDIR']], zero: '0' };
const WAIT: FlagSet = {
  bits: [[1, 'WNOHANG'], [2, 'WUNTRACED'], [4, 'WEXITED'], [8, 'WCONTINUED'],
    [0x1000000, 'WNOWAIT'], [0x20000000, '__WNOTHREAD'], [0x40000000, '__WALL'],
    [0x80000000, '__WCLONE']],
  zero: '0',
};
const CLONE: FlagSet = {
  lowSignal: true,
  bits: [[0x100, 'CLONE_VM'], [0x200, 'CLONE_FS'], [0x400, 'CLONE_FILES'],
    [0x800, 'CLONE_SIGHAND'], [0x1000, 'CLONE_PIDFD'], [0x2000, 'CLONE_PTRACE'],
    [0x4000, 'CLONE_VFORK'], [0x8000, 'CLONE_PARENT'], [0x10000, 'CLONE_THREAD'],
    [0x20000, 'CLONE_NEWNS'], [0x40000, 'CLONE_SYSVSEM'], [0x80000, 'CLONE_SETTLS'],
    [0x100000, 'CLONE_PARENT_SETTID'], [0x200000, 'CLONE_CHILD_CLEARTID'],
    [0x400000, 'CLONE_DETACHED'], [0x800000, 'CLONE_UNTRACED'],
    [0x1000000, 'CLONE_CHILD_SETTID'], [0x2000000, 'CLONE_NEWCGROUP'],
    [0x4000000, 'CLONE_NEWUTS'], [0x8000000, 'CLONE_NEWIPC'], [0x10000000, 'CLONE_NEWUSER'],
    [0x20000000, 'CLONE_NEWPID'], [0x40000000, 'CLONE_NEWNET'], [0x80000000, 'CLONE_IO']],
};
const MSG: FlagSet = {
  bits: [[1, 'MSG_OOB'], [2, 'MSG_PEEK'], [4, 'MSG_DONTROUTE'], [8, 'MSG_CTRUNC'],
    [0x10, 'MSG_PROXY'], [0x20, 'MSG_TRUNC'], [0x40, 'MSG_DONTWAIT'], [0x80, 'MSG_EOR'],
    [0x100, 'MSG_WAITALL'], [0x200, 'MSG_FIN'], [0x400, 'MSG_SYN'], [0x800, 'MSG_CONFIRM'],
    [0x1000, 'MSG_RST'], [0x2000, 'MSG_ERRQUEUE'], [0x4000, 'MSG_NOSIGNAL'],
    [0x8000, 'MSG_MORE'], [0x10000, 'MSG_WAITFORONE'], [0x40000, 'MSG_BATCH'],
    [0x4000000, 'MSG_ZEROCOPY'], [0x20000000, 'MSG_FASTOPEN'], [0x40000000, 'MSG_CMSG_CLOEXEC']],
  zero: '0',
};

/** Which flag set each 'flags' argument uses, by syscall name and argument index. */
const FLAG_ARGS: Readonly<Record<string, Readonly<Record<number, FlagSet>>>> = {
  open: { 1: OPEN },
  openat: { 2: OPEN },
  mmap: { 2: PROT, 3: MAP },
  mprotect: { 2: PROT },
  pkey_mprotect: { 2: PROT },
  pipe2: { 1: FD },
  dup3: { 2: FD },
  eventfd2: { 1: FD },
  epoll_create1: { 0: FD },
  inotify_init1: { 0: FD },
  signalfd4: { 3: FD },
  timerfd_create: { 1: FD },
  accept4: { 3: FD },
  newfstatat: { 3: AT },
  statx: { 2: AT },
  fchownat: { 4: AT },
  linkat: { 4: AT },
  utimensat: { 3: AT },
  faccessat2: { 3: AT },
  fchmodat2: { 3: AT },
  execveat: { 4: AT },
  unlinkat: { 2: UNLINKAT },
  wait4: { 2: WAIT },
  waitid: { 3: WAIT },
  clone: { 0: CLONE },
  sendto: { 3: MSG },
  recvfrom: { 3: MSG },
  sendmsg: { 2: MSG },
  recvmsg: { 2: MSG },
  sendmmsg: { 3: MSG },
  recvmmsg: { 3: MSG },
};

/** Results that are addresses. */
const HEX_RESULTS = new Set(['mmap', 'mremap', 'brk', 'shmat']);

/** Kernel-internal restart codes a ptrace stop can show; os.constants.errno lacks them. */
const ERRNO_NAMES = new Map<number, string>([
  [512, 'ERESTARTSYS'], [513, 'ERESTARTNOINTR'], [514, 'ERESTARTNOHAND'],
  [515, 'ENOIOCTLCMD'], [516, 'ERESTART_RESTARTBLOCK'],
]);
for (const [name, n] of Object.entries(os.constants.errno)) {
  if (!ERRNO_NAMES.has(n)) ERRNO_NAMES.set(n, name);
}
// Linux's own name for 95 (ENOTSUP is the same number).
ERRNO_NAMES.set(95, 'EOPNOTSUPP');

const SIGNAL_NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(os.constants.signals)) {
  if (!SIGNAL_NAMES.has(n)) SIGNAL_NAMES.set(n, name);
}

const AT_FDCWD = -100;

const hex = (v: bigint): string => '0x' + v.toString(16);

function signalName(n: number): string {
  return SIGNAL_NAMES.get(n) ?? (n >= 34 && n <= 64 ? `SIGRT_${n - 34}` : String(n));
}

function formatFlags(v: bigint, set: FlagSet): string {
  if (BigInt.asUintN(64, v) >> 32n !== 0n) return hex(v);
  let rest = Number(v);
  const parts: string[] = [];
  if (set.accessMode) {
    parts.push(['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_ACCMODE'][rest & 3]);
    rest &= ~3;
  }
  if (set.mapType) {
    const type = rest & 3;
    parts.push(['0', 'MAP_SHARED', 'MAP_PRIVATE', 'MAP_SHARED_VALIDATE'][type]);
    rest &= ~3;
  }
  // clone's exit signal goes last, as strace prints it.
  const exitSignal = set.lowSignal ? rest & 0xff : 0;
  rest &= set.lowSignal ? ~0xff : ~0;
  for (const [mask, name] of set.bits) {
    if ((rest & mask) >>> 0 === mask >>> 0) {
      parts.push(name);
      rest = (rest & ~mask) >>> 0;
    }
  }
  if (rest !== 0) parts.push('0x' + (rest >>> 0).toString(16));
  if (exitSignal !== 0) parts.push(signalName(exitSignal));
  if (parts.length === 0) return set.zero ?? '0';
  return parts.join('|');
}

function formatArg(def: SyscallDef, i: number, fmt: ArgFormat, v: bigint): string {
  switch (fmt) {
    case 'fd': {
      const fd = Number(BigInt.asIntN(32, v));
      return fd === AT_FDCWD ? 'AT_FDCWD' : String(fd);
    }
    case 'int':
      return BigInt.asIntN(64, v).toString();
    case 'size':
      return BigInt.asUintN(64, v).toString();
    case 'hex':
      return hex(v);
    case 'ptr':
    case 'str':
      return v === 0n ? 'NULL' : hex(v);
    case 'signal':
      return signalName(Number(BigInt.asIntN(32, v)));
    case 'flags': {
      const set = FLAG_ARGS[def.name]?.[i];
      return set ? formatFlags(v, set) : hex(v);
    }
  }
}

/** The errno name for a positive errno, e.g. 2 -> ENOENT. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `E${errno}`;
}

export function formatResult(def: SyscallDef, ret: bigint): string {
  if (isErrorResult(ret)) return `-1 ${errnoName(Number(-BigInt.asIntN(64, ret)))}`;
  return HEX_RESULTS.has(def.name) ? hex(BigInt.asUintN(64, ret)) : BigInt.asIntN(64, ret).toString();
}

/**
 * `name(arg, ...) = result`. Arguments follow def.args (all six in hex for syscalls without
 * formats); `ret` undefined prints `= ?` (a call that has not returned, e.g. exit).
 */
export function formatSyscall(def: SyscallDef, args: readonly bigint[], ret?: bigint): string {
  const formats: readonly ArgFormat[] = def.args ?? Array<ArgFormat>(6).fill('hex');
  const shown = formats.map((f, i) => formatArg(def, i, f, args[i] ?? 0n));
  const result = ret === undefined ? '?' : formatResult(def, ret);
  return `${def.name}(${shown.join(', ')}) = ${result}`;
}

/**
 * The vocabulary of the syscall table (./table.ts): one declarative entry per x86-64 syscall,
 * read by the recorder (what to save), the replayer (emulate or execute) and `rrts dump`.
 *
 * Conventions (docs/syscalls.md explains them at length):
 * - `replay` says what replay does with the call:
 *   'emulate'  the call is skipped (PTRACE_SYSEMU); replay sets the recorded result and writes
 *              the recorded outparam bytes. The default: reads, stats, time, sockets...
 *   'execute'  the call changes state replay needs for real (memory layout, signal dispositions,
 *              masks, fs base): replay runs it in the tracee and checks the result matches.
 *   'special'  a hand-written handler in both recorder and replayer (mmap, execve, clone,
 *              exit...), named in `special`.
 *   'unsupported' effects not described yet: recording goes on (the call runs), but replay
 *              stops there with `unsupported syscall NAME (N) at event E`.
 * - `record` says what the recorder does:
 *   'trace'    (default) let it run, then save result and outparams;
 *   'deny'     do not run it; the tracee sees -`denyErrno` (e.g. rseq: the kernel would write
 *              cpu numbers into tracee memory behind our back);
 *   'refuse'   stop recording with a clear message (e.g. threads before they are supported).
 * - `outparams` lists the memory the kernel writes, each at the address in argument `arg`
 *   (skipped when that argument is NULL or the call failed), sized by a `Size` expression.
 *   The recorder reads those bytes after the call; replay writes them back. Inputs are not
 *   listed: replay never needs them (except stdio writes, see `stdioWrite`).
 */

/** How many bytes an outparam holds, evaluated after the syscall returned `ret` (>= 0). */
export type Size =
  /** a fixed-size struct */
  | { kind: 'fixed'; bytes: number }
  /** arg[arg] * scale bytes (scale defaults to 1; a fractional scale rounds up: mincore 1/4096) */
  | { kind: 'arg'; arg: number; scale?: number }
  /**
   * ret * scale bytes (scale defaults to 1): read() and friends, epoll_wait. With `capArg`, never
   * more than arg[capArg] * scale: the buffer the caller passed (recvfrom with MSG_TRUNC and
   * getxattr with size 0 return more than they wrote).
   */
  | { kind: 'ret'; scale?: number; capArg?: number }
  /** the u32 (socklen_t) stored at arg[arg] after the call, capped by its value before */
  | { kind: 'lenAt'; arg: number }
  /** an fd_set for nfds = arg[arg]: ceil(nfds / 64) * 8 bytes */
  | { kind: 'fdset'; arg: number };

export interface Outparam {
  /** index of the pointer argument (0 = rdi ... 5 = r9) */
  arg: number;
  size: Size;
  /** bytes past the pointer where the written region starts (msgrcv: mtext after the 8-byte mtype) */
  offset?: number;
  /** For in/out buffers the kernel fills only on success: default true (skip on error). */
  onlyOnSuccess?: boolean;
}

/**
 * Outparams whose layout needs walking tracee memory; the recorder's scatter collector
 * handles each by name (src/shared/syscalls/outparams.ts).
 * - 'iovec'     readv/preadv family: arg[arg] -> iovec[arg[countArg]], filled up to ret bytes;
 * - 'msghdr'    recvmsg: name, iovecs up to ret, control, and the msghdr's own length fields;
 * - 'mmsghdr'   recvmmsg: ret entries;
 * - 'ioctl'     by request (arg 1), see IOCTL_OUTPARAMS;
 * - 'fcntl'     by command (arg 1): F_GETLK writes a struct flock;
 * - 'sockopt'   getsockopt: optval sized by *optlen (arg 4), and optlen itself;
 * - 'prctl'     by option;
 * - 'byOp'      by the operation in arg[arg], from that syscall's table in ops.ts (futex: the PI
 *               ops and FUTEX_WAKE_OP write futex words; shmctl/semctl/msgctl; arch_prctl...).
 */
export type ScatterKind =
  | 'iovec' | 'msghdr' | 'mmsghdr' | 'ioctl' | 'fcntl' | 'sockopt' | 'prctl' | 'byOp';

export interface Scatter {
  kind: ScatterKind;
  arg: number;
  countArg?: number;
}

export type ReplayAction = 'emulate' | 'execute' | 'special' | 'unsupported';
export type RecordAction = 'trace' | 'deny' | 'refuse';

/** How `rrts dump` prints an argument. */
export type ArgFormat = 'int' | 'hex' | 'fd' | 'ptr' | 'str' | 'flags' | 'signal' | 'size';

export interface SyscallDef {
  nr: number;
  name: string;
  replay: ReplayAction;
  record?: RecordAction;
  /** errno the tracee sees when record is 'deny' (positive, e.g. 38 for ENOSYS) */
  denyErrno?: number;
  /** message when record is 'refuse' */
  refuseWhy?: string;
  /** the handler name for replay 'special' */
  special?: string;
  outparams?: Outparam[];
  scatter?: Scatter[];
  /** argument formats for dump; its length is the number of arguments */
  args?: ArgFormat[];
  /** write family: the buffer at arg `arg` (ret bytes, or iovecs if iovec) is what reaches stdout/stderr */
  stdioWrite?: { arg: number; iovec?: boolean; fdArg: number };
  /** The call may block for a long time (read on a pipe, poll, wait4...): used by the syscall buffer and scheduling. */
  mayBlock?: boolean;
}

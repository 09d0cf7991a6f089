/**
 * The contract between the gdb remote-protocol server and whatever owns the debuggee. In rrts that
 * is the replayer's timeline adapter; in tests it is an in-memory fake.
 *
 * Shape (after the gdbstub crate's "inlinable dyn extension traits"): a required {@link GdbTarget}
 * base that every target implements, plus optional capability objects. A capability that is absent
 * (`undefined`) is simply not advertised: the server leaves it out of `qSupported`, and the packets
 * that would use it get the empty reply that tells gdb "not supported", so gdb falls back or
 * reports the feature as unavailable. Nothing is hard-coded on the protocol side, so the
 * advertisement cannot drift from the implementation.
 *
 * Conventions that hold everywhere in this file:
 * - Addresses are unsigned 64-bit `bigint`s in the tracee's address space, never JS numbers.
 * - Thread ids (`tid`) are the tracee's kernel thread ids; `pid` is its thread-group id.
 * - Signal numbers are Linux x86-64 numbers (SIGTRAP = 5, SIGINT = 2, SIGUSR1 = 10 …). The server
 *   converts to and from gdb's own signal numbering on the wire.
 * - Every method that may take time returns a Promise. The server awaits one target call at a
 *   time, except {@link GdbTarget.interrupt}, which it calls while a resume is pending.
 * - Failures are reported by rejecting (or throwing) — preferably with a {@link TargetError}. A
 *   non-fatal error becomes an `Exx` reply to that one packet and the session carries on; only a
 *   `TargetError` with `fatal: true` ends the session.
 *
 * The gdbstub directory depends on nothing else in rrts: the replayer imports these types, never
 * the other way round.
 */

/** A tracee address (unsigned 64-bit). */
export type RemoteAddr = bigint;

/** Which way a resume runs. Reverse execution is a direction, not a separate operation. */
export type Direction = 'forward' | 'backward';

/** Half-open address range `[start, end)`. */
export interface AddressRange {
  readonly start: RemoteAddr;
  readonly end: RemoteAddr;
}

/** One resume as gdb asked for it, reduced to what an all-stop target needs. */
export interface ResumeRequest {
  readonly direction: Direction;
  /** `step`: execute (or, backward, un-execute) one instruction of `tid`. `continue`: run. */
  readonly action: 'continue' | 'step';
  /**
   * The thread gdb is resuming: for a step, the thread to step; for a continue, the thread gdb
   * considers current (all threads run, as recorded).
   */
  readonly tid: number;
  /**
   * Linux signal number gdb asked to deliver on resume (`C`, `S`, `vCont;C`). A replay cannot
   * inject signals that were not recorded; the target decides whether to honour, ignore or reject.
   */
  readonly signal?: number;
  /**
   * Range stepping (`vCont;r`), only with `action: 'step'` and `direction: 'forward'`: keep
   * stepping `tid` while its rip stays inside the range, and stop (SIGTRAP, no cause) as soon as it
   * leaves it — or earlier for any other reason (breakpoint, watchpoint, signal).
   */
  readonly range?: AddressRange;
}

/** Why a thread stopped, beyond its signal. Reported to gdb as a stop-reply field. */
export type StopCause =
  /**
   * Executed a software breakpoint inserted through {@link GdbTarget.breakpoints}. The thread's
   * rip must already point *at* the breakpoint address (not one past the int3), because the
   * server advertises `swbreak+` and gdb then does no pc adjustment of its own.
   */
  | { readonly type: 'swbreak' }
  /** Hit a hardware breakpoint inserted through {@link GdbTarget.hwBreakpoints}. */
  | { readonly type: 'hwbreak' }
  /** Triggered a watchpoint; `addr` is the data address that was accessed. */
  | { readonly type: 'watch' | 'rwatch' | 'awatch'; readonly addr: RemoteAddr };

/** Where the debuggee is after a resume (or, for `currentStop`, right now). */
export type StopReason =
  /** Thread `tid` stopped with Linux signal `signal` (SIGTRAP = 5 for steps and breakpoints). */
  | { readonly kind: 'signal'; readonly tid: number; readonly signal: number; readonly cause?: StopCause; readonly message?: string }
  /**
   * Replay ran out of recorded history: `'begin'` when running backward reached the start of the
   * trace, `'end'` when running forward reached its end. gdb prints
   * "No more reverse-execution history." and stays connected. `tid` is the thread now current.
   */
  | { readonly kind: 'noHistory'; readonly tid: number; readonly replaylog: 'begin' | 'end' }
  /** The process exited with this status (0–255). */
  | { readonly kind: 'exited'; readonly code: number }
  /** The process was killed by this Linux signal. */
  | { readonly kind: 'terminated'; readonly signal: number };

/**
 * A thread's registers in the kernel's own layouts. The server converts to gdb's amd64 register
 * numbering and owns the target description, so the target never sees gdb register numbers.
 */
export interface RegisterSnapshot {
  /**
   * The 216-byte `struct user_regs_struct` (PTRACE_GETREGS): r15 r14 r13 r12 rbp rbx r11 r10 r9 r8
   * rax rcx rdx rsi rdi orig_rax rip cs eflags rsp ss fs_base gs_base ds es fs gs, each 8 bytes
   * little-endian.
   */
  readonly user: Buffer;
  /**
   * The XSAVE area as PTRACE_GETREGSET NT_X86_XSTATE returns it: the legacy FXSAVE region (fcw at
   * 0, mxcsr at 24, st0–7 at 32, xmm0–15 at 160), the XSAVE header at 512 (XSTATE_BV at 512), and
   * the AVX upper halves (ymm_hi128) at 576. A 512-byte buffer (PTRACE_GETFPREGS) is accepted and
   * treated as FXSAVE with every component present. Registers the buffer is too short for are
   * reported to gdb as unavailable.
   */
  readonly xsave: Buffer;
}

/** CPU register files the recorded process had; decides the target description sent to gdb. */
export interface CpuFeatures {
  /** AVX state present (ymm0h–15h in the description, ymm_hi128 read from xsave offset 576). */
  readonly avx: boolean;
}

export interface ThreadInfo {
  readonly tid: number;
  /** Shown by `info threads` (from qXfer:threads:read and qThreadExtraInfo). */
  readonly name?: string;
}

/** The required base: what every target must provide. */
export interface GdbTarget {
  /** Thread-group id of the debuggee, used in `pPID.TID` thread ids and `process:` fields. */
  readonly pid: number;
  readonly cpu: CpuFeatures;

  /** Why the debuggee is stopped right now; answers gdb's `?` on (re)connect. */
  currentStop(): Promise<StopReason>;
  /** Live threads, the thread-group leader first. Must be non-empty while the process lives. */
  threads(): Promise<readonly ThreadInfo[]>;

  readRegisters(tid: number): Promise<RegisterSnapshot>;
  /**
   * Replace `tid`'s registers. The snapshot is the one last read with gdb's edits applied, so
   * everything gdb did not touch is byte-identical. A replay may refuse (throw a TargetError).
   */
  writeRegisters(tid: number, regs: RegisterSnapshot): Promise<void>;

  /**
   * Read up to `length` bytes at `addr`. Return fewer bytes when the range runs into unmapped
   * memory (gdb copes with short reads); return an empty buffer or throw when `addr` itself is
   * unreadable. `length` is at most a few tens of KiB.
   */
  readMemory(addr: RemoteAddr, length: number): Promise<Buffer>;
  /** Write all of `data` at `addr`, or throw. */
  writeMemory(addr: RemoteAddr, data: Buffer): Promise<void>;

  /**
   * Run until something stops the debuggee, then resolve with why. May take arbitrarily long: the
   * server keeps reading the socket meanwhile and calls {@link interrupt} if gdb sends Ctrl-C.
   * `direction: 'backward'` is only requested when {@link reverse} is present.
   */
  resume(request: ResumeRequest): Promise<StopReason>;
  /**
   * Ask the pending {@link resume} to stop as soon as possible; it should then resolve, normally
   * with a SIGINT signal stop of the current thread. Called only while a resume is pending, may
   * be called more than once, must not throw, and must return immediately.
   */
  interrupt(): void;

  /** Software breakpoints (Z0/z0). */
  readonly breakpoints?: BreakpointOps;
  /** Hardware breakpoints (Z1/z1). */
  readonly hwBreakpoints?: BreakpointOps;
  /** Watchpoints (Z2 write, Z3 read, Z4 access). */
  readonly watchpoints?: WatchpointOps;
  /** Running backward (bc/bs). */
  readonly reverse?: ReverseOps;
  /** The auxiliary vector (qXfer:auxv:read), which gdb uses to find the program's load address. */
  readonly auxv?: AuxvOps;
  /** The executable's path (qXfer:exec-file:read), so gdb can load symbols with no `file` given. */
  readonly execFile?: ExecFileOps;
  /** The current signal's siginfo_t (qXfer:siginfo:read, gdb's `$_siginfo`). */
  readonly siginfo?: SiginfoOps;
  /** Read-only host I/O (vFile:*), so gdb can read the traced binaries from the trace's copies. */
  readonly hostIo?: HostIoOps;
  /** `monitor <command>` (qRcmd). */
  readonly monitor?: MonitorOps;
}

/**
 * Breakpoint insertion. `kind` is gdb's breakpoint kind: the instruction length to patch, 1 for
 * x86 int3. Inserting the same address twice must be idempotent (gdb re-inserts on reconnect);
 * removing an address that is not inserted must not throw. A replay target keeps breakpoints on
 * its timeline; it does not write int3 into recorded memory where gdb could read it back.
 */
export interface BreakpointOps {
  insert(addr: RemoteAddr, kind: number): Promise<void>;
  remove(addr: RemoteAddr, kind: number): Promise<void>;
}

/** `write` = gdb `watch`, `read` = `rwatch`, `access` = `awatch`. */
export type WatchKind = 'write' | 'read' | 'access';

/** Watchpoints over `length` bytes at `addr`. Same idempotency rules as {@link BreakpointOps}. */
export interface WatchpointOps {
  /** Which kinds are supported; gdb gets an empty reply (unsupported) for the others. */
  readonly kinds: readonly WatchKind[];
  insert(kind: WatchKind, addr: RemoteAddr, length: number): Promise<void>;
  remove(kind: WatchKind, addr: RemoteAddr, length: number): Promise<void>;
}

/** Declares that {@link GdbTarget.resume} accepts `direction: 'backward'` for these actions. */
export interface ReverseOps {
  /** `continue` advertises ReverseContinue+ (bc), `step` advertises ReverseStep+ (bs). */
  readonly actions: readonly ('continue' | 'step')[];
}

export interface AuxvOps {
  /** The raw auxv bytes (pairs of little-endian u64), as /proc/PID/auxv had them. */
  read(): Promise<Buffer>;
}

export interface ExecFileOps {
  /** The executable path for `pid` as the tracee saw it; gdb then opens it through hostIo. */
  path(pid: number): Promise<string>;
}

export interface SiginfoOps {
  /** The 128-byte siginfo_t of the signal `tid` last stopped with. */
  read(tid: number): Promise<Buffer>;
}

/**
 * Host I/O, read-only. gdb asks for files by the path the tracee saw (`/usr/lib/libc.so.6`); the
 * target maps that to a local file (e.g. the trace's copy of the binary) and the server does the
 * open/pread/fstat/close itself with Node's fs. Writes, creation and deletion are always refused.
 */
export interface HostIoOps {
  /**
   * Local path to serve for `path`, or `null` if there is no such file (gdb gets ENOENT).
   * `pid` is the process whose filesystem gdb selected with vFile:setfs (the debuggee by default).
   */
  resolve(path: string, pid: number): Promise<string | null>;
  /**
   * Target of the symbolic link `path` (vFile:readlink), or `null` if it is not a link / unknown.
   * When absent, the server resolves `path` and reads the link on the host.
   */
  readlink?(path: string, pid: number): Promise<string | null>;
}

export interface MonitorOps {
  /** Run `monitor <command>`; the returned text is shown to the user as is. */
  run(command: string): Promise<string>;
}

/**
 * A target failure with a defined effect on the session. Non-fatal errors answer one packet with
 * `E<errno>`; fatal ones end the session after logging (the target is no longer usable).
 */
export class TargetError extends Error {
  /** Reported to gdb as `E` + two hex digits; 1 (EPERM) unless the cause is more specific. */
  readonly errno: number;
  readonly fatal: boolean;

  constructor(message: string, options: { errno?: number; fatal?: boolean } = {}) {
    super(message);
    this.name = 'TargetError';
    this.errno = options.errno ?? 1;
    this.fatal = options.fatal ?? false;
  }
}

/**
 * ReplaySession: runs the recorded program again and feeds it the recorded world, one event at
 * a time, forward only. (Going backwards is ReplayTimeline's job, built from sessions.)
 *
 * Position: `nextEvent` is the index of the next trace event to reproduce; the tracee is stopped
 * somewhere between event nextEvent-1 and event nextEvent. `advance()` runs the tracee until it
 * reaches that event (and applies it), or stops earlier at a breakpoint, watchpoint or single
 * step. Everything the tracee sees from outside comes from the trace:
 *
 *   emulated syscall  PTRACE_SYSEMU stop, check registers, set result, write outparams
 *   executed syscall  PTRACE_SYSCALL to entry and exit: runs for real (mprotect, rt_sigaction...)
 *   mmap / mremap     emulated, then redone in the tracee from the trace's copy of the file
 *   rdtsc             the trapped instruction gets the recorded counter
 *   signal            faults recur by themselves; sent signals are sent again at the same point
 */
import { rrtsSpawn } from '../shared/native/binding';
import { ptrace, last, PtraceRequest } from '../shared/native/ops';
import { Registers, RegName } from '../shared/registers';
import { Stop, PtraceEvent, decodeStop, describeStop, siginfoCode, siginfoPid } from '../shared/stop';
import { Tracee } from '../shared/tracee';
import { ErrnoError, UserError } from '../shared/errors';
import { installStubPage, scratchString, STUB_SYSCALL } from '../shared/stubPage';
import { patchVdso } from '../shared/vdso';
import { readMaps } from '../shared/procMaps';
import { applyTsc, decodeTscInstruction } from '../shared/rdtsc';
import { SIG, signalName } from '../shared/signals';
import { SpawnFlag } from '../shared/spawnFlags';
import { TraceReader } from '../trace/traceStream';
import { ExecEvent, SyscallEvent, TraceEvent, eventKind } from '../trace/schema';
import { syscallByNr, replayActionFor, SYS } from '../shared/syscalls';
import { replaySpecial } from './specialSyscalls';
import { DivergenceError, UnsupportedSyscallError } from './errors';
import * as fs from 'fs';
import { EmuFs } from './emuFs';

export type ReplayStop =
  /** reached (and applied) an event; `signal` when it was a signal delivery gdb may want to see */
  | { kind: 'event'; index: number; signal?: number }
  /** a SIGTRAP that is ours: breakpoint (rip already moved back onto it), single step, watchpoint */
  | { kind: 'trap'; regs: Registers; dr6: bigint; breakpoint?: bigint }
  /** the recording ends here: nothing more to replay */
  | { kind: 'end'; exit?: { code: number; signal: number } }
  /** the wait timed out (the tracee is running): call advance again to go on */
  | { kind: 'running' }
  /** interrupt() stopped the running tracee between events */
  | { kind: 'interrupted'; regs: Registers }
  /** a hit counter's signal stopped the tracee (AdvanceOptions.counterSignal) */
  | { kind: 'counter'; regs: Registers };

export interface AdvanceOptions {
  singleStep?: boolean;
  /** Breakpoint addresses currently inserted (int3 in memory), to recognise their traps. */
  isBreakpoint?(addr: bigint): boolean;
  /** Give the event loop a turn after this long without a stop (ms); default: block. */
  waitSliceMs?: number;
  /** A signal a hit counter of ours sends (see hitCounter.ts): reported as 'counter', not delivered. */
  counterSignal?: number;
}

/** Registers compared at every event: the ones the kernel does not legitimately change. */
const CHECKED: RegName[] = [
  'rip', 'rsp', 'rbp', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r12', 'r13', 'r14', 'r15',
  'orig_rax', 'fs_base',
];

/** rrts_spawn's stand-in for RLIM_INFINITY (INT64_MAX). */
const RLIM_INFINITY = (1n << 63n) - 1n;

/** Executed calls whose result names a task (tids differ in replay): the recorded one is given back. */
const RESULT_IS_IDENTITY = new Set(['set_tid_address']);

export interface ReplayOptions {
  /** write the recorded stdout/stderr output as it is replayed (true, or decided per event) */
  echoStdio: boolean | ((event: number) => boolean);
}

/** A frozen copy of a replay (see ReplaySession.checkpoint). */
export interface SessionCheckpoint {
  /** the stopped copy of the main process */
  tid: number;
  regs: Registers;
  nextEvent: number;
  pendingSignal: number;
  recTid: number;
  mainExited: boolean;
  mainExit?: { code: number; signal: number };
  exitedTasks: number[];
}

/**
 * Wait for the first stop of a process replay just created (the kernel's SIGSTOP for an
 * auto-attached child), letting it through anything before; false if it died instead.
 */
function awaitStartStop(tid: number): boolean {
  for (;;) {
    const s = decodeStop(last(ptrace.wait(tid).run()).data);
    if (s.kind === 'signal' && s.signal === SIG.SIGSTOP) return true;
    if (s.kind === 'exited' || s.kind === 'killed') return false;
    ptrace.resume(tid, PtraceRequest.Cont, 0);
  }
}

/** Wait for a process of ours to die (killing it first if asked), letting it through exit stops. */
function reapProcess(tid: number, kill: boolean): void {
  if (kill) ptrace.kill(tid, SIG.SIGKILL);
  for (let i = 0; i < 100; i++) {
    const w = last(ptrace.wait(tid, 2000).run(true));
    if (w.ret < 0) break;
    const st = decodeStop(w.data);
    if (st.kind === 'exited' || st.kind === 'killed' || st.kind === 'timeout') break;
    ptrace.resume(tid, PtraceRequest.Cont, 0);
  }
  ptrace.forget(tid).run(true);
}

/** Fork the stopped process `t` through the stub page; the child gets `regs` and stays stopped. */
function forkFrozen(t: Tracee, regs: Registers): number {
  const tid = Number(t.syscall(STUB_SYSCALL, SYS.clone, 0n, 0n, 0n, 0n, 0n));
  if (tid <= 0) throw new Error(`rrts: could not fork the replayed process for a checkpoint (${tid})`);
  if (!awaitStartStop(tid)) throw new Error('rrts: a checkpoint process died at birth');
  new Tracee(tid).setRegs(regs);
  return tid;
}

/** Kill a checkpoint's frozen process. */
export function dropCheckpoint(cp: SessionCheckpoint): void {
  reapProcess(cp.tid, true);
}

/** One replayed process (recorded tid -> the replay's own tid) and where it stands. */
export class ReplayTask {
  readonly tracee: Tracee;
  /** a signal to deliver with the next resume (the recorded delivery) */
  pendingSignal = 0;
  /** stopped at an emulated (skipped) syscall entry: PTRACE_SYSCALL would first report its exit */
  atEmulatedEntry = false;
  /** set while the task runs after a wait timed out: the request it was resumed with */
  waitingResumed?: PtraceRequest;
  interruptRequested = false;
  /** a signal already sent for the next signal event (see signalEnding) */
  signalSent?: number;
  /** reached its exit_group (the main task stays there, stopped) or died */
  exited = false;
  constructor(readonly recTid: number, readonly tid: number) {
    this.tracee = new Tracee(tid);
  }
}

export class ReplaySession {
  readonly prog = ptrace;
  /** tasks by recorded tid */
  readonly tasks = new Map<number, ReplayTask>();
  /** the recording's first process: the one gdb debugs */
  main!: ReplayTask;
  /** the task of the event being replayed */
  private cur!: ReplayTask;
  nextEvent = 0;
  /** set once the last event has been applied */
  finished?: { code: number; signal: number } | true;
  /** called when replay creates a process (the timeline takes its breakpoints out of it) */
  onNewTask?: (t: ReplayTask, parent: ReplayTask, sharesMemory: boolean) => void;

  get pid(): number {
    return this.main.tid;
  }
  get tracee(): Tracee {
    return this.main.tracee;
  }
  /**
   * A process replay just created for the recorded task `recTid`: wait for its first stop (the
   * kernel's SIGSTOP for auto-attached children) and start tracking it.
   */
  adoptChild(recTid: number, tid: number, parent: ReplayTask, sharesMemory: boolean): ReplayTask {
    if (!awaitStartStop(tid)) throw new DivergenceError(this.nextEvent, 'CLONE', 'the new process died at birth');
    const child = new ReplayTask(recTid, tid);
    this.tasks.set(recTid, child);
    this.onNewTask?.(child, parent, sharesMemory);
    return child;
  }

  private isReplayTask(tid: number): boolean {
    for (const t of this.tasks.values()) if (t.tid === tid) return true;
    return false;
  }

  /** The task whose event is being replayed (for handlers). */
  get current(): ReplayTask {
    return this.cur;
  }

  readonly emuFs: EmuFs;

  /** `emuFs` is shared by the sessions of one timeline (checkpoints see the same file copies). */
  constructor(readonly reader: TraceReader, readonly opts: ReplayOptions, emuFs?: EmuFs) {
    this.emuFs = emuFs ?? new EmuFs();
  }

  /**
   * Freeze a copy of the replay here: a fork of the process (injected through the stub page),
   * left stopped, plus this session's bookkeeping. Only while the main process is the only one
   * alive (a copy of several processes is not supported yet) and stopped between moves.
   */
  checkpoint(): SessionCheckpoint | undefined {
    const others = [...this.tasks.values()].some((t) => t !== this.main && !t.exited);
    const m = this.main;
    if (others || this.finished || m.waitingResumed !== undefined || (m.exited && this.mainExit?.signal)) return undefined;
    const regs = m.tracee.getRegs();
    const tid = forkFrozen(m.tracee, regs);
    m.atEmulatedEntry = false;
    return {
      tid, regs, nextEvent: this.nextEvent, pendingSignal: m.pendingSignal, recTid: m.recTid,
      mainExited: m.exited, mainExit: this.mainExit,
      exitedTasks: [...this.tasks.values()].filter((t) => t.exited && t !== m).map((t) => t.recTid),
    };
  }

  /** A live session continuing from a checkpoint (the checkpoint itself stays as it is). */
  static fromCheckpoint(cp: SessionCheckpoint, reader: TraceReader, opts: ReplayOptions, emuFs: EmuFs): ReplaySession {
    const s = new ReplaySession(reader, opts, emuFs);
    const tid = forkFrozen(new Tracee(cp.tid), cp.regs);
    s.main = s.cur = new ReplayTask(cp.recTid, tid);
    s.main.pendingSignal = cp.pendingSignal;
    s.main.exited = cp.mainExited;
    s.mainExit = cp.mainExit;
    s.tasks.set(cp.recTid, s.main);
    for (const t of cp.exitedTasks) {
      const gone = new ReplayTask(t, -1);
      gone.exited = true;
      s.tasks.set(t, gone);
    }
    s.nextEvent = cp.nextEvent;
    return s;
  }

  get eventCount(): number {
    return this.reader.eventCount;
  }

  /** Spawn the program and bring it to its first instruction, exactly as recorded. */
  start(): void {
    const execIndex = this.findExec();
    const exec = this.reader.event(execIndex).exec!;
    const exe = exec.exeFile ? this.reader.filePath(exec.exeFile) : exec.exe;
    if (!fs.existsSync(exe)) throw new UserError(`rrts: trace ${this.reader.dir} lacks the program's executable (${exe})`);
    const h = this.reader.header;
    const pid = rrtsSpawn({
      path: exe, argv: h.argv, env: h.env, cwd: '/',
      flags: SpawnFlag.NoAslr | SpawnFlag.TrapTsc | SpawnFlag.NullStdio | SpawnFlag.NoCore,
      // The stack limit decides where mmap puts things: use the recorded one (-1 = unlimited).
      allowIp: 0n, stackLimit: (h.stackLimit ?? -1) < 0 ? RLIM_INFINITY : BigInt(h.stackLimit),
    });
    if (pid < 0) throw new ErrnoError(-pid, `rrts: cannot start ${exe}`);
    this.main = this.cur = new ReplayTask(h.pid, pid);
    this.tasks.set(h.pid, this.main);
    // Run the spawn's execve: the exec event, then its exit stop (registers set earlier would be
    // overwritten by execve's return).
    let stop = this.resumeWait(PtraceRequest.Cont);
    if (stop.kind !== 'event' || stop.event !== PtraceEvent.Exec) {
      throw new UserError(`rrts: replay could not start ${exe}: ${describeStop(stop)}`);
    }
    stop = this.resumeWait(PtraceRequest.Syscall);
    if (stop.kind !== 'syscall') throw new UserError(`rrts: replay could not start ${exe}: ${describeStop(stop)}`);
    this.applyExec(execIndex, exec);
    this.nextEvent = execIndex + 1;
  }

  private findExec(): number {
    for (let i = 0; i < Math.min(this.reader.eventCount, 4); i++) if (this.reader.event(i).exec) return i;
    throw new UserError(`rrts: trace ${this.reader.dir} has no exec event: nothing to replay`);
  }

  /**
   * At a program's execve entry stop (skipped): exec the trace's copy of the recorded binary in
   * its place, then apply the Exec event at `execIndex`. Returns 'end' so the caller leaves the
   * registers alone: they are the new image's now.
   */
  execNewImage(execIndex: number, exec: ExecEvent, args: bigint[]): 'end' {
    const exe = exec.exeFile ? this.reader.filePath(exec.exeFile) : exec.exe;
    const regs = this.cur.tracee.getRegs();
    regs.set('rip', STUB_SYSCALL).set('rax', BigInt(SYS.execve)).set('orig_rax', -1n);
    regs.set('rdi', scratchString(this.cur.tracee, exe)).set('rsi', args[1]).set('rdx', args[2]);
    this.cur.tracee.setRegs(regs);
    let stop = this.resumeWait(PtraceRequest.Cont);
    if (stop.kind !== 'event' || stop.event !== PtraceEvent.Exec) {
      throw new DivergenceError(execIndex - 1, 'EXECVE', `exec of ${exe} failed in replay: ${describeStop(stop)}`);
    }
    stop = this.resumeWait(PtraceRequest.Syscall);
    if (stop.kind !== 'syscall') throw new DivergenceError(execIndex - 1, 'EXECVE', describeStop(stop));
    this.prog.forget(this.cur.tid);
    this.applyExec(execIndex, exec);
    this.cur.atEmulatedEntry = false;
    this.nextEvent = execIndex + 1;
    return 'end';
  }

  /** Make the fresh process identical to the recorded one at its first instruction. */
  private applyExec(index: number, exec: ExecEvent): void {
    const maps = readMaps(this.cur.tid);
    for (const want of exec.maps ?? []) {
      if (!['[stack]', '[vdso]', '[vvar]'].includes(want.path) && !want.file) continue;
      const got = maps.find((m) => Number(m.start) === want.start);
      if (!got || Number(got.end) !== want.end && want.path !== '[stack]') {
        throw new DivergenceError(index, 'exec',
          `mapping ${want.path} at 0x${want.start.toString(16)}-0x${want.end.toString(16)} is ${got ? `0x${got.start.toString(16)}-0x${got.end.toString(16)}` : 'missing'} in replay`);
      }
    }
    const regs = new Registers(Buffer.from(exec.regs));
    const stack = maps.find((m) => m.path === '[stack]');
    if (!stack || Number(stack.end) !== exec.stackTop) {
      throw new DivergenceError(index, 'exec', `the initial stack ends at ${stack ? '0x' + stack.end.toString(16) : 'nowhere'}, recorded 0x${exec.stackTop.toString(16)}`);
    }
    this.cur.tracee.write(regs.rsp, Buffer.from(exec.stack));
    this.cur.tracee.setRegs(regs);
    installStubPage(this.cur.tracee, regs.rip);
    patchVdso(this.cur.tracee, maps);
  }

  private resumeWait(req: PtraceRequest, sig = 0): Stop {
    const r = this.prog.resume(this.cur.tid, req, sig).wait(this.cur.tid).run();
    return decodeStop(r[r.length - 1].data);
  }

  /** Describe the event about to be replayed, for messages. */
  eventName(i: number): string {
    if (i >= this.reader.eventCount) return 'END';
    const e = this.reader.event(i);
    const k = eventKind(e);
    if (e.syscall) return syscallByNr(e.syscall.nr).name.toUpperCase();
    if (e.signal) return signalName(e.signal.signo);
    return k.toUpperCase();
  }

  /**
   * Run until the next event is reproduced, or until a trap of ours. Throws DivergenceError if
   * the program does something the recording did not.
   */
  advance(o: AdvanceOptions = {}): ReplayStop {
    if (this.finished) return { kind: 'end', exit: this.finished === true ? undefined : this.finished };
    if (this.nextEvent >= this.reader.eventCount) return this.finish();
    const index = this.nextEvent;
    const ev = this.reader.event(index);
    if (ev.end) return this.finish(ev);
    const task = this.tasks.get(ev.tid);
    if (!task) throw new DivergenceError(index, this.eventName(index), `no replayed process for recorded task ${ev.tid}`);
    this.cur = task;
    if (ev.exit) {
      this.exitTask(task, ev.exit);
      this.nextEvent = index + 1;
      return { kind: 'event', index };
    }
    if (task.exited) throw new DivergenceError(index, this.eventName(index), `recorded task ${ev.tid} already exited in replay`);
    if (ev.exec) throw new DivergenceError(index, 'EXEC', 'a new program image without its execve');

    const resumed = this.cur.waitingResumed;
    if (ev.signal && !ev.signal.fault && !resumed) {
      // A sent signal: send it again now (unless already sent), then find its delivery stop below.
      if (this.cur.signalSent !== ev.signal.signo) this.prog.kill(this.cur.tid, ev.signal.signo);
      this.cur.signalSent = undefined;
    }
    const firstStop = resumed ? this.cur.waitingResumed! : this.firstStopRequest(ev, o.singleStep ?? false);
    if (firstStop === 'step-over-syscall') return this.stepOverSyscall(o);
    const sig = this.cur.pendingSignal;
    this.cur.pendingSignal = 0;
    let stop = this.resumeWaitSliced(firstStop, sig, o.waitSliceMs, !!resumed);
    if (stop.kind === 'timeout') return { kind: 'running' };
    // From an emulated entry, PTRACE_SYSCALL first reports that (skipped) call's exit: not ours.
    while (stop.kind === 'syscall' && stop.op === 'exit' && this.cur.atEmulatedEntry) {
      this.cur.atEmulatedEntry = false;
      stop = this.resumeWait(firstStop);
    }
    this.cur.atEmulatedEntry = false;
    // Replay's own children die when replay reaps them; the kernel tells their parent (exit
    // signals come back at exec). The recording's SIGCHLDs are events of their own: drop these.
    while (stop.kind === 'signal' && stop.signal === SIG.SIGCHLD && ev.signal?.signo !== SIG.SIGCHLD &&
      this.isReplayTask(siginfoPid(stop.siginfo))) {
      stop = this.resumeWait(firstStop);
    }

    if (o.counterSignal && stop.kind === 'signal' && stop.signal === o.counterSignal && this.cur === this.main) {
      return { kind: 'counter', regs: stop.regs };
    }
    if (this.cur.interruptRequested && stop.kind === 'signal' && stop.signal === SIG.SIGSTOP) {
      this.cur.interruptRequested = false;
      return { kind: 'interrupted', regs: stop.regs };
    }
    if (stop.kind === 'signal' && stop.signal === SIG.SIGTRAP && !this.expectsTrap(ev)) {
      return this.trap(stop, o);
    }
    this.reach(index, ev, stop);
    if (this.nextEvent <= index) this.nextEvent = index + 1;
    return { kind: 'event', index, signal: ev.signal?.signo };
  }

  /** Continue until the event loop should get a turn; `running` means "call me again". */
  private resumeWaitSliced(req: PtraceRequest, sig: number, sliceMs: number | undefined, alreadyRunning: boolean): Stop {
    if (!alreadyRunning) this.prog.resume(this.cur.tid, req, sig);
    const r = this.prog.wait(this.cur.tid, sliceMs ?? -1).run();
    const stop = decodeStop(r[r.length - 1].data);
    this.cur.waitingResumed = stop.kind === 'timeout' ? req : undefined;
    return stop;
  }


  /** Stop a tracee that is running after a timed-out advance (gdb's Ctrl-C). */
  interrupt(): void {
    if (this.cur.waitingResumed === undefined) return;
    this.cur.interruptRequested = true;
    this.prog.kill(this.cur.tid, SIG.SIGSTOP).run(true);
  }


  private expectsTrap(ev: TraceEvent): boolean {
    return !!ev.signal && ev.signal.signo === SIG.SIGTRAP;
  }

  private trap(stop: Extract<Stop, { kind: 'signal' }>, o: AdvanceOptions): ReplayStop {
    const regs = stop.regs;
    const bp = regs.rip - 1n;
    if (o.isBreakpoint?.(bp) && siginfoCode(stop.siginfo) === 0x80 /* SI_KERNEL: int3 */) {
      const back = regs.clone().set('rip', bp);
      this.cur.tracee.setRegs(back);
      return { kind: 'trap', regs: back, dr6: stop.dr6, breakpoint: bp };
    }
    return { kind: 'trap', regs, dr6: stop.dr6 };
  }

  /** Which resume brings the tracee to the first stop of event `ev`. */
  private firstStopRequest(ev: TraceEvent, singleStep: boolean): PtraceRequest | 'step-over-syscall' {
    if (ev.syscall && this.executesInPlace(ev.syscall)) {
      if (singleStep) return this.atSyscallInstruction() ? 'step-over-syscall' : PtraceRequest.SingleStep;
      return PtraceRequest.Syscall;
    }
    return singleStep ? PtraceRequest.SysEmuSingleStep : PtraceRequest.SysEmu;
  }

  private atSyscallInstruction(): boolean {
    const rip = this.cur.tracee.getRegs().rip;
    const code = this.cur.tracee.read(rip, 2);
    return code.length === 2 && code[0] === 0x0f && code[1] === 0x05;
  }

  /** Single-stepping onto an executed syscall: replay the whole call, and call that the step. */
  private stepOverSyscall(o: AdvanceOptions): ReplayStop {
    const r = this.advance({ ...o, singleStep: false });
    if (r.kind !== 'event') return r;
    return { kind: 'trap', regs: this.cur.tracee.getRegs(), dr6: 0x4000n /* BS: single step */ };
  }

  /**
   * rt_sigsuspend swaps the signal mask for the length of the call, and the kernel delivers the
   * signal that ends it with the temporary mask, then restores the old one. Emulating it would
   * leave the signal blocked; so when the recording has a delivery right after it, replay sends
   * that signal first and runs rt_sigsuspend for real, which returns at once, as recorded.
   */
  private signalEnding(index: number, s: SyscallEvent): number | undefined {
    if (syscallByNr(s.nr).name !== 'rt_sigsuspend') return undefined;
    const tid = this.reader.event(index).tid;
    for (let i = index + 1; i < Math.min(this.reader.eventCount, index + 32); i++) {
      const e = this.reader.event(i);
      if (e.tid !== tid) continue;
      return e.signal && !e.signal.fault ? e.signal.signo : undefined;
    }
    return undefined;
  }

  private executesInPlace(s: SyscallEvent, index = this.nextEvent): boolean {
    if (this.signalEnding(index, s) !== undefined) return true;
    const def = syscallByNr(s.nr);
    const args = this.args(s);
    const action = def.replay === 'special' ? replaySpecial[def.special ?? def.name]?.action ?? 'emulate' : replayActionFor(def, args, BigInt(s.result ?? 0));
    return action === 'execute' && !s.denied;
  }

  private args(s: SyscallEvent): bigint[] {
    const r = new Registers(Buffer.from(s.regs));
    return [0, 1, 2, 3, 4, 5].map((i) => r.arg(i));
  }

  /** The tracee stopped where event `ev` starts: check it, then apply the event. */
  private reach(index: number, ev: TraceEvent, stop: Stop): void {
    if (ev.syscall) return this.reachSyscall(index, ev.syscall, stop);
    if (ev.rdtsc) {
      if (stop.kind !== 'signal' || stop.signal !== SIG.SIGSEGV) throw this.unexpected(index, stop);
      this.compareRegs(index, new Registers(Buffer.from(ev.rdtsc.regs)), stop.regs);
      const insn = decodeTscInstruction(this.cur.tracee.read(stop.regs.rip, 3));
      if (!insn) throw new DivergenceError(index, 'RDTSC', `no rdtsc instruction at 0x${stop.regs.rip.toString(16)}`);
      const tsc = Buffer.from(ev.rdtsc.tsc).readBigUInt64LE();
      this.prog.setRegs(this.cur.tid, applyTsc(stop.regs, insn, tsc, ev.rdtsc.aux ?? 0).buf);
      return;
    }
    if (ev.signal) {
      if (stop.kind !== 'signal' || stop.signal !== ev.signal.signo) throw this.unexpected(index, stop);
      this.compareRegs(index, new Registers(Buffer.from(ev.signal.regs)), stop.regs);
      if (!ev.signal.fault) this.prog.setSiginfo(this.cur.tid, Buffer.from(ev.signal.siginfo));
      this.cur.pendingSignal = ev.signal.signo;
      return;
    }
    throw new DivergenceError(index, this.eventName(index), 'event kind not replayable');
  }

  private reachSyscall(index: number, s: SyscallEvent, stop: Stop): void {
    const name = syscallByNr(s.nr).name.toUpperCase();
    if (stop.kind !== 'syscall' || stop.op === 'exit') throw this.unexpected(index, stop);
    const recorded = new Registers(Buffer.from(s.regs));
    this.compareRegs(index, recorded, stop.regs);
    if (s.unsupported) {
      throw new UnsupportedSyscallError(`unsupported syscall ${syscallByNr(s.nr).name} (${s.nr}) at event ${index}`);
    }
    const def = syscallByNr(s.nr);
    const result = BigInt(s.result ?? 0);
    if (this.executesInPlace(s, index)) {
      // Entry stop of a real call: let it run, check its result.
      const ending = this.signalEnding(index, s);
      if (ending !== undefined) {
        this.prog.kill(this.cur.tid, ending);
        this.cur.signalSent = ending;
      }
      const exit = this.resumeWait(PtraceRequest.Syscall);
      if (exit.kind !== 'syscall') throw this.unexpected(index, exit);
      const got = exit.regs.getSigned('rax');
      if (RESULT_IS_IDENTITY.has(def.name)) {
        if (got !== result) this.prog.setRegs(this.cur.tid, exit.regs.clone().set('rax', result).buf);
      } else if (def.name !== 'rt_sigreturn' && got !== result) {
        throw new DivergenceError(index, name, `result expected ${result}, got ${got}`);
      }
      this.applyWrites(s);
      return;
    }
    this.cur.atEmulatedEntry = true;
    const special = def.replay === 'special' ? replaySpecial[def.special ?? def.name] : undefined;
    if (special?.atEntry) {
      const r = special.atEntry({ session: this, event: s, index, args: this.args(s), result });
      if (r === 'end') return;
    }
    // r11 is the flags the syscall instruction saved: a single step over it leaves TF there,
    // which the recorded program never had.
    this.prog.setRegs(this.cur.tid, stop.regs.clone().set('rax', result).set('r11', recorded.get('r11')).buf);
    this.applyWrites(s);
  }

  private applyWrites(s: SyscallEvent): void {
    for (const w of s.writes ?? []) this.prog.write(this.cur.tid, BigInt(w.addr), Buffer.from(w.data));
    const echo = typeof this.opts.echoStdio === 'function' ? this.opts.echoStdio(this.nextEvent) : this.opts.echoStdio;
    if (s.stdioFd && s.stdioData && echo) fs.writeSync(s.stdioFd, Buffer.from(s.stdioData));
    if (s.fileWrite) this.emuFs.write(s.fileWrite.fileId, s.fileWrite.offset, s.fileWrite.data);
  }

  compareRegs(index: number, want: Registers, got: Registers): void {
    for (const r of CHECKED) {
      if (want.get(r) !== got.get(r)) {
        throw new DivergenceError(index, this.eventName(index),
          `${r} expected 0x${want.get(r).toString(16)}, got 0x${got.get(r).toString(16)}`);
      }
    }
  }

  private unexpected(index: number, stop: Stop): DivergenceError {
    let what = describeStop(stop);
    if (stop.kind === 'syscall') what = `syscall ${syscallByNr(stop.regs.syscallNo).name} at 0x${stop.regs.rip.toString(16)}`;
    if (stop.kind === 'signal') what = `${signalName(stop.signal)} at 0x${stop.regs.rip.toString(16)}`;
    return new DivergenceError(index, this.eventName(index), `the program stopped with ${what} instead`);
  }

  /** The recording is over: the last events were applied (or the trace stops here). */
  private finish(_ev?: TraceEvent): ReplayStop {
    this.nextEvent = this.reader.eventCount;
    this.finished = this.mainExit ?? true;
    return { kind: 'end', exit: this.mainExit };
  }

  /** The main process's recorded outcome, once its Exit event was replayed. */
  private mainExit?: { code: number; signal: number };

  /**
   * A task's Exit event. A recorded killing signal kills it again; another task that exited is
   * reaped (its exit_group was not executed); the main task stays stopped at its exit_group, so
   * the debugger can still look at it and go back.
   */
  private exitTask(task: ReplayTask, exit: { code?: number; signal?: number }): void {
    const signal = exit.signal ?? 0;
    if (task === this.main) this.mainExit = { code: exit.code ?? 0, signal };
    if (signal && task.pendingSignal === signal) {
      this.prog.resume(task.tid, PtraceRequest.Cont, signal);
      task.pendingSignal = 0;
      reapProcess(task.tid, false);
    } else if (task !== this.main) {
      reapProcess(task.tid, true);
    }
    task.exited = true;
  }

  /** End the replayed processes (they never exit by themselves: exit_group is not executed). */
  kill(disposeFiles = true): void {
    if (disposeFiles) this.emuFs.dispose();
    for (const t of this.tasks.values()) {
      if ((t.exited && t !== this.main) || t.tid < 0) continue;
      reapProcess(t.tid, true);
      t.exited = true;
    }
    this.prog.run(true);
  }
}

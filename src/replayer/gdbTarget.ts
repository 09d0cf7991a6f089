/**
 * The replay as gdb sees it: implements the gdbstub's GdbTarget over a ReplayTimeline.
 *
 * Breakpoints are int3 bytes the timeline keeps in the tracee (hidden from memory reads);
 * watchpoints use the debug registers, plus a check of the memory each emulated syscall wrote
 * (the kernel's writes in the recording are our process_vm_writev in replay, which no debug
 * register sees). Reverse execution is the timeline's.
 */
import {
  GdbTarget, StopReason, RegisterSnapshot, ResumeRequest, ThreadInfo, BreakpointOps, WatchpointOps,
  WatchKind, ReverseOps, AuxvOps, ExecFileOps, HostIoOps, MonitorOps, SiginfoOps, TargetError,
} from '../gdbstub';
import { SIG } from '../shared/signals';
import { Registers } from '../shared/registers';
import { ReplayTimeline, TimelineStop } from './timeline';
import { monitorCommands } from './monitor';

export class ReplayGdbTarget implements GdbTarget {
  readonly cpu = { avx: true };
  private last: StopReason;
  private interruptRequested = false;
  /** registers gdb wrote since the last stop: resuming from them would diverge */
  private dirty = false;

  constructor(readonly timeline: ReplayTimeline) {
    this.last = { kind: 'signal', tid: timeline.tid, signal: SIG.SIGTRAP };
  }

  get pid(): number {
    return this.timeline.tid;
  }

  async currentStop(): Promise<StopReason> {
    return this.last;
  }

  async threads(): Promise<readonly ThreadInfo[]> {
    return [{ tid: this.timeline.tid, name: this.timeline.programName }];
  }

  async readRegisters(_tid: number): Promise<RegisterSnapshot> {
    return { user: this.timeline.registers().buf, xsave: this.timeline.fpRegisters() };
  }

  /**
   * Registers may be changed to look at things (`print $rax = 1`), but not the program counter:
   * `call` and `jump` move it, and running from there would leave the recording behind. Any
   * change is undone before the replay goes on.
   */
  async writeRegisters(_tid: number, regs: RegisterSnapshot): Promise<void> {
    const now = this.timeline.registers();
    const next = new Registers(regs.user);
    if (next.rip !== now.rip) {
      throw new TargetError('rrts: cannot move the program counter in a replay (`call`, `jump`): the recording would diverge');
    }
    if (!now.buf.equals(regs.user)) {
      this.timeline.setRegisters(next);
      this.dirty = true;
    }
  }

  async readMemory(addr: bigint, length: number): Promise<Buffer> {
    const data = this.timeline.readMemory(addr, length);
    if (data.length === 0 && length > 0) throw new TargetError(`cannot read memory at 0x${addr.toString(16)}`, { errno: 14 });
    return data;
  }

  async writeMemory(addr: bigint, data: Buffer): Promise<void> {
    this.timeline.writeMemory(addr, data);
    this.dirty = true;
  }

  async resume(req: ResumeRequest): Promise<StopReason> {
    if (this.dirty) {
      // What gdb wrote was for looking only: the replay goes on from the recorded state.
      this.dirty = false;
      this.timeline.undoDebuggerWrites();
    }
    this.interruptRequested = false;
    const stop = await this.timeline.resume({
      direction: req.direction, step: req.action === 'step', range: req.range,
      interrupted: () => this.interruptRequested,
    });
    this.timeline.forgetDebuggerWrites();
    const reason = this.toStopReason(stop);
    // `?` repeats the stop later: without the console text, which belongs to this resume only.
    this.last = reason.kind === 'signal' ? { ...reason, message: undefined } : reason;
    return reason;
  }

  interrupt(): void {
    this.interruptRequested = true;
    this.timeline.interrupt();
  }

  private toStopReason(s: TimelineStop): StopReason {
    const tid = this.timeline.tid;
    switch (s.kind) {
      case 'breakpoint': return { kind: 'signal', tid, signal: SIG.SIGTRAP, cause: { type: 'swbreak' } };
      case 'watchpoint': return { kind: 'signal', tid, signal: SIG.SIGTRAP, cause: { type: s.watch, addr: s.addr } };
      case 'step': return { kind: 'signal', tid, signal: SIG.SIGTRAP };
      case 'signal': return { kind: 'signal', tid, signal: s.signal };
      case 'interrupted': return { kind: 'signal', tid, signal: SIG.SIGINT };
      // rr's convention: the end of the recording is a SIGKILL stop, so the process stays
      // inspectable and reverse execution can go back from there.
      case 'end': return { kind: 'signal', tid, signal: SIG.SIGKILL, message: this.timeline.endMessage() };
      case 'historyStart': return { kind: 'noHistory', tid, replaylog: 'begin' };
    }
  }

  readonly breakpoints: BreakpointOps = {
    insert: async (addr) => this.timeline.addBreakpoint(addr),
    remove: async (addr) => this.timeline.removeBreakpoint(addr),
  };

  readonly hwBreakpoints: BreakpointOps = this.breakpoints;

  readonly watchpoints: WatchpointOps = {
    kinds: ['write', 'read', 'access'],
    insert: async (kind: WatchKind, addr, length) => {
      if (!this.timeline.addWatchpoint(kind, addr, length)) {
        throw new TargetError('no debug register left for this watchpoint', { errno: 28 });
      }
    },
    remove: async (kind: WatchKind, addr, length) => this.timeline.removeWatchpoint(kind, addr, length),
  };

  readonly reverse: ReverseOps = { actions: ['continue', 'step'] };

  readonly auxv: AuxvOps = { read: async () => this.timeline.auxv() };

  readonly execFile: ExecFileOps = { path: async () => this.timeline.exePath };

  readonly siginfo: SiginfoOps = {
    read: async () => {
      const si = this.timeline.siginfo();
      if (!si) throw new TargetError('no signal at this point', { errno: 22 });
      return si;
    },
  };

  readonly hostIo: HostIoOps = {
    resolve: async (p) => this.timeline.fileForPath(p),
    readlink: async (p) => this.timeline.linkForPath(p),
  };

  readonly monitor: MonitorOps = {
    run: async (command) => monitorCommands(this.timeline, command),
  };
}

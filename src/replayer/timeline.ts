/**
 * ReplayTimeline: the debugger's view of one recording, over ReplaySessions (rr's three tiers:
 * ReplaySession forward-only, the timeline, the gdb adapter on top).
 *
 * Owns what must survive moving around the recording:
 * - breakpoints and watchpoints: the user's (gdb's) sets, and what is armed in the live process
 *   right now (reverse searches arm other sets for a while);
 * - the current position as a Mark (./marks.ts), kept exact through every move;
 * - checkpoints: frozen forks of the replay at event boundaries, so that going back costs
 *   re-executing from the nearest one (./checkpoints.ts), and user marks (monitor checkpoint).
 *
 * Every movement goes through `move()`, one step of the live session with the armed set; forward
 * commands, reverse searches (./reverse.ts) and re-reaching marks all use it, so they agree on
 * what a "hit" is.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ReplaySession, ReplayStop } from './replaySession';
import { TraceReader } from '../trace/traceStream';
import { Registers } from '../shared/registers';
import { debugRegOffset } from '../shared/native/binding';
import { last } from '../shared/native/ops';
import { SYS } from '../shared/syscalls';
import { WatchKind } from '../gdbstub';
import { EmuFs } from './emuFs';
import { Mark, Move, WatchSpec, appendMove, boundary, cloneMark, describeMark } from './marks';
import { log } from '../shared/log';
import { UserError } from '../shared/errors';
import { signalName } from '../shared/signals';
import { CheckpointStore } from './checkpoints';
import { ReverseEngine } from './reverse';
import { HitCounter, COUNTER_SIGNAL } from './hitCounter';

export type TimelineStop =
  | { kind: 'breakpoint'; addr: bigint }
  | { kind: 'watchpoint'; watch: 'watch' | 'rwatch' | 'awatch'; addr: bigint }
  | { kind: 'step' }
  | { kind: 'signal'; signal: number }
  | { kind: 'interrupted' }
  | { kind: 'end' }
  | { kind: 'historyStart' };

export interface TimelineResume {
  direction: 'forward' | 'backward';
  step: boolean;
  range?: { start: bigint; end: bigint };
  interrupted(): boolean;
}

/** What one move of the live session came to. */
export type MoveResult =
  | { kind: 'bp'; addr: bigint }
  | { kind: 'watch'; watch: WatchSpec }
  /** `rip`: where the step ended, when the stop told (saves asking) */
  | { kind: 'step'; landedOn?: bigint; watch?: WatchSpec; rip?: bigint }
  | { kind: 'event'; index: number; signal?: number; watchWrite?: WatchSpec }
  | { kind: 'end' }
  /** stopped by Ctrl-C; `exact` when that happened between two moves (the position is a mark) */
  | { kind: 'interrupted'; exact?: boolean }
  /** a hit counter reached its period (only when asked for, see follow) */
  | { kind: 'counter' };

interface ArmedWatch extends WatchSpec { slot: number }

const INT3 = 0xcc;
/**
 * From this many hits on, re-reaching `{bp X, n}` uses an in-kernel counter (hitCounter.ts):
 * a stop per hit costs ~0.2 ms, installing and removing a counter ~80 ms.
 */
const FAST_FOLLOW_MIN = 500;

class FastFollowFailed extends Error {}
const WAIT_SLICE_MS = 50;
/** DR7 R/W bits per kind: x86 cannot watch reads alone, so rwatch uses read/write (gdb filters). */
const RW_BITS: Record<WatchKind, number> = { write: 0b01, read: 0b11, access: 0b11 };
const LEN_BITS: Record<number, number> = { 1: 0b00, 2: 0b01, 4: 0b11, 8: 0b10 };
const MAPPING_CALLS = new Set<number>([SYS.mmap, SYS.munmap, SYS.mremap, SYS.mprotect, SYS.brk, SYS.execve]);

export function watchReason(w: WatchSpec): 'watch' | 'rwatch' | 'awatch' {
  return w.kind === 'write' ? 'watch' : w.kind === 'read' ? 'rwatch' : 'awatch';
}

export class ReplayTimeline {
  session: ReplaySession;
  readonly emuFs = new EmuFs();
  /** gdb's breakpoints and watchpoints */
  readonly userBreakpoints = new Set<bigint>();
  readonly userWatches: WatchSpec[] = [];
  /** original byte under each int3 in the live process */
  private armedBps = new Map<bigint, number>();
  /** the breakpoints asked for: armed, or pending until their code is mapped */
  private wantedBps = new Set<bigint>();
  private armedWatches: ArmedWatch[] = [];
  /** where the live session is */
  here: Mark;
  /** set when an interrupt left the position known only by its registers */
  private hereInexact = false;
  readonly checkpoints: CheckpointStore;
  private readonly reverseEngine: ReverseEngine;
  /** the first position of the program: the beginning of history */
  readonly start: Mark;
  /** What gdb wrote since the last stop, to undo before resuming (a replay cannot diverge). */
  private debuggerWrites: { regs?: Registers; mem: { addr: bigint; old: Buffer }[] } = { mem: [] };
  private fileMap?: Map<string, string>;
  private interruptFlag = false;
  private lastYield = Date.now();
  /** where the last single step ended (see noteMove) */
  private lastStepLanding?: bigint;
  /** the recorded siginfo of the signal gdb was last told about, while still there ($_siginfo) */
  private signalStop?: { mark: Mark; siginfo: Buffer };

  /** siginfo of the signal stop we are at, if any. */
  siginfo(): Buffer | undefined {
    const s = this.signalStop;
    if (!s || s.mark.event !== this.here.event || s.mark.path.length !== this.here.path.length) return undefined;
    return s.siginfo;
  }

  /** user marks: `monitor checkpoint` */
  readonly userMarks: Mark[] = [];

  constructor(readonly reader: TraceReader) {
    this.session = this.newSession();
    this.session.start();
    this.start = boundary(this.session.nextEvent);
    this.here = cloneMark(this.start);
    this.checkpoints = new CheckpointStore(this);
    this.checkpoints.take();
    this.reverseEngine = new ReverseEngine(this);
  }

  /** Output is echoed once: re-executing after going back does not print it again. */
  private echoedUpTo = 0;
  readonly echo = (event: number): boolean => {
    if (event < this.echoedUpTo) return false;
    this.echoedUpTo = event + 1;
    return true;
  };

  private newSession(): ReplaySession {
    const s = new ReplaySession(this.reader, { echoStdio: this.echo }, this.emuFs);
    s.onNewTask = (child, _parent, sharesMemory) => {
      // A forked child inherits our int3 bytes: take them out of its copy of memory.
      if (sharesMemory) return;
      for (const [addr, orig] of this.armedBps) child.tracee.write(addr, Buffer.from([orig]));
    };
    return s;
  }

  /** Replace the live session (restoring a checkpoint): nothing is armed in the new process. */
  replaceSession(s: ReplaySession): void {
    this.session.kill(false);
    s.onNewTask = this.newSession().onNewTask;
    this.session = s;
    this.armedBps = new Map();
    this.armedWatches = [];
  }

  /** The recorded id of the debugged process: what gdb sees, stable across checkpoint restores. */
  get tid(): number {
    return this.reader.header.pid;
  }
  /** The live replay process (changes when a checkpoint is restored). */
  private get liveTid(): number {
    return this.session.pid;
  }
  get exePath(): string {
    return this.reader.header.exePath;
  }
  get programName(): string {
    return path.basename(this.reader.header.exePath);
  }
  /** What gdb prints when a forward run reaches the end of the recording. */
  endMessage(): string {
    for (let i = this.reader.eventCount - 1; i >= 0; i--) {
      const e = this.reader.event(i);
      if (!e.exit || e.tid !== this.reader.header.pid) continue;
      const how = e.exit.signal ? `was killed by ${signalName(e.exit.signal)}` : `exited with status ${e.exit.code ?? 0}`;
      return `rrts: end of the recording: the program ${how}. Reverse execution can go back from here.\n`;
    }
    return `rrts: end of the recording (${this.reader.end.problem ?? 'the program did not exit in it'}).\n`;
  }

  /** The next event to replay: rr's "current event". */
  when(): number {
    return this.session.nextEvent;
  }

  // ---- state of the stopped tracee

  registers(): Registers {
    return this.session.tracee.getRegs();
  }
  fpRegisters(): Buffer {
    const r = last(this.session.prog.getFpRegs(this.liveTid).run());
    return Buffer.from(r.data);
  }
  setRegisters(regs: Registers): void {
    this.debuggerWrites.regs ??= this.registers();
    this.session.tracee.setRegs(regs);
  }

  /** Memory as the program sees it: our int3 bytes are shown as what they replaced. */
  readMemory(addr: bigint, len: number): Buffer {
    const data = this.session.tracee.read(addr, len);
    for (const [bp, orig] of this.armedBps) {
      const off = bp - addr;
      if (off >= 0n && off < BigInt(data.length)) data[Number(off)] = orig;
    }
    return data;
  }
  writeMemory(addr: bigint, data: Buffer): void {
    this.debuggerWrites.mem.push({ addr, old: this.readMemory(addr, data.length) });
    this.session.tracee.write(addr, data);
  }
  undoDebuggerWrites(): void {
    for (const w of this.debuggerWrites.mem.reverse()) this.session.tracee.write(w.addr, w.old);
    if (this.debuggerWrites.regs) this.session.tracee.setRegs(this.debuggerWrites.regs);
    this.debuggerWrites = { mem: [] };
  }
  forgetDebuggerWrites(): void {
    this.debuggerWrites = { mem: [] };
  }

  // ---- breakpoints and watchpoints: gdb's sets, and what is armed

  addBreakpoint(addr: bigint): void {
    this.userBreakpoints.add(addr);
    this.armUser();
  }
  removeBreakpoint(addr: bigint): void {
    this.userBreakpoints.delete(addr);
    this.armUser();
  }
  /** Watch [addr, addr+len) with as many aligned debug registers as it takes; false if too few. */
  addWatchpoint(kind: WatchKind, addr: bigint, len: number): boolean {
    const pieces = alignedPieces(addr, len).map((p) => ({ kind, ...p }));
    if (this.userWatches.length + pieces.length > 4) return false;
    this.userWatches.push(...pieces);
    this.armUser();
    return true;
  }
  removeWatchpoint(kind: WatchKind, addr: bigint, len: number): void {
    const end = addr + BigInt(len);
    for (let i = this.userWatches.length - 1; i >= 0; i--) {
      const w = this.userWatches[i];
      if (w.kind === kind && w.addr >= addr && w.addr < end) this.userWatches.splice(i, 1);
    }
    this.armUser();
  }

  armUser(): void {
    this.arm(this.userBreakpoints, this.userWatches);
  }

  /** Make exactly these breakpoints (int3 bytes) and watchpoints (debug registers) armed. */
  arm(bps: ReadonlySet<bigint>, watches: readonly WatchSpec[]): void {
    const t = this.session.tracee;
    for (const [addr, orig] of [...this.armedBps]) {
      if (bps.has(addr)) continue;
      t.write(addr, Buffer.from([orig]));
      this.armedBps.delete(addr);
    }
    this.wantedBps = new Set(bps);
    for (const addr of bps) {
      if (this.armedBps.has(addr)) continue;
      // Code not mapped yet (a library loaded later): pending, inserted when it appears.
      const orig = t.read(addr, 1);
      if (orig.length !== 1) continue;
      this.armedBps.set(addr, orig[0]);
      t.write(addr, Buffer.from([INT3]));
    }
    const same = watches.length === this.armedWatches.length &&
      watches.every((w, i) => w.kind === this.armedWatches[i].kind && w.addr === this.armedWatches[i].addr && w.len === this.armedWatches[i].len);
    if (!same) {
      this.armedWatches = watches.slice(0, 4).map((w, slot) => ({ ...w, slot }));
      this.programDebugRegisters();
    }
  }

  isArmed(addr: bigint): boolean {
    return this.armedBps.has(addr);
  }
  armedBreakpoints(): bigint[] {
    return [...this.armedBps.keys()];
  }
  armedWatchSpecs(): WatchSpec[] {
    return this.armedWatches.map(({ slot: _slot, ...w }) => w);
  }

  /** After the program remapped memory, make sure every breakpoint still holds its int3. */
  private refreshBreakpoints(): void {
    for (const addr of this.wantedBps) {
      const now = this.session.tracee.read(addr, 1);
      if (now.length === 0) {
        this.armedBps.delete(addr); // unmapped: pending again
      } else if (now[0] !== INT3 || !this.armedBps.has(addr)) {
        this.armedBps.set(addr, now[0]);
        this.session.tracee.write(addr, Buffer.from([INT3]));
      }
    }
  }

  private programDebugRegisters(): void {
    const base = debugRegOffset();
    let dr7 = 0n;
    const p = this.session.prog;
    const tid = this.liveTid;
    p.pokeUser(tid, base + 7 * 8, 0n);
    for (const w of this.armedWatches) {
      p.pokeUser(tid, base + w.slot * 8, w.addr);
      dr7 |= 1n << BigInt(w.slot * 2);
      dr7 |= BigInt(RW_BITS[w.kind] | (LEN_BITS[w.len] << 2)) << BigInt(16 + w.slot * 4);
    }
    if (dr7) p.pokeUser(tid, base + 7 * 8, dr7);
    p.run();
  }
  private watchHitByDr6(dr6: bigint): WatchSpec | undefined {
    const w = this.armedWatches.find((x) => (dr6 >> BigInt(x.slot)) & 1n);
    if (w) this.session.prog.pokeUser(this.liveTid, debugRegOffset() + 6 * 8, 0n).run(true);
    return w && { kind: w.kind, addr: w.addr, len: w.len };
  }
  /** Emulated syscalls write memory through process_vm_writev, which no debug register sees. */
  private watchHitByEvent(index: number): WatchSpec | undefined {
    if (this.armedWatches.length === 0) return undefined;
    const ev = this.reader.event(index);
    if (ev.tid !== this.session.main.recTid) return undefined;
    for (const wr of ev.syscall?.writes ?? []) {
      const start = BigInt(wr.addr), end = start + BigInt(wr.data.length);
      const w = this.armedWatches.find((x) => x.kind !== 'read' && x.addr < end && x.addr + BigInt(x.len) > start);
      if (w) return { kind: w.kind, addr: w.addr, len: w.len };
    }
    return undefined;
  }

  // ---- moving

  interrupt(): void {
    this.interruptFlag = true;
    this.session.interrupt();
  }

  /**
   * One move of the live session with what is armed: a single step, or a continue to the next
   * armed hit, event, or the end. A continue that starts on an armed breakpoint it stopped at
   * first steps over it (that execution is where we are, not a new hit); at an event boundary
   * nothing has run yet, so the breakpoint there is the next hit.
   */
  async move(kind: 'continue' | 'step'): Promise<MoveResult> {
    const r = await this.moveLive(kind);
    this.noteMove(r);
    return r;
  }

  private async moveLive(kind: 'continue' | 'step', counterSignal?: number): Promise<MoveResult> {
    const rip = this.registers().rip;
    // At an event boundary the instruction at rip has not run yet (say, the one after a
    // syscall): a breakpoint there is hit by continuing, not stepped over.
    const atBoundary = this.here.path.length === 0 && !this.hereInexact;
    if (kind === 'step' || (this.armedBps.has(rip) && !atBoundary)) {
      const orig = this.armedBps.get(rip);
      if (orig !== undefined) this.session.tracee.write(rip, Buffer.from([orig]));
      let s: ReplayStop;
      try {
        s = this.session.advance({ singleStep: true, isBreakpoint: () => false });
      } finally {
        if (orig !== undefined) this.session.tracee.write(rip, Buffer.from([INT3]));
      }
      const r = this.afterAdvance(s, true);
      if (kind === 'step' || r.kind !== 'step' || r.watch) return r;
      if (r.landedOn !== undefined) return { kind: 'bp', addr: r.landedOn };
    }
    for (;;) {
      if (Date.now() - this.lastYield >= WAIT_SLICE_MS) {
        // Syscall-heavy stretches never time out a wait: let gdb's Ctrl-C in all the same.
        await new Promise((resolve) => setImmediate(resolve));
        this.lastYield = Date.now();
        if (this.interruptFlag && !counterSignal) return { kind: 'interrupted', exact: true };
      }
      const s = this.session.advance({ isBreakpoint: (a) => this.armedBps.has(a), waitSliceMs: WAIT_SLICE_MS, counterSignal });
      if (s.kind === 'running') {
        await new Promise((resolve) => setImmediate(resolve));
        if (this.interruptFlag) this.session.interrupt();
        continue;
      }
      const r = this.afterAdvance(s, false);
      if (r.kind === 'step' && !r.watch) continue; // a stray trap: keep going
      return r;
    }
  }

  private afterAdvance(s: ReplayStop, stepping: boolean): MoveResult {
    switch (s.kind) {
      case 'running': return { kind: 'interrupted' };
      case 'interrupted': return { kind: 'interrupted' };
      case 'counter': return { kind: 'counter' };
      case 'end': return { kind: 'end' };
      case 'trap': {
        if (s.breakpoint !== undefined) return { kind: 'bp', addr: s.breakpoint };
        const w = this.watchHitByDr6(s.dr6);
        if (!stepping) return w ? { kind: 'watch', watch: w } : { kind: 'step' };
        const rip = s.regs.rip;
        return { kind: 'step', watch: w, landedOn: this.armedBps.has(rip) ? rip : undefined, rip };
      }
      case 'event': {
        const ev = this.reader.event(s.index);
        if (ev.syscall && MAPPING_CALLS.has(ev.syscall.nr)) this.refreshBreakpoints();
        if (ev.exec && ev.tid === this.session.main.recTid) {
          this.refreshBreakpoints();
          this.programDebugRegisters();
        }
        this.checkpoints.maybeTake();
        return { kind: 'event', index: s.index, signal: s.signal, watchWrite: this.watchHitByEvent(s.index) };
      }
    }
  }

  /** Record a move into the current position. */
  private noteMove(r: MoveResult): void {
    switch (r.kind) {
      case 'bp': {
        // gdb continues from a breakpoint by stepping over it first: {bp X, n}{step 1}{bp X, 1}
        // is the (n+1)-th hit of X, unless that step landed on X again.
        const p = this.here.path;
        const [a, b] = [p[p.length - 2], p[p.length - 1]];
        if (a?.kind === 'bp' && a.addr === r.addr && b?.kind === 'step' && b.count === 1 && this.lastStepLanding !== r.addr) {
          p.pop();
          a.count += 1;
          break;
        }
        appendMove(p, { kind: 'bp', addr: r.addr, count: 1 });
        break;
      }
      case 'watch': appendMove(this.here.path, { kind: 'watch', watches: this.armedWatches.map(({ slot: _s, ...w }) => w), count: 1 }); break;
      case 'step':
        appendMove(this.here.path, { kind: 'step', count: 1 });
        this.lastStepLanding = r.rip ?? this.registers().rip;
        break;
      case 'event':
      case 'end': this.here = boundary(this.session.nextEvent); break;
      case 'interrupted': if (!r.exact) this.hereInexact = true; break;
    }
  }

  async resume(r: TimelineResume): Promise<TimelineStop> {
    this.interruptFlag = false;
    this.armUser();
    if (r.direction === 'backward') {
      await this.makeHereExact();
      const stop = await (r.step ? this.reverseEngine.step() : this.reverseEngine.continue(() => r.interrupted()));
      this.armUser();
      return stop;
    }
    return this.forward(r);
  }

  /** Forward execution from the current position, as gdb asked. */
  private async forward(r: TimelineResume): Promise<TimelineStop> {
    for (;;) {
      const m = await this.move(r.step ? 'step' : 'continue');
      switch (m.kind) {
        case 'interrupted': return { kind: 'interrupted' };
        case 'end': return { kind: 'end' };
        case 'bp': return { kind: 'breakpoint', addr: m.addr };
        case 'watch': return { kind: 'watchpoint', watch: watchReason(m.watch), addr: m.watch.addr };
        case 'step':
          if (m.watch) return { kind: 'watchpoint', watch: watchReason(m.watch), addr: m.watch.addr };
          if (r.range && this.inRange(this.registers().rip, r.range) && !r.interrupted()) continue;
          return { kind: 'step' };
        case 'event': {
          if (m.signal !== undefined && this.reader.event(m.index).tid === this.session.main.recTid) {
            this.signalStop = { mark: cloneMark(this.here), siginfo: Buffer.from(this.reader.event(m.index).signal!.siginfo) };
            return { kind: 'signal', signal: m.signal };
          }
          if (m.watchWrite) return { kind: 'watchpoint', watch: watchReason(m.watchWrite), addr: m.watchWrite.addr };
          if (r.step) {
            if (r.range && this.inRange(this.registers().rip, r.range) && !r.interrupted()) continue;
            return { kind: 'step' };
          }
          if (r.interrupted()) return { kind: 'interrupted' };
          continue;
        }
      }
    }
  }

  private inRange(rip: bigint, range: { start: bigint; end: bigint }): boolean {
    return rip >= range.start && rip < range.end;
  }

  /**
   * Go to a mark: from the best checkpoint (or the live session, if it is on the way), replay
   * to the mark's event, then follow its path with exactly each move's breakpoint armed.
   */
  async goTo(m: Mark, allowFast = true): Promise<void> {
    if (log.debugEnabled) log.debug(`goto ${describeMark(m)} from ${describeMark(this.here)}`);
    const live = this.session.nextEvent;
    const liveUsable = !this.session.finished && this.here.path.length === 0 && !this.hereInexact && live <= m.event;
    const cp = this.checkpoints.bestFor(m.event);
    if (!liveUsable || (cp && cp.event > live)) {
      if (!cp) throw new Error(`rrts: no checkpoint before event ${m.event}`);
      if (log.debugEnabled) log.debug(`  restore checkpoint at event ${cp.event}`);
      this.replaceSession(this.checkpoints.restore(cp));
    }
    this.arm(new Set(), []);
    while (this.session.nextEvent < m.event) {
      const s = this.session.advance();
      if (s.kind === 'end') break;
      this.checkpoints.maybeTake();
    }
    this.here = boundary(this.session.nextEvent);
    this.hereInexact = false;
    try {
      for (const move of m.path) await this.follow(move, allowFast);
    } catch (e) {
      if (!(e instanceof FastFollowFailed)) throw e;
      return this.goTo(m, false);
    }
  }

  /**
   * `{bp X, n}` (or `{watch W, n}`) with a large n: let an in-kernel counter stop the tracee
   * right after the (n-1)-th hit, then one ordinary trap for the n-th, instead of n stops. The
   * counter's signal can be late (the program may block it): the count is checked, and a
   * mismatch makes goTo start over the slow way.
   */
  private async fastFollow(move: Move): Promise<boolean> {
    if (move.kind === 'step' || (move.kind === 'watch' && move.watches.length !== 1)) return false;
    const period = BigInt(move.count - 1);
    const counter = move.kind === 'bp'
      ? HitCounter.open(this.liveTid, move.addr, period)
      : HitCounter.openWatch(this.liveTid, move.watches[0], period);
    if (!counter) return false;
    this.arm(new Set(), []);
    let r: MoveResult;
    let count: number;
    this.checkpoints.suspended = true;
    try {
      r = await this.moveLive('continue', COUNTER_SIGNAL);
      count = counter.read();
    } finally {
      counter.close();
      this.checkpoints.suspended = false;
    }
    if (r.kind !== 'counter' || count !== move.count - 1) throw new FastFollowFailed();
    // Now just past the (n-1)-th hit: the n-th is the next one, with the ordinary trap.
    if (move.kind === 'bp') this.arm(new Set([move.addr]), []);
    else this.arm(new Set(), move.watches);
    const hit = await this.moveLive('continue');
    const ok = move.kind === 'bp' ? hit.kind === 'bp' && hit.addr === move.addr : hit.kind === 'watch' || (hit.kind === 'step' && !!hit.watch);
    if (!ok) throw new FastFollowFailed();
    appendMove(this.here.path, { ...move });
    return true;
  }

  /** Perform one path move with only its own breakpoint or watchpoints armed. */
  async follow(move: Move, allowFast = true): Promise<void> {
    if (allowFast && move.count >= FAST_FOLLOW_MIN && (await this.fastFollow(move))) return;
    if (move.kind === 'bp') this.arm(new Set([move.addr]), []);
    else if (move.kind === 'watch') this.arm(new Set(), move.watches);
    else this.arm(new Set(), []);
    for (let i = 0; i < move.count; i++) {
      const r = await this.move(move.kind === 'step' ? 'step' : 'continue');
      const ok = move.kind === 'step' ? r.kind === 'step' || r.kind === 'event'
        : move.kind === 'bp' ? r.kind === 'bp' && r.addr === move.addr : r.kind === 'watch' || (r.kind === 'step' && !!r.watch);
      if (!ok) throw new Error(`rrts: could not re-reach a position (${move.kind} move ended with ${r.kind})`);
    }
  }

  /**
   * After an interrupt the position is known by its registers only: find which execution of that
   * instruction it is (replaying the interval with a breakpoint there), so it becomes a mark.
   */
  private async makeHereExact(): Promise<void> {
    if (!this.hereInexact) return;
    const want = this.registers();
    const event = this.session.nextEvent;
    await this.goTo(boundary(event));
    this.arm(new Set([want.rip]), []);
    for (;;) {
      const r = await this.move('continue');
      if (r.kind !== 'bp') break;
      if (this.registers().equals(want)) break;
    }
    this.hereInexact = false;
  }

  /** Replay forward (no breakpoints) until event `n` is the next to replay: `rrts replay -g N`. */
  async goToEvent(n: number): Promise<void> {
    if (n < this.start.event) {
      throw new UserError(`rrts: event ${n} is before the program's first instruction (event ${this.start.event}); starting there`, 2);
    }
    await this.goTo(boundary(Math.min(n, this.reader.eventCount)));
  }

  // ---- what gdb reads besides memory and registers

  /** The auxiliary vector the program started with, from the recorded initial stack. */
  auxv(): Buffer {
    for (let i = 0; i < Math.min(4, this.reader.eventCount); i++) {
      const exec = this.reader.event(i).exec;
      if (!exec) continue;
      const stack = Buffer.from(exec.stack);
      const argc = Number(stack.readBigUInt64LE(0));
      let at = 8 * (1 + argc + 1);
      while (at + 8 <= stack.length && stack.readBigUInt64LE(at) !== 0n) at += 8;
      at += 8;
      const start = at;
      while (at + 16 <= stack.length && stack.readBigUInt64LE(at) !== 0n) at += 16;
      return stack.subarray(start, Math.min(stack.length, at + 16));
    }
    return Buffer.alloc(0);
  }

  /**
   * gdb asks for files by their recorded paths: answer with the trace's copies, found by
   * reading the trace only as far as needed. /proc/PID of the recorded process is the live
   * replay process's (same mappings, but for rrts's stub page).
   */
  fileForPath(p: string): string | null {
    const proc = new RegExp(`^/proc/${this.tid}(/task/${this.tid})?/`).exec(p);
    if (proc) {
      const rest = p.slice(proc[0].length);
      // What the kernel keeps of the process's start (its argument area) is the replay's own.
      if (rest === 'cmdline' || rest === 'environ') {
        const strings = rest === 'cmdline' ? this.reader.header.argv : this.reader.header.env;
        return this.emuFs.scratchFile(rest, Buffer.from(strings.map((a) => a + '\0').join('')));
      }
      return `/proc/${this.session.pid}/${rest}`;
    }
    if (!this.fileMap) {
      this.fileMap = new Map();
      const exe = this.reader.event(this.start.event - 1).exec?.exeFile;
      if (exe) this.fileMap.set(this.reader.header.exePath, this.reader.filePath(exe));
    }
    while (!this.fileMap.has(p) && this.fileScan < this.reader.eventCount) {
      const e = this.reader.event(this.fileScan++);
      for (const m of e.exec?.maps ?? []) if (m.file) this.fileMap.set(m.path, this.reader.filePath(m.file));
      const f = e.syscall?.mappedFile;
      if (f) this.fileMap.set(f.originalPath, this.reader.filePath(f));
    }
    const mapped = this.fileMap.get(p);
    if (mapped) return mapped;
    return fs.existsSync(p) ? p : null;
  }
  private fileScan = 0;

  /** Links gdb reads (info proc): the recorded process's exe and cwd, not the replay's. */
  linkForPath(p: string): string | null {
    if (p === `/proc/${this.tid}/exe`) return this.reader.header.exePath;
    if (p === `/proc/${this.tid}/cwd`) return this.reader.header.cwd;
    const real = this.fileForPath(p);
    try {
      return real ? fs.readlinkSync(real) : null;
    } catch {
      return null;
    }
  }

  close(): void {
    this.session.kill(false);
    this.checkpoints.dropAll();
    this.emuFs.dispose();
  }
}

/** Split [addr, addr+len) into naturally aligned 1/2/4/8-byte pieces (debug register sizes). */
function alignedPieces(addr: bigint, len: number): { addr: bigint; len: number }[] {
  const pieces: { addr: bigint; len: number }[] = [];
  for (let a = addr, left = len; left > 0; ) {
    let size = 8;
    while (size > 1 && (a % BigInt(size) !== 0n || size > left)) size /= 2;
    pieces.push({ addr: a, len: size });
    a += BigInt(size);
    left -= size;
  }
  return pieces;
}

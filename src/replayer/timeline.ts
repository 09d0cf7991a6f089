/**
 * ReplayTimeline: the debugger's view of one recording, over ReplaySessions (rr's three tiers:
 * ReplaySession forward-only, the timeline, the gdb adapter on top).
 *
 * Owns what must survive moving around the recording: breakpoints and watchpoints (never set
 * on a session directly), the current position, and, for going backwards, the means of
 * re-creating the process at an earlier point (see docs/positions.md).
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

interface Watch { kind: WatchKind; addr: bigint; len: number; slot: number }

const INT3 = 0xcc;
const WAIT_SLICE_MS = 50;
/** DR7 R/W bits per kind: x86 cannot watch reads alone, so rwatch uses read/write (gdb filters). */
const RW_BITS: Record<WatchKind, number> = { write: 0b01, read: 0b11, access: 0b11 };
const LEN_BITS: Record<number, number> = { 1: 0b00, 2: 0b01, 4: 0b11, 8: 0b10 };
const MAPPING_CALLS = new Set<number>([SYS.mmap, SYS.munmap, SYS.mremap, SYS.mprotect, SYS.brk]);

export class ReplayTimeline {
  session: ReplaySession;
  /** original byte under each inserted int3 */
  private readonly breakpoints = new Map<bigint, number>();
  private readonly watches: Watch[] = [];
  /** What gdb wrote since the last stop, to undo before resuming (a replay cannot diverge). */
  private debuggerWrites: { regs?: Registers; mem: { addr: bigint; old: Buffer }[] } = { mem: [] };
  private fileMap?: Map<string, string>;

  constructor(readonly reader: TraceReader) {
    this.session = new ReplaySession(reader, { echoStdio: true });
    this.session.start();
  }

  get tid(): number {
    return this.session.pid;
  }
  get exePath(): string {
    return this.reader.header.exePath;
  }
  get programName(): string {
    return path.basename(this.reader.header.exePath);
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
    const r = last(this.session.prog.getFpRegs(this.tid).run());
    return Buffer.from(r.data);
  }
  setRegisters(regs: Registers): void {
    this.debuggerWrites.regs ??= this.registers();
    this.session.tracee.setRegs(regs);
  }

  /** Memory as the program sees it: our int3 bytes are shown as what they replaced. */
  readMemory(addr: bigint, len: number): Buffer {
    const data = this.session.tracee.read(addr, len);
    for (const [bp, orig] of this.breakpoints) {
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

  // ---- breakpoints and watchpoints

  addBreakpoint(addr: bigint): void {
    if (this.breakpoints.has(addr)) return;
    const orig = this.session.tracee.read(addr, 1);
    if (orig.length !== 1) throw new Error(`cannot set a breakpoint at 0x${addr.toString(16)}: not mapped`);
    this.breakpoints.set(addr, orig[0]);
    this.session.tracee.write(addr, Buffer.from([INT3]));
  }
  removeBreakpoint(addr: bigint): void {
    const orig = this.breakpoints.get(addr);
    if (orig === undefined) return;
    this.breakpoints.delete(addr);
    this.session.tracee.write(addr, Buffer.from([orig]));
  }
  /** After the program remapped memory, make sure every breakpoint still holds its int3. */
  private refreshBreakpoints(): void {
    for (const [addr, orig] of this.breakpoints) {
      const now = this.session.tracee.read(addr, 1);
      if (now.length === 1 && now[0] !== INT3) {
        this.breakpoints.set(addr, now[0]);
        this.session.tracee.write(addr, Buffer.from([INT3]));
      } else if (now.length === 0) {
        this.breakpoints.set(addr, orig);
      }
    }
  }

  /** Watch [addr, addr+len) with as many aligned debug registers as it takes; false if too few. */
  addWatchpoint(kind: WatchKind, addr: bigint, len: number): boolean {
    const pieces: { addr: bigint; len: number }[] = [];
    for (let a = addr, left = len; left > 0; ) {
      let size = 8;
      while (size > 1 && (a % BigInt(size) !== 0n || size > left)) size /= 2;
      pieces.push({ addr: a, len: size });
      a += BigInt(size);
      left -= size;
    }
    const free = [0, 1, 2, 3].filter((s) => !this.watches.some((w) => w.slot === s));
    if (pieces.length > free.length) return false;
    pieces.forEach((p, i) => this.watches.push({ kind, addr: p.addr, len: p.len, slot: free[i] }));
    this.programDebugRegisters();
    return true;
  }
  removeWatchpoint(kind: WatchKind, addr: bigint, len: number): void {
    const end = addr + BigInt(len);
    for (let i = this.watches.length - 1; i >= 0; i--) {
      const w = this.watches[i];
      if (w.kind === kind && w.addr >= addr && w.addr < end) this.watches.splice(i, 1);
    }
    this.programDebugRegisters();
  }
  private programDebugRegisters(): void {
    const base = debugRegOffset();
    let dr7 = 0n;
    const p = this.session.prog;
    p.pokeUser(this.tid, base + 7 * 8, 0n);
    for (const w of this.watches) {
      p.pokeUser(this.tid, base + w.slot * 8, w.addr);
      dr7 |= 1n << BigInt(w.slot * 2);
      dr7 |= BigInt(RW_BITS[w.kind] | (LEN_BITS[w.len] << 2)) << BigInt(16 + w.slot * 4);
    }
    if (dr7) p.pokeUser(this.tid, base + 7 * 8, dr7);
    p.run();
  }
  private watchHitByDr6(dr6: bigint): Watch | undefined {
    return this.watches.find((w) => (dr6 >> BigInt(w.slot)) & 1n);
  }
  private clearDr6(): void {
    this.session.prog.pokeUser(this.tid, debugRegOffset() + 6 * 8, 0n).run(true);
  }
  /** Emulated syscalls write memory through process_vm_writev, which no debug register sees. */
  private watchHitByEvent(index: number): Watch | undefined {
    if (this.watches.length === 0) return undefined;
    const ev = this.reader.event(index);
    for (const wr of ev.syscall?.writes ?? []) {
      const start = BigInt(wr.addr), end = start + BigInt(wr.data.length);
      const w = this.watches.find((x) => x.kind !== 'read' && x.addr < end && x.addr + BigInt(x.len) > start);
      if (w) return w;
    }
    return undefined;
  }

  // ---- moving

  /** Replay forward (no breakpoints) until event `n` is the next to replay: `rrts replay -g N`. */
  async goToEvent(n: number): Promise<void> {
    if (n < this.session.nextEvent) throw new Error(`event ${n} is before the start of the program`);
    while (this.session.nextEvent < n) {
      const s = this.session.advance();
      if (s.kind === 'end') break;
    }
  }

  interrupt(): void {
    this.session.interrupt();
  }

  async resume(r: TimelineResume): Promise<TimelineStop> {
    if (r.direction === 'backward') return this.reverse.resume(r);
    return this.forward(r);
  }

  /** Forward execution from the current position. */
  async forward(r: TimelineResume): Promise<TimelineStop> {
    const isBreakpoint = (a: bigint) => this.breakpoints.has(a);
    for (;;) {
      const s: ReplayStop = this.session.advance({ singleStep: r.step, isBreakpoint, waitSliceMs: WAIT_SLICE_MS });
      switch (s.kind) {
        case 'running':
          await new Promise((resolve) => setImmediate(resolve));
          if (r.interrupted()) this.session.interrupt();
          continue;
        case 'interrupted':
          return { kind: 'interrupted' };
        case 'end':
          return { kind: 'end' };
        case 'trap': {
          if (s.breakpoint !== undefined) return { kind: 'breakpoint', addr: s.breakpoint };
          const w = this.watchHitByDr6(s.dr6);
          if (w) {
            this.clearDr6();
            return { kind: 'watchpoint', watch: w.kind === 'write' ? 'watch' : w.kind === 'read' ? 'rwatch' : 'awatch', addr: w.addr };
          }
          if (r.step && r.range && this.inRange(s.regs.rip, r.range) && !r.interrupted()) continue;
          return { kind: 'step' };
        }
        case 'event': {
          const ev = this.reader.event(s.index);
          if (ev.syscall && MAPPING_CALLS.has(ev.syscall.nr)) this.refreshBreakpoints();
          if (s.signal !== undefined) return { kind: 'signal', signal: s.signal };
          const w = this.watchHitByEvent(s.index);
          if (w) return { kind: 'watchpoint', watch: w.kind === 'write' ? 'watch' : 'awatch', addr: w.addr };
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

  /** Backward execution, in its own module. */
  get reverse(): { resume(r: TimelineResume): Promise<TimelineStop> } {
    return {
      resume: async () => ({ kind: 'historyStart' }),
    };
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

  /** gdb asks for files by their recorded paths: answer with the trace's copies. */
  fileForPath(p: string): string | null {
    if (!this.fileMap) {
      this.fileMap = new Map();
      for (let i = 0; i < this.reader.eventCount; i++) {
        const e = this.reader.event(i);
        for (const m of e.exec?.maps ?? []) if (m.file) this.fileMap.set(m.path, this.reader.filePath(m.file));
        const f = e.syscall?.mappedFile;
        if (f) this.fileMap.set(f.originalPath, this.reader.filePath(f));
      }
      const exe = this.reader.event(0).exec?.exeFile;
      if (exe) this.fileMap.set(this.reader.header.exePath, this.reader.filePath(exe));
    }
    const mapped = this.fileMap.get(p);
    if (mapped) return mapped;
    return fs.existsSync(p) ? p : null;
  }

  close(): void {
    this.session.kill();
  }
}

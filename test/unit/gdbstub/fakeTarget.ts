/**
 * An in-memory GdbTarget for protocol tests. It pretends to be a stopped single-process program:
 *
 * - memory: a few regions (text, data, a read-only page, stack); unmapped reads return nothing,
 *   writes outside writable regions fail with EFAULT;
 * - a "program" of 4-byte instructions from TEXT to TEXT_END that resume executes one pc at a time,
 *   forward or backward, stopping deterministically at breakpoints (rip = breakpoint address),
 *   at watchpoints (via a table of which pc stores to which address), at signals planted at a pc,
 *   at the end of the program (exit 0) or at its start when running backward (no history);
 * - two threads with distinct registers.
 *
 * Every mutation is logged so tests can check that only valid requests changed anything.
 */
import {
  GdbTarget, RegisterSnapshot, ResumeRequest, StopReason, TargetError, ThreadInfo, WatchKind,
} from '../../../src/gdbstub/target';

export const PID = 0x4d2;
export const TID2 = PID + 1;
export const TEXT = 0x401000n;
export const TEXT_END = 0x401100n;
export const DATA = 0x601000n;
export const RODATA = 0x602000n;
export const STACK = 0x7ffffffdd000n;
export const INSN = 4n;

const USER_SLOT = {
  r15: 0, r14: 1, r13: 2, r12: 3, rbp: 4, rbx: 5, r11: 6, r10: 7, r9: 8, r8: 9, rax: 10, rcx: 11,
  rdx: 12, rsi: 13, rdi: 14, orig_rax: 15, rip: 16, cs: 17, eflags: 18, rsp: 19, ss: 20,
  fs_base: 21, gs_base: 22, ds: 23, es: 24, fs: 25, gs: 26,
} as const;
export type UserReg = keyof typeof USER_SLOT;

export function getUser(regs: RegisterSnapshot, name: UserReg): bigint {
  return regs.user.readBigUInt64LE(USER_SLOT[name] * 8);
}
export function setUser(regs: RegisterSnapshot, name: UserReg, value: bigint): void {
  regs.user.writeBigUInt64LE(BigInt.asUintN(64, value), USER_SLOT[name] * 8);
}

/** Registers of a freshly stopped thread; `seed` makes each thread's values distinct. */
export function makeRegisters(seed: number): RegisterSnapshot {
  const regs: RegisterSnapshot = { user: Buffer.alloc(216), xsave: Buffer.alloc(832) };
  for (const [name, slot] of Object.entries(USER_SLOT)) {
    setUser(regs, name as UserReg, 0x1000n * BigInt(seed) + BigInt(slot) * 0x11n);
  }
  setUser(regs, 'rip', TEXT);
  setUser(regs, 'rsp', STACK + 0x1f00n - BigInt(seed) * 0x100n);
  setUser(regs, 'rbp', STACK + 0x1f80n);
  setUser(regs, 'eflags', 0x246n);
  setUser(regs, 'cs', 0x33n);
  setUser(regs, 'ss', 0x2bn);
  setUser(regs, 'fs_base', 0x7ffff7d8a740n);
  setUser(regs, 'orig_rax', BigInt.asUintN(64, -1n));
  const x = regs.xsave;
  x.writeUInt16LE(0x037f, 0); // fcw
  x.writeUInt32LE(0x1f80, 24); // mxcsr
  for (let i = 0; i < 16; i++) {
    for (let b = 0; b < 16; b++) {
      x[160 + 16 * i + b] = (seed * 16 + i * 7 + b) & 0xff; // xmm i
      x[576 + 16 * i + b] = (seed * 32 + i * 5 + b + 0x80) & 0xff; // ymm i, upper half
    }
  }
  x.writeBigUInt64LE(7n, 512); // XSTATE_BV: x87 | SSE | AVX
  return regs;
}

interface Region {
  readonly start: bigint;
  readonly data: Buffer;
  readonly writable: boolean;
}

export interface FakeOptions {
  /** Leave these capabilities out, to test that qSupported follows them. */
  readonly without?: readonly (keyof GdbTarget)[];
  readonly avx?: boolean;
  /** Local file served for the exec path through hostIo. */
  readonly execFileLocal?: string;
}

export const EXEC_PATH = '/fake/bin/prog';

export class FakeTarget implements GdbTarget {
  readonly pid = PID;
  readonly cpu: { avx: boolean };
  readonly regions: Region[];
  readonly regs = new Map<number, RegisterSnapshot>();
  readonly swBreaks = new Set<bigint>();
  readonly hwBreaks = new Set<bigint>();
  readonly watches: { kind: WatchKind; addr: bigint; length: number }[] = [];
  /** pc → data address the instruction at pc writes (drives watchpoint hits). */
  readonly stores = new Map<bigint, bigint>();
  /** pc → Linux signal raised when execution arrives there. */
  readonly signalsAt = new Map<bigint, number>();

  readonly memoryWrites: { addr: bigint; data: Buffer }[] = [];
  readonly registerWrites: { tid: number; regs: RegisterSnapshot }[] = [];
  readonly resumes: ResumeRequest[] = [];
  interrupts = 0;
  /** When set, continues never finish on their own: only interrupt() stops them. */
  hangOnContinue = false;
  /** Next call of this method throws this error once. */
  failNext: { method: keyof GdbTarget; error: Error } | undefined;

  private lastStop: StopReason = { kind: 'signal', tid: PID, signal: 5 };
  private pendingInterrupt: ((stop: StopReason) => void) | undefined;
  private resumeInFlight = false;

  breakpoints?: GdbTarget['breakpoints'];
  hwBreakpoints?: GdbTarget['hwBreakpoints'];
  watchpoints?: GdbTarget['watchpoints'];
  reverse?: GdbTarget['reverse'];
  auxv?: GdbTarget['auxv'];
  execFile?: GdbTarget['execFile'];
  siginfo?: GdbTarget['siginfo'];
  hostIo?: GdbTarget['hostIo'];
  monitor?: GdbTarget['monitor'];

  constructor(options: FakeOptions = {}) {
    this.cpu = { avx: options.avx ?? true };
    const text = Buffer.alloc(Number(TEXT_END - TEXT));
    for (let i = 0; i < text.length; i++) text[i] = (i * 13 + 0x90) & 0xff;
    const data = Buffer.alloc(0x1000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
    this.regions = [
      { start: TEXT, data: text, writable: true },
      { start: DATA, data, writable: true },
      { start: RODATA, data: Buffer.from('read-only page\0'.padEnd(64, '\0')), writable: false },
      { start: STACK, data: Buffer.alloc(0x2000, 0xcc), writable: true },
    ];
    this.regs.set(PID, makeRegisters(1));
    this.regs.set(TID2, makeRegisters(2));

    const without = new Set(options.without ?? []);
    const opt = <K extends keyof GdbTarget>(k: K, v: GdbTarget[K]) => {
      if (!without.has(k)) (this as GdbTarget)[k] = v as never;
    };
    opt('breakpoints', {
      insert: async (addr) => void this.swBreaks.add(addr),
      remove: async (addr) => void this.swBreaks.delete(addr),
    });
    opt('hwBreakpoints', {
      insert: async (addr) => void this.hwBreaks.add(addr),
      remove: async (addr) => void this.hwBreaks.delete(addr),
    });
    opt('watchpoints', {
      kinds: ['write', 'read', 'access'],
      insert: async (kind, addr, length) => {
        // Idempotent, as the contract requires: gdb may insert the same watchpoint twice.
        if (!this.watches.some((w) => w.kind === kind && w.addr === addr && w.length === length)) {
          this.watches.push({ kind, addr, length });
        }
      },
      remove: async (kind, addr, length) => {
        const i = this.watches.findIndex((w) => w.kind === kind && w.addr === addr && w.length === length);
        if (i >= 0) this.watches.splice(i, 1);
      },
    });
    opt('reverse', { actions: ['continue', 'step'] });
    opt('auxv', {
      read: async () => {
        const b = Buffer.alloc(32);
        b.writeBigUInt64LE(9n, 0); // AT_ENTRY
        b.writeBigUInt64LE(TEXT, 8);
        return b; // followed by AT_NULL (zeros)
      },
    });
    opt('execFile', { path: async () => EXEC_PATH });
    opt('siginfo', {
      read: async () => {
        const b = Buffer.alloc(128);
        b.writeInt32LE(this.lastStop.kind === 'signal' ? this.lastStop.signal : 0, 0);
        return b;
      },
    });
    opt('hostIo', {
      resolve: async (path) => (path === EXEC_PATH && options.execFileLocal ? options.execFileLocal : null),
    });
    opt('monitor', {
      run: async (command) => {
        if (command.startsWith('echo ')) return command.slice(5) + '\n';
        if (command === 'when') return `Current event: ${this.resumes.length}\n`;
        if (command === 'big') return 'x'.repeat(3000) + '\n';
        if (command === 'fail') throw new TargetError('monitor failed', { errno: 5 });
        return `unknown command: ${command}\n`;
      },
    });
  }

  private check(method: keyof GdbTarget): void {
    if (this.failNext?.method === method) {
      const { error } = this.failNext;
      this.failNext = undefined;
      throw error;
    }
  }

  async currentStop(): Promise<StopReason> {
    this.check('currentStop');
    return this.lastStop;
  }

  async threads(): Promise<readonly ThreadInfo[]> {
    this.check('threads');
    return [
      { tid: PID, name: 'fake-main' },
      { tid: TID2, name: 'fake-<worker>' },
    ];
  }

  private thread(tid: number): RegisterSnapshot {
    const regs = this.regs.get(tid);
    if (!regs) throw new TargetError(`no thread ${tid}`, { errno: 3 });
    return regs;
  }

  async readRegisters(tid: number): Promise<RegisterSnapshot> {
    this.check('readRegisters');
    const regs = this.thread(tid);
    return { user: Buffer.from(regs.user), xsave: Buffer.from(regs.xsave) };
  }

  async writeRegisters(tid: number, regs: RegisterSnapshot): Promise<void> {
    this.check('writeRegisters');
    this.thread(tid);
    const copy = { user: Buffer.from(regs.user), xsave: Buffer.from(regs.xsave) };
    this.regs.set(tid, copy);
    this.registerWrites.push({ tid, regs: copy });
  }

  private region(addr: bigint): Region | undefined {
    return this.regions.find((r) => addr >= r.start && addr < r.start + BigInt(r.data.length));
  }

  async readMemory(addr: bigint, length: number): Promise<Buffer> {
    this.check('readMemory');
    const r = this.region(addr);
    if (!r) return Buffer.alloc(0);
    const off = Number(addr - r.start);
    return Buffer.from(r.data.subarray(off, off + length));
  }

  async writeMemory(addr: bigint, data: Buffer): Promise<void> {
    this.check('writeMemory');
    const r = this.region(addr);
    const off = r ? Number(addr - r.start) : 0;
    if (!r || !r.writable || off + data.length > r.data.length) {
      throw new TargetError(`cannot write ${data.length} bytes at 0x${addr.toString(16)}`, { errno: 14 });
    }
    data.copy(r.data, off);
    this.memoryWrites.push({ addr, data: Buffer.from(data) });
  }

  /** A copy of every region, for before/after comparisons. */
  snapshotMemory(): Map<bigint, Buffer> {
    return new Map(this.regions.map((r) => [r.start, Buffer.from(r.data)]));
  }

  rip(tid = PID): bigint {
    return getUser(this.thread(tid), 'rip');
  }

  setRip(tid: number, value: bigint): void {
    setUser(this.thread(tid), 'rip', value);
  }

  async resume(request: ResumeRequest): Promise<StopReason> {
    this.check('resume');
    if (this.resumeInFlight) throw new Error('resume while another resume is pending');
    this.resumes.push(request);
    if (this.hangOnContinue && request.action === 'continue') {
      this.resumeInFlight = true;
      return new Promise((resolve) => {
        this.pendingInterrupt = (stop) => {
          this.resumeInFlight = false;
          resolve(stop);
        };
      });
    }
    // Finish asynchronously, like a real target would.
    await new Promise((resolve) => setImmediate(resolve));
    this.lastStop = this.run(request);
    return this.lastStop;
  }

  interrupt(): void {
    this.interrupts++;
    const finish = this.pendingInterrupt;
    this.pendingInterrupt = undefined;
    if (finish) {
      this.lastStop = { kind: 'signal', tid: PID, signal: 2 };
      finish(this.lastStop);
    }
  }

  private watchHit(pc: bigint): StopReason | undefined {
    const target = this.stores.get(pc);
    if (target === undefined) return undefined;
    const w = this.watches.find((w) => w.kind !== 'read' && target >= w.addr && target < w.addr + BigInt(w.length));
    if (!w) return undefined;
    return {
      kind: 'signal', tid: PID, signal: 5,
      cause: { type: w.kind === 'write' ? 'watch' : 'awatch', addr: target },
    };
  }

  /** Execute (or un-execute) instructions until something stops the program. */
  private run(req: ResumeRequest): StopReason {
    const tid = this.regs.has(req.tid) ? req.tid : PID;
    const forward = req.direction === 'forward';
    // gdb (or a fuzzer) may have moved rip anywhere: outside the program there is nothing to run.
    if (this.rip(tid) < TEXT || this.rip(tid) > TEXT_END) {
      if (forward) return { kind: 'exited', code: 0 };
      this.setRip(tid, TEXT_END);
    }
    for (;;) {
      const pc = this.rip(tid);
      if (!forward && pc <= TEXT) return { kind: 'noHistory', tid, replaylog: 'begin' };
      const next = forward ? pc + INSN : pc - INSN;
      const executed = forward ? pc : next;
      this.setRip(tid, next);
      const watch = this.watchHit(executed);
      if (watch) return watch;
      if (forward && next >= TEXT_END) {
        return { kind: 'exited', code: 0 };
      }
      const signal = forward ? this.signalsAt.get(next) : undefined;
      if (signal !== undefined) return { kind: 'signal', tid, signal };
      if (req.action === 'step') {
        if (req.range && next >= req.range.start && next < req.range.end) continue;
        return { kind: 'signal', tid, signal: 5 };
      }
      if (this.swBreaks.has(next)) return { kind: 'signal', tid, signal: 5, cause: { type: 'swbreak' } };
      if (this.hwBreaks.has(next)) return { kind: 'signal', tid, signal: 5, cause: { type: 'hwbreak' } };
    }
  }
}

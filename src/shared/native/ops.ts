/**
 * Building and running batches of ptrace operations (mirrors native/rrts_native.h).
 *
 * A `PtraceProgram` collects operations; `run()` executes them in one FFI call and returns one
 * `OpResult` per operation that ran. The first failing operation ends the batch; `run()` throws
 * an ErrnoError for it unless the caller asked to see failures.
 */
import { rrtsRun } from './binding';
import { ErrnoError } from '../errors';

export const enum Op {
  GetRegs = 1,
  SetRegs = 2,
  Read = 3,
  Write = 4,
  Resume = 5,
  Wait = 6,
  Syscall = 7,
  PeekUser = 8,
  PokeUser = 9,
  Kill = 10,
  GetFpRegs = 11,
  SetFpRegs = 12,
  KcmpFile = 13,
  Rdtsc = 14,
  Forget = 15,
  SetOptions = 16,
  GetSiginfo = 17,
  Detach = 18,
  SetSiginfo = 19,
  UprobeOpen = 20,
  CounterRead = 21,
  CounterClose = 22,
  WatchOpen = 23,
}

export const OP_NAMES: Record<number, string> = {
  1: 'GETREGS', 2: 'SETREGS', 3: 'READ', 4: 'WRITE', 5: 'RESUME', 6: 'WAIT', 7: 'SYSCALL',
  8: 'PEEKUSER', 9: 'POKEUSER', 10: 'KILL', 11: 'GETFPREGS', 12: 'SETFPREGS', 13: 'KCMP',
  14: 'RDTSC', 15: 'FORGET', 16: 'SETOPTIONS', 17: 'GETSIGINFO', 18: 'DETACH', 19: 'SETSIGINFO',
  20: 'UPROBE_OPEN', 21: 'COUNTER_READ', 22: 'COUNTER_CLOSE', 23: 'WATCH_OPEN',
};

/** ptrace requests used with Op.Resume. */
export const enum PtraceRequest {
  Cont = 7,
  Kill = 8,
  SingleStep = 9,
  Syscall = 24,
  SysEmu = 31,
  SysEmuSingleStep = 32,
}

export interface OpResult {
  op: Op;
  /** >= 0 on success, -errno on failure. */
  ret: number;
  data: Buffer;
}

const HEADER = 16;
const align8 = (n: number) => (n + 7) & ~7;

/** Scratch buffers reused by every batch: the hot path allocates nothing. */
let cmdBuf = Buffer.alloc(1 << 16);
let outBuf = Buffer.alloc(1 << 20);

/**
 * There is one queue of pending operations (`ptrace`, below): operations queued without running
 * (say, the registers an emulated syscall returns with) run before anything queued later, so a
 * read always sees every earlier write. `run()` returns the results of the whole batch; callers
 * take theirs from the end (`last`, `lastN`).
 */
export class PtraceProgram {
  private len = 0;
  private outNeed = 0;

  private reserve(payload: number): number {
    const need = this.len + HEADER + align8(payload);
    if (need > cmdBuf.length) {
      const bigger = Buffer.alloc(Math.max(need, cmdBuf.length * 2));
      cmdBuf.copy(bigger, 0, 0, this.len);
      cmdBuf = bigger;
    }
    return need;
  }

  private push(op: Op, tid: number, payload: number, out: number, fill?: (at: number) => void): this {
    const end = this.reserve(payload);
    cmdBuf.writeUInt32LE(op, this.len);
    cmdBuf.writeInt32LE(tid, this.len + 4);
    cmdBuf.writeUInt32LE(payload, this.len + 8);
    cmdBuf.writeUInt32LE(0, this.len + 12);
    if (fill) fill(this.len + HEADER);
    this.len = end;
    this.outNeed += HEADER + align8(out);
    return this;
  }

  getRegs(tid: number): this {
    return this.push(Op.GetRegs, tid, 0, 216);
  }
  setRegs(tid: number, regs: Buffer): this {
    return this.push(Op.SetRegs, tid, 216, 0, (at) => regs.copy(cmdBuf, at, 0, 216));
  }
  read(tid: number, addr: bigint, len: number): this {
    return this.push(Op.Read, tid, 16, len, (at) => {
      cmdBuf.writeBigUInt64LE(addr, at);
      cmdBuf.writeBigUInt64LE(BigInt(len), at + 8);
    });
  }
  write(tid: number, addr: bigint, data: Buffer): this {
    return this.push(Op.Write, tid, 8 + data.length, 0, (at) => {
      cmdBuf.writeBigUInt64LE(addr, at);
      data.copy(cmdBuf, at + 8);
    });
  }
  resume(tid: number, request: PtraceRequest, sig = 0): this {
    return this.push(Op.Resume, tid, 8, 0, (at) => {
      cmdBuf.writeInt32LE(request, at);
      cmdBuf.writeInt32LE(sig, at + 4);
    });
  }
  /** Wait for `tid` (-1: any tracee). timeoutMs < 0 waits forever. */
  wait(tid: number, timeoutMs = -1): this {
    return this.push(Op.Wait, tid, 8, STOP_SIZE, (at) => cmdBuf.writeInt32LE(timeoutMs, at));
  }
  syscall(tid: number, stubIp: bigint, nr: number, args: bigint[]): this {
    return this.push(Op.Syscall, tid, 64, 16, (at) => {
      cmdBuf.writeBigUInt64LE(stubIp, at);
      cmdBuf.writeBigInt64LE(BigInt(nr), at + 8);
      for (let i = 0; i < 6; i++) cmdBuf.writeBigInt64LE(BigInt.asIntN(64, args[i] ?? 0n), at + 16 + 8 * i);
    });
  }
  peekUser(tid: number, offset: number): this {
    return this.push(Op.PeekUser, tid, 8, 8, (at) => cmdBuf.writeBigUInt64LE(BigInt(offset), at));
  }
  pokeUser(tid: number, offset: number, value: bigint): this {
    return this.push(Op.PokeUser, tid, 16, 0, (at) => {
      cmdBuf.writeBigUInt64LE(BigInt(offset), at);
      cmdBuf.writeBigUInt64LE(BigInt.asUintN(64, value), at + 8);
    });
  }
  kill(tid: number, sig: number): this {
    return this.push(Op.Kill, tid, 8, 0, (at) => cmdBuf.writeInt32LE(sig, at));
  }
  getFpRegs(tid: number): this {
    return this.push(Op.GetFpRegs, tid, 0, 16384);
  }
  setFpRegs(tid: number, area: Buffer): this {
    return this.push(Op.SetFpRegs, tid, area.length, 0, (at) => area.copy(cmdBuf, at));
  }
  kcmpFile(tid: number, traceeFd: number, ourFd: number): this {
    return this.push(Op.KcmpFile, tid, 8, 0, (at) => {
      cmdBuf.writeInt32LE(traceeFd, at);
      cmdBuf.writeInt32LE(ourFd, at + 4);
    });
  }
  rdtsc(): this {
    return this.push(Op.Rdtsc, 0, 0, 16);
  }
  forget(tid: number): this {
    return this.push(Op.Forget, tid, 0, 0);
  }
  setOptions(tid: number, options: number): this {
    return this.push(Op.SetOptions, tid, 8, 0, (at) => cmdBuf.writeBigUInt64LE(BigInt(options), at));
  }
  getSiginfo(tid: number): this {
    return this.push(Op.GetSiginfo, tid, 0, 128);
  }
  setSiginfo(tid: number, siginfo: Buffer): this {
    return this.push(Op.SetSiginfo, tid, 128, 0, (at) => siginfo.copy(cmdBuf, at, 0, 128));
  }
  /** Count executions of `offset` in file `path` by `tid` in the kernel (ret: the counter's fd). */
  uprobeOpen(tid: number, path: string, offset: bigint, period = 0n, sig = 0): this {
    const p = Buffer.from(path + '\0');
    return this.push(Op.UprobeOpen, tid, 24 + p.length, 0, (at) => {
      cmdBuf.writeBigUInt64LE(offset, at);
      cmdBuf.writeBigUInt64LE(period, at + 8);
      cmdBuf.writeInt32LE(sig, at + 16);
      cmdBuf.writeInt32LE(0, at + 20);
      p.copy(cmdBuf, at + 24);
    });
  }
  /** Count user-mode accesses to [addr, addr+len) by `tid` with a hardware breakpoint (ret: fd). */
  watchOpen(tid: number, addr: bigint, len: number, bpType: number, period = 0n, sig = 0): this {
    return this.push(Op.WatchOpen, tid, 32, 0, (at) => {
      cmdBuf.writeBigUInt64LE(addr, at);
      cmdBuf.writeBigUInt64LE(BigInt(len), at + 8);
      cmdBuf.writeBigUInt64LE(period, at + 16);
      cmdBuf.writeInt32LE(bpType, at + 24);
      cmdBuf.writeInt32LE(sig, at + 28);
    });
  }
  counterRead(fd: number): this {
    return this.push(Op.CounterRead, 0, 8, 8, (at) => cmdBuf.writeInt32LE(fd, at));
  }
  counterClose(fd: number): this {
    return this.push(Op.CounterClose, 0, 8, 0, (at) => cmdBuf.writeInt32LE(fd, at));
  }
  detach(tid: number, sig = 0): this {
    return this.push(Op.Detach, tid, 8, 0, (at) => cmdBuf.writeInt32LE(sig, at));
  }

  /**
   * Run the batch. Results are views into a shared buffer, valid until the next run: copy what
   * must live longer. With `allowFailure`, a failed operation is returned instead of thrown.
   */
  run(allowFailure = false): OpResult[] {
    if (outBuf.length < this.outNeed) outBuf = Buffer.alloc(align8(this.outNeed * 2));
    const n = rrtsRun(cmdBuf, this.len, outBuf);
    this.len = 0;
    this.outNeed = 0;
    if (n < 0) throw new ErrnoError(-n, 'rrts_run');
    const results: OpResult[] = [];
    for (let at = 0; at < n; ) {
      const op = outBuf.readUInt32LE(at) as Op;
      const ret = outBuf.readInt32LE(at + 4);
      const len = outBuf.readUInt32LE(at + 8);
      results.push({ op, ret, data: outBuf.subarray(at + HEADER, at + HEADER + len) });
      at += HEADER + align8(len);
    }
    const last = results[results.length - 1];
    if (!allowFailure && last && last.ret < 0 && last.op !== Op.KcmpFile) {
      throw new ErrnoError(-last.ret, `ptrace ${OP_NAMES[last.op] ?? last.op}`);
    }
    return results;
  }
}

/** The result of the last operation of a batch. */
export function last(results: OpResult[]): OpResult {
  return results[results.length - 1];
}

/** The process-wide queue of ptrace operations (see PtraceProgram). */
export const ptrace = new PtraceProgram();

/** sizeof(struct rrts_stop) */
export const STOP_SIZE = 4 + 4 + 8 + 8 + 4 + 4 + 216 + 128;

/**
 * A handle on one stopped tracee thread: memory, registers and injected syscalls, each as one
 * native batch. Hot paths build their own PtraceProgram to fold several steps into one call.
 */
import { ptrace, last } from './native/ops';
import { Registers } from './registers';

export interface MemoryReader {
  read(addr: bigint, len: number): Buffer;
}

export class Tracee implements MemoryReader {
  private readonly prog = ptrace;
  constructor(readonly tid: number) {}

  /** Read up to len bytes (shorter at an unmapped page). */
  read(addr: bigint, len: number): Buffer {
    if (len === 0) return Buffer.alloc(0);
    const r = last(this.prog.read(this.tid, addr, len).run(true));
    return r.ret < 0 ? Buffer.alloc(0) : Buffer.from(r.data);
  }

  write(addr: bigint, data: Buffer): void {
    this.prog.write(this.tid, addr, data).run();
  }

  getRegs(): Registers {
    const r = last(this.prog.getRegs(this.tid).run());
    return new Registers(r.data);
  }

  setRegs(regs: Registers): void {
    this.prog.setRegs(this.tid, regs.buf).run();
  }

  /**
   * Run a syscall inside the tracee through the stub at `stubIp` (`syscall; int3`); registers
   * are restored afterwards. Returns the raw result (negative errno on failure).
   */
  syscall(stubIp: bigint, nr: number, ...args: bigint[]): bigint {
    const r = last(this.prog.syscall(this.tid, stubIp, nr, args).run());
    return r.data.readBigInt64LE(0);
  }

  kill(sig: number): void {
    this.prog.kill(this.tid, sig).run(true);
  }
}

/**
 * x86-64 general registers as the kernel's `struct user_regs_struct` (216 bytes), the layout
 * ptrace uses, the trace stores and the gdb stub converts. Values are unsigned 64-bit bigints.
 */
export const REG_NAMES = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi',
  'rdi', 'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs',
] as const;

export type RegName = (typeof REG_NAMES)[number];
export const REGS_SIZE = 216;
const OFFSET: Record<RegName, number> = Object.fromEntries(
  REG_NAMES.map((n, i) => [n, i * 8]),
) as Record<RegName, number>;

/** Syscall argument registers, in order. */
export const ARG_REGS: readonly RegName[] = ['rdi', 'rsi', 'rdx', 'r10', 'r8', 'r9'];

export class Registers {
  readonly buf: Buffer;
  constructor(buf?: Buffer) {
    this.buf = buf ? Buffer.from(buf.subarray(0, REGS_SIZE)) : Buffer.alloc(REGS_SIZE);
  }
  get(name: RegName): bigint {
    return this.buf.readBigUInt64LE(OFFSET[name]);
  }
  set(name: RegName, value: bigint): this {
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, value), OFFSET[name]);
    return this;
  }
  /** As a signed number: for results (rax) and small values. */
  getSigned(name: RegName): bigint {
    return this.buf.readBigInt64LE(OFFSET[name]);
  }
  get rip(): bigint { return this.get('rip'); }
  get rsp(): bigint { return this.get('rsp'); }
  get rax(): bigint { return this.get('rax'); }
  get origRax(): bigint { return this.get('orig_rax'); }
  /** The syscall number at a syscall stop (orig_rax), as a JS number. */
  get syscallNo(): number { return Number(this.buf.readBigInt64LE(OFFSET.orig_rax)); }
  arg(i: number): bigint { return this.get(ARG_REGS[i]); }
  clone(): Registers { return new Registers(this.buf); }
  equals(other: Registers): boolean { return this.buf.equals(other.buf); }
}

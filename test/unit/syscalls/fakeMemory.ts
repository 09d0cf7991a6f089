/**
 * A sparse tracee address space for outparam tests: mapped segments of bytes, and reads that
 * stop at the first unmapped byte, as reads through /proc/pid/mem do.
 */
import type { TraceeMemoryReader } from '../../../src/shared/syscalls/outparams';

export class FakeMemory implements TraceeMemoryReader {
  private readonly segments: Array<{ addr: bigint; buf: Buffer }> = [];
  readonly reads: Array<{ addr: bigint; len: number }> = [];

  /** Map `size` bytes at `addr`, filled with a pattern derived from the address. */
  map(addr: bigint, size: number): this {
    const buf = Buffer.alloc(size);
    for (let i = 0; i < size; i++) buf[i] = Number((addr + BigInt(i)) & 0xffn) ^ 0x5a;
    this.segments.push({ addr, buf });
    return this;
  }

  write(addr: bigint, data: Buffer): this {
    const s = this.segmentAt(addr);
    if (!s || addr + BigInt(data.length) > s.addr + BigInt(s.buf.length)) {
      throw new Error(`fake memory: write at 0x${addr.toString(16)} not mapped`);
    }
    data.copy(s.buf, Number(addr - s.addr));
    return this;
  }

  u32(addr: bigint, v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    return this.write(addr, b);
  }

  u64(addr: bigint, v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    return this.write(addr, b);
  }

  /** iovec array at `addr`: [base, len] pairs. */
  iovecs(addr: bigint, iov: Array<[bigint, number]>): this {
    iov.forEach(([base, len], i) => {
      this.u64(addr + BigInt(16 * i), base);
      this.u64(addr + BigInt(16 * i + 8), BigInt(len));
    });
    return this;
  }

  bytes(addr: bigint, len: number): Buffer {
    return this.read(addr, len);
  }

  read(addr: bigint, len: number): Buffer {
    this.reads.push({ addr, len });
    const s = this.segmentAt(addr);
    if (!s) return Buffer.alloc(0);
    const off = Number(addr - s.addr);
    return Buffer.from(s.buf.subarray(off, Math.min(off + len, s.buf.length)));
  }

  private segmentAt(addr: bigint) {
    return this.segments.find((s) => addr >= s.addr && addr < s.addr + BigInt(s.buf.length));
  }
}

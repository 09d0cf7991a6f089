/**
 * Evaluates a SyscallDef's outparams and scatters against tracee memory after the call: the
 * list of memory regions the kernel wrote, with their bytes, for the recorder to save and the
 * replayer to write back.
 *
 * Contract:
 * - Never throws on tracee data. What cannot be evaluated (an unknown ioctl, a length word in
 *   unmapped memory, a size over MAX_OUTPARAM_BYTES) is skipped or truncated and explained in
 *   `problem`; the recorder should log it and mark the event so replay refuses it, since a
 *   missing write means a silently wrong replay.
 * - Nothing is collected for a NULL pointer, nor for a failed call (ret in [-4095, -1]) unless
 *   the outparam says `onlyOnSuccess: false`.
 * - Regions may be larger than what the kernel changed (a whole pollfd array, a whole
 *   msghdr), but only ever inside the buffer the caller handed the kernel, so writing the
 *   saved bytes back in replay is a no-op for the parts the kernel left alone.
 * - `lenAt` sizes (socket addresses) are capped by the length the caller passed, which only
 *   the memory before the call holds: pass `before`, a reader over the regions `entryReads`
 *   lists, read at syscall entry. Without it the cap is sizeof(struct sockaddr_storage), the
 *   most the kernel ever reports, and a short caller buffer gets up to that many bytes after
 *   it saved and restored unchanged.
 */
import type { Outparam, Scatter, Size, SyscallDef } from './types';
import { FIEMAP, IFCONF, IOCTL_OUTPARAMS, IOC_NONE, IOC_READ, decodeIoc } from './ioctls';
import { opNumber, opTableFor } from './ops';
import { isErrorResult } from './resolve';
import { MMSGHDR_MSG_LEN, MSGHDR, SOCKADDR_MAX, STRUCT_SIZES as S, UIO_MAXIOV } from './structs';

export { formatSyscall } from './format';

export interface TraceeMemoryReader {
  /** `len` bytes at `addr`; may return fewer (or none) where memory is not mapped. */
  read(addr: bigint, len: number): Buffer;
}

export interface MemWrite {
  addr: bigint;
  data: Buffer;
}

export interface CollectResult {
  writes: MemWrite[];
  /** why the writes may be incomplete; absent when they are exact */
  problem?: string;
}

/** A region to read at syscall entry, for `before`. */
export interface EntryRead {
  addr: bigint;
  len: number;
}

/** The most one syscall's outparams may hold; more is truncated and reported. */
export const MAX_OUTPARAM_BYTES = 256 * 1024 * 1024;

const hex = (n: bigint): string => '0x' + n.toString(16);

/** Regions whose pre-call contents collectOutparams uses (caller-supplied lengths). */
export function entryReads(def: SyscallDef, args: readonly bigint[]): EntryRead[] {
  const reads: EntryRead[] = [];
  const add = (addr: bigint | undefined, len: number): void => {
    if (addr) reads.push({ addr, len });
  };
  for (const o of def.outparams ?? []) {
    if (o.size.kind === 'lenAt') add(args[o.size.arg], 4);
  }
  for (const s of def.scatter ?? []) {
    if (s.kind === 'sockopt' && s.countArg !== undefined) add(args[s.countArg], 4);
    if (s.kind === 'msghdr' && args[s.arg]) add(args[s.arg] + BigInt(MSGHDR.namelen), 4);
    if (s.kind === 'mmsghdr' && s.countArg !== undefined) {
      const n = Math.min(Number(BigInt.asUintN(32, args[s.countArg] ?? 0n)), UIO_MAXIOV);
      if (n > 0) add(args[s.arg], n * S.mmsghdr);
    }
  }
  return reads;
}

/** A TraceeMemoryReader over saved regions (the `before` snapshot). */
export class SnapshotReader implements TraceeMemoryReader {
  constructor(private readonly regions: readonly MemWrite[]) {}
  read(addr: bigint, len: number): Buffer {
    for (const r of this.regions) {
      const start = addr - r.addr;
      if (start >= 0n && start + BigInt(len) <= BigInt(r.data.length)) {
        return r.data.subarray(Number(start), Number(start) + len);
      }
    }
    return Buffer.alloc(0);
  }
}

/**
 * The memory the kernel wrote during this call. `ret` is the raw result register (either
 * signedness); `before`, if given, answers for the regions `entryReads` listed.
 */
export function collectOutparams(
  def: SyscallDef,
  args: readonly bigint[],
  ret: bigint,
  mem: TraceeMemoryReader,
  before?: TraceeMemoryReader,
): CollectResult {
  const c = new Collector(def, args, ret, mem, before);
  for (const o of def.outparams ?? []) c.outparam(o, `arg ${o.arg}`);
  for (const s of def.scatter ?? []) c.scatter(s);
  return c.result();
}

class Collector {
  private readonly writes: MemWrite[] = [];
  private readonly problems: string[] = [];
  private budget = MAX_OUTPARAM_BYTES;
  private readonly ret: bigint;
  private readonly failed: boolean;

  constructor(
    private readonly def: SyscallDef,
    private readonly args: readonly bigint[],
    ret: bigint,
    private readonly mem: TraceeMemoryReader,
    private readonly before?: TraceeMemoryReader,
  ) {
    this.ret = BigInt.asIntN(64, ret);
    this.failed = isErrorResult(ret);
  }

  result(): CollectResult {
    return this.problems.length === 0
      ? { writes: this.writes }
      : { writes: this.writes, problem: `${this.def.name}: ${this.problems.join('; ')}` };
  }

  outparam(o: Outparam, what: string): void {
    if (this.failed && o.onlyOnSuccess !== false) return;
    const ptr = this.args[o.arg] ?? 0n;
    if (ptr === 0n) return;
    const n = this.size(o.size, what);
    if (n === undefined) return;
    this.take(ptr + BigInt(o.offset ?? 0), n, what);
  }

  scatter(s: Scatter): void {
    switch (s.kind) {
      case 'iovec':
        if (this.failed) return;
        this.iovecs(this.arg(s.arg), this.count(s.countArg), this.retBytes(), 'iovec');
        return;
      case 'msghdr':
        if (this.failed) return;
        this.msghdr(this.arg(s.arg), this.retBytes());
        return;
      case 'mmsghdr':
        if (this.failed) return;
        this.mmsghdr(this.arg(s.arg), Math.min(this.retBytes(), this.count(s.countArg)));
        return;
      case 'ioctl':
        if (this.failed) return;
        this.ioctl(this.arg(s.arg));
        return;
      case 'sockopt':
        this.sockopt(this.arg(s.arg), s.countArg === undefined ? 0n : this.arg(s.countArg));
        return;
      case 'fcntl':
      case 'prctl':
      case 'byOp':
        this.byOp(s);
        return;
      default: {
        const unknown: never = s.kind;
        this.problems.push(`scatter kind ${String(unknown)} not implemented`);
      }
    }
  }

  // Arguments, as the kernel reads them.

  private arg(i: number): bigint {
    return this.args[i] ?? 0n;
  }

  /**
   * A count or length argument as a JS number. Arguments the table formats as 'int' are C ints:
   * the kernel looks at the low 32 bits only, signed (negative counts fail, so they count 0).
   */
  private count(i: number | undefined): number {
    if (i === undefined) return 0;
    const v = this.arg(i);
    if (this.def.args?.[i] === 'int') return Math.max(0, Number(BigInt.asIntN(32, v)));
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }

  private retBytes(): number {
    return this.ret > 0n ? Number(this.ret) : 0;
  }

  private size(s: Size, what: string): number | undefined {
    switch (s.kind) {
      case 'fixed':
        return s.bytes;
      case 'arg':
        return Math.ceil(this.count(s.arg) * (s.scale ?? 1));
      case 'ret': {
        const scale = s.scale ?? 1;
        const n = this.retBytes() * scale;
        return s.capArg === undefined ? n : Math.min(n, this.count(s.capArg) * scale);
      }
      case 'lenAt': {
        const lenPtr = this.arg(s.arg);
        if (lenPtr === 0n) return 0;
        const after = this.u32(lenPtr, this.mem);
        if (after === undefined) {
          this.problems.push(`${what}: length word at ${hex(lenPtr)} unreadable`);
          return undefined;
        }
        return Math.min(after, this.callerLength(lenPtr) ?? SOCKADDR_MAX);
      }
      case 'fdset':
        return Math.ceil(this.count(s.arg) / 64) * 8;
    }
  }

  /** The u32 length the caller stored at `addr` before the call, if `before` knows it. */
  private callerLength(addr: bigint): number | undefined {
    return this.before ? this.u32(addr, this.before) : undefined;
  }

  // Memory.

  private u32(addr: bigint, reader: TraceeMemoryReader): number | undefined {
    const b = reader.read(addr, 4);
    return b.length >= 4 ? b.readUInt32LE(0) : undefined;
  }

  /** Read and save `len` bytes at `addr` (nothing for NULL or an empty region). */
  private take(addr: bigint, len: number, what: string): Buffer | undefined {
    if (addr === 0n || !(len > 0)) return undefined;
    if (len > this.budget) {
      // A failed call wrote little or nothing (poll with an absurd nfds fails EINVAL).
      if (!this.failed) {
        this.problems.push(`${what}: ${len} bytes exceed the ${MAX_OUTPARAM_BYTES}-byte cap, truncated`);
      }
      len = this.budget;
      if (len === 0) return undefined;
    }
    const data = this.mem.read(addr, len);
    this.budget -= data.length;
    if (data.length < len && !this.failed) {
      this.problems.push(`${what}: only ${data.length} of ${len} bytes readable at ${hex(addr)}`);
    }
    if (data.length > 0) this.writes.push({ addr, data });
    return data.length === len ? data : undefined;
  }

  // Scatter layouts.

  /** Fill iovecs in order with `remaining` bytes (readv: ret; recvmsg: ret, or less). */
  private iovecs(iov: bigint, count: number, remaining: number, what: string): void {
    const n = Math.min(count, UIO_MAXIOV);
    if (iov === 0n || n <= 0 || remaining <= 0) return;
    const arr = this.mem.read(iov, n * S.iovec);
    if (arr.length < n * S.iovec) {
      this.problems.push(`${what}: iovec array at ${hex(iov)} unreadable`);
    }
    for (let i = 0; i + S.iovec <= arr.length && remaining > 0; i += S.iovec) {
      const base = arr.readBigUInt64LE(i);
      const len = arr.readBigUInt64LE(i + 8);
      const take = len < BigInt(remaining) ? Number(len) : remaining;
      this.take(base, take, `${what}[${i / S.iovec}]`);
      remaining -= take;
    }
  }

  private msghdr(p: bigint, received: number): void {
    // The kernel updates msg_namelen, msg_controllen and msg_flags; save the whole struct.
    const hdr = this.take(p, S.msghdr, 'msghdr');
    if (hdr) this.msghdrBuffers(p, hdr, received, 'msghdr');
  }

  /** Name, iovecs and control buffer of the msghdr at `p` (contents `hdr`, after the call). */
  private msghdrBuffers(p: bigint, hdr: Buffer, received: number, what: string): void {
    const name = hdr.readBigUInt64LE(MSGHDR.name);
    const namelen = hdr.readUInt32LE(MSGHDR.namelen);
    if (name !== 0n && namelen > 0) {
      const cap = this.callerLength(p + BigInt(MSGHDR.namelen)) ?? SOCKADDR_MAX;
      this.take(name, Math.min(namelen, cap), `${what}.msg_name`);
    }
    const iovlen = hdr.readBigUInt64LE(MSGHDR.iovlen);
    this.iovecs(
      hdr.readBigUInt64LE(MSGHDR.iov),
      iovlen > BigInt(UIO_MAXIOV) ? UIO_MAXIOV : Number(iovlen),
      received,
      `${what}.msg_iov`,
    );
    // msg_controllen now holds the length of the control data the kernel wrote.
    const control = hdr.readBigUInt64LE(MSGHDR.control);
    const controllen = hdr.readBigUInt64LE(MSGHDR.controllen);
    if (control !== 0n && controllen > 0n) {
      const n = controllen > BigInt(MAX_OUTPARAM_BYTES) ? MAX_OUTPARAM_BYTES + 1 : Number(controllen);
      this.take(control, n, `${what}.msg_control`);
    }
  }

  /** recvmmsg: `count` entries, each a msghdr plus the msg_len the kernel stored. */
  private mmsghdr(vec: bigint, count: number): void {
    for (let i = 0; i < Math.min(count, UIO_MAXIOV); i++) {
      const entry = vec + BigInt(i * S.mmsghdr);
      const buf = this.take(entry, S.mmsghdr, `mmsghdr[${i}]`);
      if (!buf) return;
      this.msghdrBuffers(entry, buf, buf.readUInt32LE(MMSGHDR_MSG_LEN), `mmsghdr[${i}]`);
    }
  }

  private ioctl(requestArg: bigint): void {
    const request = Number(BigInt.asUintN(32, requestArg));
    const ptr = this.arg(2);
    const known = IOCTL_OUTPARAMS.get(request);
    const what = known ? known.name : `ioctl ${hex(BigInt(request))}`;
    if (known) {
      if (known.replay === 'unsupported') this.problems.push(`${what}: effects not described`);
      if (known.bytes) this.take(ptr, known.bytes, what);
      if (known.layout === 'ifconf') this.ifconf(ptr);
      if (known.layout === 'fiemap') this.fiemap(ptr);
      return;
    }
    const ioc = decodeIoc(request);
    if (ioc.dir === IOC_NONE) {
      this.problems.push(`${what}: no _IOC direction and not in IOCTL_OUTPARAMS, effects unknown`);
    } else if (ioc.dir & IOC_READ) {
      this.take(ptr, ioc.size, what);
    }
  }

  /** SIOCGIFCONF: ifc_len, and that many bytes at ifc_buf (when ifc_buf is NULL: only the length). */
  private ifconf(p: bigint): void {
    const hdr = this.take(p, S.ifconf, 'ifconf');
    if (!hdr) return;
    const len = hdr.readInt32LE(IFCONF.len);
    this.take(hdr.readBigUInt64LE(IFCONF.buf), len, 'ifconf.ifc_buf');
  }

  /** FS_IOC_FIEMAP: the header, then fm_mapped_extents extents (none when fm_extent_count is 0). */
  private fiemap(p: bigint): void {
    const hdr = this.take(p, S.fiemap, 'fiemap');
    if (!hdr) return;
    const mapped = Math.min(hdr.readUInt32LE(FIEMAP.mappedExtents), hdr.readUInt32LE(FIEMAP.extentCount));
    this.take(p + BigInt(FIEMAP.extents), mapped * S.fiemapExtent, 'fiemap.fm_extents');
  }

  /**
   * getsockopt: *optlen is rewritten (also on some failures: ERANGE reports the size needed),
   * and optval holds *optlen bytes on success, never more than the caller's length.
   */
  private sockopt(optval: bigint, optlenPtr: bigint): void {
    if (optlenPtr === 0n) return;
    const lenBuf = this.take(optlenPtr, 4, 'optlen');
    if (!lenBuf || this.failed) return;
    const after = lenBuf.readUInt32LE(0);
    this.take(optval, Math.min(after, this.callerLength(optlenPtr) ?? after), 'optval');
  }

  private byOp(s: Scatter): void {
    const table = opTableFor(this.def, s);
    if (!table) {
      this.problems.push(`no op table for ${s.kind}`);
      return;
    }
    const n = opNumber(table, this.arg(s.arg));
    const op = table.ops.get(n);
    if (!op) {
      if (!this.failed) this.problems.push(`operation ${n} (0x${n.toString(16)}) not described`);
      return;
    }
    if (op.replay === 'unsupported' && !this.failed) {
      this.problems.push(`${op.name}: effects not described`);
    }
    for (const o of op.out ?? []) this.outparam(o, `${op.name} arg ${o.arg}`);
  }
}

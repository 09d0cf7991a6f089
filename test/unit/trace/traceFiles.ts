/**
 * Test-side knowledge of the events file framing, written from the format description in
 * src/trace/traceStream.ts rather than imported from it:
 *   magic "RRTS-TRACE\n", then records [u32 length][u32 crc32][u8 flags][payload], all LE;
 *   flags bit 0 = payload is deflate-raw compressed; the first record is the Header.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { TraceWriter } from '../../../src/trace/traceStream';
import { Header, TraceEvent } from '../../../src/trace/schema';

export const MAGIC = Buffer.from('RRTS-TRACE\n', 'latin1');

export interface RecordSpan {
  /** offset of the record's 9-byte header */
  start: number;
  /** offset of its payload */
  payload: number;
  length: number;
  flags: number;
  /** offset just past it */
  end: number;
}

/** Split an events file into its records (checking the framing as it goes). */
export function records(file: string): RecordSpan[] {
  const buf = fs.readFileSync(file);
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error(`${file}: no magic`);
  const out: RecordSpan[] = [];
  let at = MAGIC.length;
  while (at < buf.length) {
    const length = buf.readUInt32LE(at);
    const crc = buf.readUInt32LE(at + 4);
    const flags = buf.readUInt8(at + 8);
    const payload = buf.subarray(at + 9, at + 9 + length);
    if (payload.length !== length) throw new Error(`${file}: record at ${at} cut short`);
    if (zlib.crc32(payload) !== crc) throw new Error(`${file}: bad crc at ${at}`);
    out.push({ start: at, payload: at + 9, length, flags, end: at + 9 + length });
    at += 9 + length;
  }
  return out;
}

/** Frame one payload as the writer does (uncompressed). */
export function frame(payload: Uint8Array, flags = 0): Buffer {
  const head = Buffer.alloc(9);
  head.writeUInt32LE(payload.length, 0);
  head.writeUInt32LE(zlib.crc32(payload), 4);
  head.writeUInt8(flags, 8);
  return Buffer.concat([head, payload]);
}

/** 216 bytes of a user_regs_struct with rip (offset 128) and orig_rax (offset 120) set. */
export function regs(rip: number, origRax = 0, fill = 0): Buffer {
  const b = Buffer.alloc(216, fill);
  b.writeBigUInt64LE(BigInt(origRax), 120);
  b.writeBigUInt64LE(BigInt(rip), 128);
  return b;
}

export function tsc(value: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(value);
  return b;
}

export const HEADER: Omit<Header, 'version'> = {
  rrtsVersion: '9.8.7-test',
  argv: ['/bin/prog', 'one', 'two words'],
  env: ['A=1', 'PATH=/usr/bin:/bin'],
  cwd: '/some/where',
  exePath: '/bin/prog',
  stackLimit: 8 * 1024 * 1024,
  startTimeMs: 1_700_000_000_123,
  ticks: 'software',
  stubPage: 0x70000000,
  pid: 4242,
  hostname: 'testhost',
};

/** A small trace with `n` write syscalls and an End event; returns the events written. */
export function writeSmallTrace(dir: string, n: number): TraceEvent[] {
  const w = new TraceWriter(dir);
  w.writeHeader(HEADER);
  const events: TraceEvent[] = [];
  for (let i = 0; i < n; i++) {
    const data = Buffer.from(`line ${i}\n`);
    events.push({
      tid: 4242,
      syscall: { nr: 1, regs: regs(0x401000 + i, 1), result: data.length, writes: [], stdioFd: 1, stdioData: data },
    });
  }
  events.push({ tid: 4242, exit: { code: 3, signal: 0 } });
  events.push({ tid: 4242, end: { reason: 'the program ended' } });
  for (const e of events) w.writeEvent(e);
  w.close();
  return events;
}

export function eventsFile(dir: string): string {
  return path.join(dir, 'events');
}

/** A deep copy with every byte array replaced by its hex, for deepEqual across Buffer/Uint8Array. */
export function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return `hex:${Buffer.from(v).toString('hex')}`;
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    // The reader gives every field back, unset ones as their defaults (0, '', false, empty
    // bytes, null); the events written leave them out. Compare what is set. (That zeros do
    // come back as 0 is checked by its own test.)
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!isDefault(x)) o[k] = plain(x);
    return o;
  }
  return v;
}

function isDefault(x: unknown): boolean {
  return x === undefined || x === null || x === false || x === '' || x === 0 ||
    (x instanceof Uint8Array && x.length === 0) || (Array.isArray(x) && x.length === 0);
}

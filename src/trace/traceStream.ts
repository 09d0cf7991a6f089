/**
 * Reading and writing a trace directory. Writer and reader live together so that the framing
 * is defined once.
 *
 *   DIR/events   TRACE_MAGIC, then records: [u32 length][u32 crc32][u8 flags][payload]
 *                The first record is the Header, every later one an Event. flags bit 0: the
 *                payload is deflate-raw compressed. Each record is written when it happens, so
 *                a recorder killed with SIGKILL leaves a trace that replays up to its last event.
 *   DIR/files/   copies (or hard links) of the executable, libraries and mapped files.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { TRACE_MAGIC, TRACE_VERSION } from './version';
import { Header, SavedFile, TraceEvent, messages, toPlain } from './schema';
import { UserError } from '../shared/errors';

const RECORD_HEADER = 9;
const FLAG_DEFLATE = 1;
/** Payloads at least this large are compressed; smaller ones would not shrink enough to pay. */
const COMPRESS_FROM = 256;
/** A length above this is damage, not data. */
const MAX_RECORD = 1 << 30;

export const EVENTS_FILE = 'events';
export const FILES_DIR = 'files';

export class TraceWriter {
  private readonly fd: number;
  private readonly saved = new Map<string, SavedFile>();
  private readonly types = messages();
  eventCount = 0;

  constructor(readonly dir: string) {
    if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
      throw new UserError(`rrts: trace directory ${dir} already exists and is not empty`);
    }
    fs.mkdirSync(path.join(dir, FILES_DIR), { recursive: true });
    this.fd = fs.openSync(path.join(dir, EVENTS_FILE), 'wx');
    fs.writeSync(this.fd, TRACE_MAGIC);
  }

  writeHeader(h: Omit<Header, 'version'>): void {
    const { Header } = this.types;
    this.writeRecord(Buffer.from(Header.encode({ ...h, version: TRACE_VERSION }).finish()));
  }

  writeEvent(e: TraceEvent): number {
    this.writeRecord(Buffer.from(this.types.Event.encode(e).finish()));
    return this.eventCount++;
  }

  private writeRecord(payload: Buffer): void {
    let flags = 0;
    if (payload.length >= COMPRESS_FROM) {
      const z = zlib.deflateRawSync(payload, { level: 1 });
      if (z.length < payload.length) payload = z, flags |= FLAG_DEFLATE;
    }
    const head = Buffer.alloc(RECORD_HEADER);
    head.writeUInt32LE(payload.length, 0);
    head.writeUInt32LE(zlib.crc32(payload), 4);
    head.writeUInt8(flags, 8);
    fs.writevSync(this.fd, [head, payload]);
  }

  /**
   * Save a file the tracee maps (or executes) into files/, once per (device, inode, mtime).
   * Files that cannot change under us in place (not writable by anyone) are hard-linked; the
   * rest are copied, so that later edits do not reach the trace.
   */
  saveFile(original: string, st?: fs.Stats, source = original): SavedFile {
    st ??= fs.statSync(source);
    const key = `${st.dev}:${st.ino}:${st.mtimeMs}:${st.size}`;
    const known = this.saved.get(key);
    if (known) return known;
    const name = `${path.basename(original)}-${st.ino}-${this.saved.size}`;
    const dest = path.join(this.dir, FILES_DIR, name);
    let linked = false;
    if ((st.mode & 0o222) === 0 || original.startsWith('/usr/') || original.startsWith('/lib')) {
      try {
        if (fs.statSync(original).ino === st.ino) {
          fs.linkSync(original, dest);
          linked = true;
        }
      } catch {
        // gone, another filesystem, or not allowed: copy instead
      }
    }
    if (!linked) fs.copyFileSync(source, dest, fs.constants.COPYFILE_FICLONE);
    const saved: SavedFile = { originalPath: original, name, size: st.size };
    this.saved.set(key, saved);
    return saved;
  }

  close(): void {
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }
}

/** Where a trace stops short of a clean end. */
export interface TraceEnd {
  events: number;
  /** set when the events file stops in the middle of a record or has no End event */
  problem?: string;
}

export class TraceReader {
  readonly header: Header;
  /** file offset of each event record */
  private readonly offsets: number[] = [];
  private readonly fd: number;
  private readonly types = messages();
  readonly end: TraceEnd;

  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir = path.resolve(dir);
    const file = path.join(dir, EVENTS_FILE);
    if (!fs.existsSync(dir)) throw new UserError(`rrts: no trace at ${dir}`);
    if (!fs.existsSync(file)) throw new UserError(`rrts: ${dir} is not an rrts trace (no ${EVENTS_FILE} file)`);
    this.fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(this.fd).size;
    const magic = Buffer.alloc(TRACE_MAGIC.length);
    fs.readSync(this.fd, magic, 0, magic.length, 0);
    if (!magic.equals(TRACE_MAGIC)) throw new UserError(`rrts: ${file} is not an rrts trace (bad magic)`);

    const first = this.readRecordAt(TRACE_MAGIC.length, size);
    if (!first.payload) throw new UserError(`rrts: trace ${dir} is damaged: ${first.problem ?? 'no header'}`);
    const rawHeader = this.types.Header.decode(first.payload);
    this.header = toPlain<Header>(this.types.Header, rawHeader);
    this.header.argv ??= [];
    this.header.env ??= [];
    if (this.header.version !== TRACE_VERSION) {
      throw new UserError(
        `rrts: trace ${dir} has format version ${this.header.version ?? 0}; this rrts reads version ${TRACE_VERSION}`,
      );
    }
    let at = first.next;
    let problem: string | undefined;
    let sawEnd = false;
    while (at < size) {
      const r = this.readRecordAt(at, size, true);
      if (r.problem) {
        problem = r.problem;
        break;
      }
      this.offsets.push(at);
      at = r.next;
    }
    if (!problem && this.offsets.length > 0) sawEnd = this.event(this.offsets.length - 1).end !== undefined;
    if (!problem && !sawEnd) problem = 'the recording was interrupted (no end marker)';
    this.end = { events: this.offsets.length, problem };
  }

  get eventCount(): number {
    return this.offsets.length;
  }

  /** Recently decoded events: replay asks for the same few again and again (single steps). */
  private readonly cache = new Map<number, TraceEvent>();

  /** Decode event `i` (0-based). The result is shared: do not modify it. */
  event(i: number): TraceEvent {
    const hit = this.cache.get(i);
    if (hit) return hit;
    const e = this.decodeEvent(i);
    if (this.cache.size >= 256) this.cache.delete(this.cache.keys().next().value as number);
    this.cache.set(i, e);
    return e;
  }

  private decodeEvent(i: number): TraceEvent {
    const r = this.readRecordAt(this.offsets[i], Infinity);
    if (!r.payload) throw new UserError(`rrts: trace ${this.dir} is damaged at event ${i}: ${r.problem}`);
    try {
      return toPlain<TraceEvent>(this.types.Event, this.types.Event.decode(r.payload));
    } catch (e) {
      throw new UserError(`rrts: trace ${this.dir} is damaged at event ${i}: ${(e as Error).message}`);
    }
  }

  filePath(f: SavedFile): string {
    return path.join(this.dir, FILES_DIR, f.name);
  }

  /**
   * Read the record at `at`. With `headerOnly`, checks framing and checksum of records while
   * scanning; a checksum mismatch is damage, a record cut short is where the trace ends.
   */
  private readRecordAt(at: number, size: number, scanning = false): { payload?: Buffer; next: number; problem?: string } {
    const head = Buffer.alloc(RECORD_HEADER);
    const n = fs.readSync(this.fd, head, 0, RECORD_HEADER, at);
    if (n < RECORD_HEADER) return { next: at, problem: 'the last record is cut short (truncated trace)' };
    const len = head.readUInt32LE(0);
    const crc = head.readUInt32LE(4);
    const flags = head.readUInt8(8);
    if (len > MAX_RECORD || (flags & ~FLAG_DEFLATE) !== 0) {
      throw new UserError(`rrts: trace ${this.dir} is corrupted at byte ${at} (bad record header)`);
    }
    if (at + RECORD_HEADER + len > size) return { next: at, problem: 'the last record is cut short (truncated trace)' };
    const payload = Buffer.alloc(len);
    const got = fs.readSync(this.fd, payload, 0, len, at + RECORD_HEADER);
    if (got < len) return { next: at, problem: 'the last record is cut short (truncated trace)' };
    if (zlib.crc32(payload) !== crc) {
      throw new UserError(`rrts: trace ${this.dir} is corrupted at byte ${at} (checksum mismatch)`);
    }
    const next = at + RECORD_HEADER + len;
    if (scanning) return { next };
    try {
      return { payload: flags & FLAG_DEFLATE ? zlib.inflateRawSync(payload) : payload, next };
    } catch {
      throw new UserError(`rrts: trace ${this.dir} is corrupted at byte ${at} (bad compressed data)`);
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

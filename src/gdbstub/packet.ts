/**
 * The gdb remote serial protocol framing layer, as a pure codec (no sockets, no state beyond the
 * incremental decoder's buffer).
 *
 * Wire format: `$<body>#<two hex digits>`, where the digits are the sum of the body bytes mod 256.
 * Between frames the peer may send `+` (ack), `-` (nak: retransmit) or the single byte 0x03
 * (interrupt). Inside a body:
 * - binary data (X, vFile:pwrite, qXfer replies, vFile:pread replies) escapes `#` `$` `}` `*` as
 *   `}` followed by the byte XOR 0x20. Escaping is *not* undone here: only binary fields are
 *   escaped, so each parser unescapes its own binary field ({@link unescapeBinary}).
 * - run-length encoding: `X*c` means "X followed by (c - 29) more copies of X". gdb expands it
 *   while reading the frame, before any unescaping, and so does this decoder.
 */

const DOLLAR = 0x24;
const HASH = 0x23;
const STAR = 0x2a;
const BRACE = 0x7d;
const PLUS = 0x2b;
const MINUS = 0x2d;
/** The interrupt request (Ctrl-C) gdb sends between packets. */
export const INTERRUPT_BYTE = 0x03;

/** RLE count bytes are printable: repeat = byte - 29, so ' ' (32) means 3 more copies. */
const RLE_BIAS = 29;
/** Largest repeat whose count byte is still printable ASCII (126 = '~'). */
const RLE_MAX_REPEAT = 126 - RLE_BIAS;

export type CorruptReason = 'checksum' | 'rle' | 'overflow';

/** What the decoder found in the byte stream, in order. */
export type PacketEvent =
  /** A complete frame whose checksum matched; `payload` is the body with RLE expanded. */
  | { readonly type: 'packet'; readonly payload: Buffer }
  /** A complete frame that must not be executed (bad checksum, bad RLE, or too long). */
  | { readonly type: 'corrupt'; readonly reason: CorruptReason }
  | { readonly type: 'interrupt' }
  | { readonly type: 'ack' }
  | { readonly type: 'nak' }
  /** Bytes outside any frame that mean nothing (or an abandoned partial frame). */
  | { readonly type: 'garbage'; readonly length: number };

/** Sum of the bytes mod 256: the frame checksum. */
export function checksum(body: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum = (sum + body[i]) & 0xff;
  return sum;
}

function needsEscape(b: number): boolean {
  return b === HASH || b === DOLLAR || b === BRACE || b === STAR;
}

/** Escape binary data for inclusion in a packet body. */
export function escapeBinary(data: Uint8Array): Buffer {
  let extra = 0;
  for (let i = 0; i < data.length; i++) if (needsEscape(data[i])) extra++;
  if (extra === 0) return Buffer.from(data);
  const out = Buffer.alloc(data.length + extra);
  let o = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (needsEscape(b)) {
      out[o++] = BRACE;
      out[o++] = b ^ 0x20;
    } else {
      out[o++] = b;
    }
  }
  return out;
}

/** Undo {@link escapeBinary}. `null` if the data ends in a dangling `}`. */
export function unescapeBinary(data: Uint8Array): Buffer | null {
  const out = Buffer.alloc(data.length);
  let o = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (b === BRACE) {
      if (i + 1 >= data.length) return null;
      out[o++] = data[++i] ^ 0x20;
    } else {
      out[o++] = b;
    }
  }
  return out.subarray(0, o);
}

/**
 * Expand run-length encoding the way gdb's `read_frame` does. `null` if a `*` has nothing to
 * repeat, no count byte, a count outside 1..255, or the result would exceed `maxLength`.
 */
export function expandRle(body: Uint8Array, maxLength = Infinity): Buffer | null {
  if (body.indexOf(STAR) < 0) return Buffer.from(body);
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const b = body[i];
    if (b !== STAR) {
      out.push(b);
    } else {
      if (out.length === 0 || i + 1 >= body.length) return null;
      const repeat = body[++i] - RLE_BIAS;
      if (repeat < 1 || repeat > 255) return null;
      const prev = out[out.length - 1];
      for (let k = 0; k < repeat; k++) out.push(prev);
    }
    if (out.length > maxLength) return null;
  }
  return Buffer.from(out);
}

/**
 * Run-length encode a text body. Runs of `$ # } *` are never encoded, and the repeat counts 6, 7
 * and 13 are avoided because their count bytes would be `#`, `$` and `*`.
 */
export function encodeRle(body: Uint8Array): Buffer {
  const out: number[] = [];
  let i = 0;
  while (i < body.length) {
    const b = body[i];
    let run = 1;
    while (i + run < body.length && body[i + run] === b) run++;
    i += run;
    if (needsEscape(b)) {
      for (let k = 0; k < run; k++) out.push(b);
      continue;
    }
    while (run > 0) {
      out.push(b);
      run--;
      let n = Math.min(run, RLE_MAX_REPEAT);
      if (n === 6 || n === 7) n = 5; // counts '#' and '$' would end or restart the frame
      else if (n === 13) n = 12; // a count of '*' is legal but confuses naive decoders
      if (n >= 3) {
        out.push(STAR, n + RLE_BIAS);
        run -= n;
      } else {
        for (; run > 0; run--) out.push(b);
      }
    }
  }
  return Buffer.from(out);
}

export interface EncodeOptions {
  /** Run-length encode the body (use only for text such as hex register dumps). */
  readonly rle?: boolean;
}

/**
 * Frame a body as `$body#xx`. The body must already have its binary fields escaped: a raw `$` or
 * `#` here is a bug in the caller, so it throws rather than emit a frame gdb would misparse.
 */
export function encodePacket(body: Uint8Array | string, options: EncodeOptions = {}): Buffer {
  let bytes: Buffer = typeof body === 'string' ? Buffer.from(body, 'latin1') : Buffer.from(body);
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === DOLLAR || bytes[i] === HASH) {
      throw new Error(`packet body has an unescaped ${String.fromCharCode(bytes[i])} at offset ${i}`);
    }
  }
  if (options.rle) bytes = encodeRle(bytes);
  const frame = Buffer.alloc(bytes.length + 4);
  frame[0] = DOLLAR;
  bytes.copy(frame, 1);
  frame[bytes.length + 1] = HASH;
  frame.write(checksum(bytes).toString(16).padStart(2, '0'), bytes.length + 2, 'latin1');
  return frame;
}

function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}

type DecoderState = 'between' | 'body' | 'sum1' | 'sum2';

/** Default limit on a frame body, in raw bytes. */
export const DEFAULT_MAX_FRAME = 0x20000;

/**
 * Incremental decoder: feed it socket chunks as they arrive (split or merged frames alike) and it
 * returns the events completed by that chunk. A `$` always starts a new frame, even in the middle
 * of one, so a truncated frame cannot swallow the next good one.
 */
export class PacketDecoder {
  private state: DecoderState = 'between';
  private body: Buffer;
  private bodyLength = 0;
  private overflowed = false;
  private sumHigh = 0;
  private garbage = 0;

  constructor(private readonly maxFrame = DEFAULT_MAX_FRAME) {
    this.body = Buffer.alloc(Math.min(4096, maxFrame));
  }

  feed(chunk: Uint8Array): PacketEvent[] {
    const events: PacketEvent[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      switch (this.state) {
        case 'between':
          if (b === DOLLAR) {
            this.flushGarbage(events);
            this.startFrame();
          } else if (b === PLUS || b === MINUS || b === INTERRUPT_BYTE) {
            this.flushGarbage(events);
            events.push({ type: b === PLUS ? 'ack' : b === MINUS ? 'nak' : 'interrupt' });
          } else {
            this.garbage++;
          }
          break;
        case 'body':
          if (b === HASH) this.state = 'sum1';
          else if (b === DOLLAR) this.restartFrame(events);
          else this.append(b);
          break;
        case 'sum1':
          if (b === DOLLAR) {
            events.push({ type: 'corrupt', reason: 'checksum' });
            this.startFrame();
          } else {
            this.sumHigh = hexDigit(b);
            this.state = 'sum2';
          }
          break;
        case 'sum2':
          if (b === DOLLAR) {
            events.push({ type: 'corrupt', reason: 'checksum' });
            this.startFrame();
          } else {
            events.push(this.finishFrame(this.sumHigh, hexDigit(b)));
            this.state = 'between';
          }
          break;
      }
    }
    this.flushGarbage(events);
    return events;
  }

  /** Forget any partial frame (used when a connection is replaced). */
  reset(): void {
    this.state = 'between';
    this.bodyLength = 0;
    this.overflowed = false;
    this.garbage = 0;
  }

  private startFrame(): void {
    this.state = 'body';
    this.bodyLength = 0;
    this.overflowed = false;
  }

  private restartFrame(events: PacketEvent[]): void {
    // The abandoned partial frame (and its `$`) is reported as garbage.
    this.garbage += 1 + this.bodyLength;
    this.flushGarbage(events);
    this.startFrame();
  }

  private append(b: number): void {
    if (this.bodyLength >= this.maxFrame) {
      this.overflowed = true;
      return;
    }
    if (this.bodyLength === this.body.length) {
      const grown = Buffer.alloc(Math.min(this.body.length * 2, this.maxFrame));
      this.body.copy(grown);
      this.body = grown;
    }
    this.body[this.bodyLength++] = b;
  }

  private finishFrame(high: number, low: number): PacketEvent {
    if (this.overflowed) return { type: 'corrupt', reason: 'overflow' };
    const raw = this.body.subarray(0, this.bodyLength);
    if (high < 0 || low < 0 || checksum(raw) !== ((high << 4) | low)) {
      return { type: 'corrupt', reason: 'checksum' };
    }
    const payload = expandRle(raw, this.maxFrame * 4);
    if (payload === null) return { type: 'corrupt', reason: 'rle' };
    return { type: 'packet', payload };
  }

  private flushGarbage(events: PacketEvent[]): void {
    if (this.garbage > 0) {
      events.push({ type: 'garbage', length: this.garbage });
      this.garbage = 0;
    }
  }
}

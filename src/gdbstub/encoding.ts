/**
 * Strict hex and integer parsing shared by the packet parsers. Every function returns `null` on
 * malformed input instead of throwing, so parsers can turn that into an `E` reply.
 */

const HEX_RE = /^[0-9a-fA-F]+$/;

/** Lower-case hex of every byte, two digits each (gdb's memory and register encoding). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Decode an even-length hex string; `null` if odd-length or not hex. Empty string → empty buffer. */
export function fromHex(text: string): Buffer | null {
  if (text.length % 2 !== 0) return null;
  if (text.length > 0 && !HEX_RE.test(text)) return null;
  return Buffer.from(text, 'hex');
}

/** A 1–16 digit hex number as an unsigned 64-bit bigint (addresses). */
export function parseHexU64(text: string): bigint | null {
  if (text.length === 0 || text.length > 16 || !HEX_RE.test(text)) return null;
  return BigInt('0x' + text);
}

/**
 * A hex number that must fit a JS safe integer and be at most `max` (lengths, fds, counts).
 * Leading zeros are allowed, as gdb sometimes pads.
 */
export function parseHexInt(text: string, max = 0x7fffffff): number | null {
  if (text.length === 0 || !HEX_RE.test(text)) return null;
  const trimmed = text.replace(/^0+(?=.)/, '');
  if (trimmed.length > 13) return null;
  const value = parseInt(trimmed, 16);
  return value <= max ? value : null;
}

/** UTF-8 text as hex (qRcmd output, O packets, qThreadExtraInfo). */
export function textToHex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

/** Hex-encoded text (vFile paths, qRcmd commands) decoded as UTF-8; `null` if not valid hex. */
export function hexToText(hex: string): string | null {
  const bytes = fromHex(hex);
  return bytes === null ? null : bytes.toString('utf8');
}

/** Unsigned hex without leading zeros, as gdb prints numbers in replies. */
export function hexNumber(value: number | bigint): string {
  return value.toString(16);
}

/** Two-digit hex of a byte value (signal numbers, exit codes). */
export function hexByte(value: number): string {
  return (value & 0xff).toString(16).padStart(2, '0');
}

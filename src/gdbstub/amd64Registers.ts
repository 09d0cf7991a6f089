/**
 * gdb's amd64 GNU/Linux register file, mapped onto the kernel layouts the target hands us
 * (`user_regs_struct` + XSAVE area). This table is the single source of truth for register
 * numbers, sizes and the target description ({@link ./targetXml}), so `g`, `p`, `G`, `P`, the
 * expedited registers in stop replies and target.xml cannot disagree.
 *
 * Numbering follows gdb's features/i386/64bit-{core,sse,linux,segments,avx}.xml in that order:
 * 0–15 general registers, 16 rip, 17 eflags, 18–23 segment selectors, 24–31 st0–7, 32–39 x87
 * control, 40–55 xmm0–15, 56 mxcsr, 57 orig_rax, 58–59 fs_base/gs_base, 60–75 ymm0h–15h.
 *
 * Conversions mirror gdb's own i387_supply_fxsave / amd64_supply_fxsave / i387_supply_xsave, so
 * the values gdb shows match what it shows for a native process:
 * - fctrl/fstat/fop are the 16-bit FXSAVE fields widened to 32 bits (fop keeps its 11 bits);
 * - ftag is rebuilt from the abridged 8-bit tag and the st register contents;
 * - fiseg/fioff/foseg/fooff are the raw 32-bit halves of the 64-bit FIP/FDP;
 * - XSAVE components absent from XSTATE_BV read as their architectural init values.
 * Writes keep every bit gdb cannot see (upper selector bits, reserved bytes, fop's top bits), so
 * writing back what was read leaves the snapshot byte-identical.
 */
import { CpuFeatures, RegisterSnapshot } from './target';

/** Target-description features, in the order they appear (and number registers) in target.xml. */
export type FeatureName = 'core' | 'sse' | 'linux' | 'segments' | 'avx';

/** XSAVE state components a register lives in (bit 0 x87, bit 1 SSE, bit 2 AVX). */
type Component = 'x87' | 'sse' | 'avx';
const COMPONENT_BIT: Record<Component, bigint> = { x87: 1n, sse: 2n, avx: 4n };
/** Bytes of the XSAVE area each component needs to be readable at all. */
const COMPONENT_END: Record<Component, number> = { x87: 160, sse: 416, avx: 832 };

const FXSAVE_SIZE = 512;
const XSTATE_BV_OFFSET = 512;
const XSAVE_HEADER_END = 576;
const ST_OFFSET = 32;
const XMM_OFFSET = 160;
const YMMH_OFFSET = 576;
const MXCSR_OFFSET = 24;
const FCW_INIT = 0x037f;
const MXCSR_INIT = 0x1f80;

/** The registers' `struct user_regs_struct` slots (each 8 bytes). */
const USER_SLOTS = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi',
  'rdi', 'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs',
] as const;
type UserSlot = (typeof USER_SLOTS)[number];
export const USER_REGS_SIZE = USER_SLOTS.length * 8;

/** How one gdb register is stored in the snapshot. */
type Storage =
  /** `size` low bytes of a user_regs_struct slot (4 for eflags and selectors, 8 otherwise). */
  | { readonly in: 'user'; readonly slot: UserSlot }
  /** Bytes copied verbatim from the XSAVE area. */
  | { readonly in: 'xsave'; readonly component: Component; readonly offset: number }
  /** A 16-bit FXSAVE field shown as 32 bits; `mask` limits the visible bits (fop: 11). */
  | { readonly in: 'x87word'; readonly offset: number; readonly mask: number; readonly init: number }
  | { readonly in: 'ftag' }
  | { readonly in: 'mxcsr' };

export interface GdbRegister {
  /** gdb's remote register number (the `regnum` in target.xml, `p`/`P` argument). */
  readonly regnum: number;
  readonly name: string;
  readonly bitsize: number;
  /** Target-description type name. */
  readonly type: string;
  readonly group?: string;
  readonly feature: FeatureName;
  readonly storage: Storage;
}

const regs: GdbRegister[] = [];
function add(feature: FeatureName, name: string, bitsize: number, type: string, storage: Storage, group?: string): void {
  regs.push({ regnum: regs.length, name, bitsize, type, feature, storage, ...(group ? { group } : {}) });
}

for (const name of ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp'] as const) {
  add('core', name, 64, name === 'rbp' || name === 'rsp' ? 'data_ptr' : 'int64', { in: 'user', slot: name });
}
for (let i = 8; i <= 15; i++) add('core', `r${i}`, 64, 'int64', { in: 'user', slot: `r${i}` as UserSlot });
add('core', 'rip', 64, 'code_ptr', { in: 'user', slot: 'rip' });
add('core', 'eflags', 32, 'i386_eflags', { in: 'user', slot: 'eflags' });
for (const seg of ['cs', 'ss', 'ds', 'es', 'fs', 'gs'] as const) add('core', seg, 32, 'int32', { in: 'user', slot: seg });
for (let i = 0; i < 8; i++) {
  add('core', `st${i}`, 80, 'i387_ext', { in: 'xsave', component: 'x87', offset: ST_OFFSET + 16 * i });
}
add('core', 'fctrl', 32, 'int', { in: 'x87word', offset: 0, mask: 0xffff, init: FCW_INIT }, 'float');
add('core', 'fstat', 32, 'int', { in: 'x87word', offset: 2, mask: 0xffff, init: 0 }, 'float');
add('core', 'ftag', 32, 'int', { in: 'ftag' }, 'float');
// 64-bit FXSAVE stores FIP/FDP as 64-bit values; gdb shows their halves as fioff/fiseg, fooff/foseg.
add('core', 'fiseg', 32, 'int', { in: 'xsave', component: 'x87', offset: 12 }, 'float');
add('core', 'fioff', 32, 'int', { in: 'xsave', component: 'x87', offset: 8 }, 'float');
add('core', 'foseg', 32, 'int', { in: 'xsave', component: 'x87', offset: 20 }, 'float');
add('core', 'fooff', 32, 'int', { in: 'xsave', component: 'x87', offset: 16 }, 'float');
add('core', 'fop', 32, 'int', { in: 'x87word', offset: 6, mask: 0x7ff, init: 0 }, 'float');
for (let i = 0; i < 16; i++) {
  add('sse', `xmm${i}`, 128, 'vec128', { in: 'xsave', component: 'sse', offset: XMM_OFFSET + 16 * i });
}
add('sse', 'mxcsr', 32, 'i386_mxcsr', { in: 'mxcsr' }, 'vector');
add('linux', 'orig_rax', 64, 'int', { in: 'user', slot: 'orig_rax' });
add('segments', 'fs_base', 64, 'int', { in: 'user', slot: 'fs_base' });
add('segments', 'gs_base', 64, 'int', { in: 'user', slot: 'gs_base' });
for (let i = 0; i < 16; i++) {
  add('avx', `ymm${i}h`, 128, 'uint128', { in: 'xsave', component: 'avx', offset: YMMH_OFFSET + 16 * i });
}

const ALL_REGISTERS: readonly GdbRegister[] = regs;

/** Register numbers gdb uses for the expedited registers in stop replies. */
export const REGNUM = { rbp: 6, rsp: 7, rip: 16 } as const;

/** The registers the target description advertises for a CPU, in regnum order. */
export function registersFor(cpu: CpuFeatures): readonly GdbRegister[] {
  return cpu.avx ? ALL_REGISTERS : ALL_REGISTERS.filter((r) => r.feature !== 'avx');
}

export function registerByNumber(cpu: CpuFeatures, regnum: number): GdbRegister | undefined {
  const reg = ALL_REGISTERS[regnum];
  return reg && (cpu.avx || reg.feature !== 'avx') ? reg : undefined;
}

/** Size of a register in the `g` packet, in bytes. */
export function registerBytes(reg: GdbRegister): number {
  return reg.bitsize / 8;
}

function userOffset(slot: UserSlot): number {
  return USER_SLOTS.indexOf(slot) * 8;
}

function hasXsaveHeader(xsave: Buffer): boolean {
  return xsave.length >= XSAVE_HEADER_END;
}

function xstateBv(xsave: Buffer): bigint {
  return xsave.readBigUInt64LE(XSTATE_BV_OFFSET);
}

/** Whether a component's bytes are meaningful (present and not in the XSAVE init state). */
function componentLive(xsave: Buffer, c: Component): boolean {
  return !hasXsaveHeader(xsave) || (xstateBv(xsave) & COMPONENT_BIT[c]) !== 0n;
}

function componentAvailable(xsave: Buffer, c: Component): boolean {
  if (c === 'avx') return hasXsaveHeader(xsave) && xsave.length >= COMPONENT_END.avx;
  return xsave.length >= FXSAVE_SIZE;
}

function storageComponent(s: Storage): Component | 'mxcsr' | undefined {
  switch (s.in) {
    case 'user':
      return undefined;
    case 'xsave':
      return s.component;
    case 'x87word':
    case 'ftag':
      return 'x87';
    case 'mxcsr':
      return 'mxcsr';
  }
}

/** gdb's i387_tag: classify an 80-bit value as valid (0), zero (1) or special (2). */
function x87Tag(raw: Buffer): number {
  const exponent = raw.readUInt16LE(8) & 0x7fff;
  const integerBit = (raw[7] & 0x80) !== 0;
  const fractionZero = raw.readUInt32LE(0) === 0 && (raw.readUInt32LE(4) & 0x7fffffff) === 0;
  if (exponent === 0x7fff) return 2;
  if (exponent === 0) return fractionZero && !integerBit ? 1 : 2;
  return integerBit ? 0 : 2;
}

/** Full 16-bit tag word from FXSAVE's abridged tag (one bit per physical register). */
function fullTagWord(xsave: Buffer): number {
  const abridged = xsave[4];
  const top = (xsave.readUInt16LE(2) >> 11) & 7;
  let tag = 0;
  for (let phys = 7; phys >= 0; phys--) {
    let t = 3; // empty
    if (abridged & (1 << phys)) {
      const st = (phys + 8 - top) % 8; // FXSAVE stores registers in stack order
      t = x87Tag(xsave.subarray(ST_OFFSET + 16 * st, ST_OFFSET + 16 * st + 10));
    }
    tag |= t << (2 * phys);
  }
  return tag;
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return b;
}

/** The value gdb sees for a component in its XSAVE init state. */
function initValue(reg: GdbRegister): Buffer {
  const s = reg.storage;
  if (s.in === 'x87word') return u32(s.init);
  if (s.in === 'ftag') return u32(0xffff);
  if (s.in === 'mxcsr') return u32(MXCSR_INIT);
  return Buffer.alloc(registerBytes(reg));
}

/**
 * A register's value in gdb's byte layout (little-endian, `bitsize / 8` bytes), or `undefined`
 * when the snapshot does not contain it (gdb shows `<unavailable>`).
 */
export function readRegister(snapshot: RegisterSnapshot, reg: GdbRegister): Buffer | undefined {
  const { user, xsave } = snapshot;
  const size = registerBytes(reg);
  const s = reg.storage;
  if (s.in === 'user') {
    if (user.length < USER_REGS_SIZE) return undefined;
    const off = userOffset(s.slot);
    return Buffer.from(user.subarray(off, off + size));
  }
  const component = storageComponent(s);
  if (component === 'mxcsr') {
    if (!componentAvailable(xsave, 'sse')) return undefined;
    return mxcsrLive(xsave) ? Buffer.from(xsave.subarray(MXCSR_OFFSET, MXCSR_OFFSET + 4)) : initValue(reg);
  }
  if (component === undefined || !componentAvailable(xsave, component)) return undefined;
  if (!componentLive(xsave, component)) return initValue(reg);
  switch (s.in) {
    case 'xsave':
      return Buffer.from(xsave.subarray(s.offset, s.offset + size));
    case 'x87word':
      return u32(xsave.readUInt16LE(s.offset) & s.mask);
    case 'ftag':
      return u32(fullTagWord(xsave));
  }
}

/** XSAVE writes MXCSR along with either SSE or AVX state; with both in init state it is 0x1f80. */
function mxcsrLive(xsave: Buffer): boolean {
  return !hasXsaveHeader(xsave) || (xstateBv(xsave) & (COMPONENT_BIT.sse | COMPONENT_BIT.avx)) !== 0n;
}

/** Reset a component's bytes to its init state before the first write into it (as gdb does). */
function initializeComponent(xsave: Buffer, c: Component): void {
  // Making SSE or AVX state live makes MXCSR live too; it must keep showing its init value.
  if (c !== 'x87' && !mxcsrLive(xsave)) xsave.writeUInt32LE(MXCSR_INIT, MXCSR_OFFSET);
  if (c === 'x87') {
    xsave.fill(0, 0, 24);
    xsave.writeUInt16LE(FCW_INIT, 0);
    xsave.fill(0, ST_OFFSET, XMM_OFFSET);
  } else if (c === 'sse') {
    xsave.fill(0, XMM_OFFSET, XMM_OFFSET + 256);
  } else {
    xsave.fill(0, YMMH_OFFSET, YMMH_OFFSET + 256);
  }
  if (hasXsaveHeader(xsave)) {
    xsave.writeBigUInt64LE(xstateBv(xsave) | COMPONENT_BIT[c], XSTATE_BV_OFFSET);
  }
}

/**
 * Store `value` (gdb layout, exactly `bitsize / 8` bytes) into a copy of the snapshot. A value
 * equal to what {@link readRegister} shows changes nothing, so a `G` of an unmodified `g` is a
 * no-op even for components in their init state.
 */
export function writeRegister(snapshot: RegisterSnapshot, reg: GdbRegister, value: Buffer): RegisterSnapshot {
  const size = registerBytes(reg);
  if (value.length !== size) throw new RangeError(`${reg.name} is ${size} bytes, got ${value.length}`);
  const current = readRegister(snapshot, reg);
  if (current === undefined) throw new RangeError(`${reg.name} is not available in this snapshot`);
  if (current.equals(value)) return snapshot;
  const user = Buffer.from(snapshot.user);
  const xsave = Buffer.from(snapshot.xsave);
  const s = reg.storage;
  const component = storageComponent(s);
  if (component === 'mxcsr') {
    if (!mxcsrLive(xsave)) initializeComponent(xsave, 'sse');
  } else if (component !== undefined && !componentLive(xsave, component)) {
    initializeComponent(xsave, component);
  }
  switch (s.in) {
    case 'user':
      value.copy(user, userOffset(s.slot)); // low bytes only: upper selector/eflags bits survive
      break;
    case 'xsave':
      value.copy(xsave, s.offset);
      break;
    case 'mxcsr':
      value.copy(xsave, MXCSR_OFFSET);
      break;
    case 'x87word': {
      const old = xsave.readUInt16LE(s.offset);
      xsave.writeUInt16LE((old & ~s.mask & 0xffff) | (value.readUInt32LE(0) & s.mask), s.offset);
      break;
    }
    case 'ftag': {
      // Back to the abridged form: bit set for every physical register not tagged empty (3).
      const full = value.readUInt32LE(0);
      let abridged = 0;
      for (let phys = 0; phys < 8; phys++) if (((full >> (2 * phys)) & 3) !== 3) abridged |= 1 << phys;
      xsave[4] = abridged;
      break;
    }
  }
  return { user, xsave };
}

/** The `g` reply body: every register in order, hex, `xx` bytes for unavailable ones. */
export function encodeRegisterFile(snapshot: RegisterSnapshot, cpu: CpuFeatures): string {
  let out = '';
  for (const reg of registersFor(cpu)) {
    const value = readRegister(snapshot, reg);
    out += value ? value.toString('hex') : 'xx'.repeat(registerBytes(reg));
  }
  return out;
}

/**
 * Apply a `G` payload (already hex-decoded) to a snapshot. gdb sends registers in `g` order and
 * may stop early; a payload that ends mid-register is rejected. Registers the snapshot cannot
 * hold (unavailable) are skipped, since gdb sends placeholder bytes for them.
 */
export function decodeRegisterFile(snapshot: RegisterSnapshot, cpu: CpuFeatures, data: Buffer): RegisterSnapshot {
  let offset = 0;
  let result = snapshot;
  for (const reg of registersFor(cpu)) {
    if (offset >= data.length) break;
    const size = registerBytes(reg);
    if (offset + size > data.length) throw new RangeError(`G payload ends inside ${reg.name}`);
    if (readRegister(result, reg) !== undefined) {
      result = writeRegister(result, reg, data.subarray(offset, offset + size));
    }
    offset += size;
  }
  if (offset < data.length) throw new RangeError(`G payload is ${data.length - offset} bytes too long`);
  return result;
}

/** Total size of the register file in bytes, as the `g` reply carries it. */
export function registerFileBytes(cpu: CpuFeatures): number {
  return registersFor(cpu).reduce((n, r) => n + registerBytes(r), 0);
}

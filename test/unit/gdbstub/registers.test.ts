import { strict as assert } from 'assert';
import {
  REGNUM, decodeRegisterFile, encodeRegisterFile, readRegister, registerByNumber, registerFileBytes, registersFor,
  writeRegister,
} from '../../../src/gdbstub/amd64Registers';
import { RegisterSnapshot } from '../../../src/gdbstub/target';
import { getUser, makeRegisters, setUser } from './fakeTarget';
import { rng } from '../../helpers/random';

const AVX = { avx: true };
const NO_AVX = { avx: false };

function reg(name: string) {
  const r = registersFor(AVX).find((x) => x.name === name);
  assert.ok(r, name);
  return r;
}

function read(snap: RegisterSnapshot, name: string): Buffer | undefined {
  return readRegister(snap, reg(name));
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}

/** A random but well-formed snapshot (random XSTATE_BV, garbage in init-state components). */
function randomSnapshot(random: () => number): RegisterSnapshot {
  const snap: RegisterSnapshot = { user: Buffer.alloc(216), xsave: Buffer.alloc(832) };
  for (let i = 0; i < snap.user.length; i++) snap.user[i] = Math.floor(random() * 256);
  for (let i = 0; i < snap.xsave.length; i++) snap.xsave[i] = Math.floor(random() * 256);
  snap.xsave.writeBigUInt64LE(BigInt(Math.floor(random() * 8)), 512);
  snap.xsave.fill(0, 520, 576);
  return snap;
}

describe('gdbstub amd64 register file', () => {
  it("numbers registers as gdb's amd64-linux description does", () => {
    const names = registersFor(AVX).map((r) => r.name);
    assert.equal(names.length, 76);
    assert.deepEqual(names.slice(0, 17), [
      'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip',
    ]);
    const at = (n: number) => registersFor(AVX)[n].name;
    assert.equal(at(17), 'eflags');
    assert.equal(at(18), 'cs');
    assert.equal(at(23), 'gs');
    assert.equal(at(24), 'st0');
    assert.equal(at(32), 'fctrl');
    assert.equal(at(39), 'fop');
    assert.equal(at(40), 'xmm0');
    assert.equal(at(56), 'mxcsr');
    assert.equal(at(57), 'orig_rax');
    assert.equal(at(58), 'fs_base');
    assert.equal(at(59), 'gs_base');
    assert.equal(at(60), 'ymm0h');
    assert.equal(at(75), 'ymm15h');
    registersFor(AVX).forEach((r, i) => assert.equal(r.regnum, i));
    assert.equal(REGNUM.rip, reg('rip').regnum);
    assert.equal(REGNUM.rsp, reg('rsp').regnum);
    assert.equal(REGNUM.rbp, reg('rbp').regnum);
  });

  it('sizes the g packet at 816 bytes with AVX and 560 without', () => {
    assert.equal(registerFileBytes(AVX), 816);
    assert.equal(registerFileBytes(NO_AVX), 560);
    assert.equal(registerByNumber(NO_AVX, 60), undefined);
    assert.equal(encodeRegisterFile(makeRegisters(1), NO_AVX).length, 560 * 2);
  });

  it('reads general registers from user_regs_struct, selectors and eflags as 32 bits', () => {
    const snap = makeRegisters(1);
    setUser(snap, 'rax', 0x1122334455667788n);
    setUser(snap, 'eflags', 0xdead00000246n);
    setUser(snap, 'gs_base', 0x7fff12345678n);
    assert.equal(read(snap, 'rax')!.readBigUInt64LE(0), 0x1122334455667788n);
    assert.equal(read(snap, 'eflags')!.toString('hex'), '46020000');
    assert.equal(read(snap, 'cs')!.readUInt32LE(0), 0x33);
    assert.equal(read(snap, 'gs_base')!.readBigUInt64LE(0), 0x7fff12345678n);
    assert.equal(read(snap, 'orig_rax')!.readBigInt64LE(0), -1n);
  });

  it('reads xmm, ymm upper halves, mxcsr and st registers from the XSAVE area', () => {
    const snap = makeRegisters(1);
    assert.deepEqual(read(snap, 'xmm3'), snap.xsave.subarray(160 + 48, 160 + 64));
    assert.deepEqual(read(snap, 'ymm15h'), snap.xsave.subarray(576 + 240, 576 + 256));
    assert.equal(read(snap, 'mxcsr')!.readUInt32LE(0), 0x1f80);
    snap.xsave.fill(0x5a, 32 + 16 * 2, 32 + 16 * 3);
    assert.equal(read(snap, 'st2')!.toString('hex'), '5a'.repeat(10));
  });

  it('rebuilds the full x87 tag word from the abridged tag and register contents', () => {
    const snap = makeRegisters(1);
    const x = snap.xsave;
    // TOP = 6: st0 is physical register 6, st1 is physical 7.
    x.writeUInt16LE(6 << 11, 2);
    // st0 = 1.0 (valid), st1 = +0 (zero), st2 = NaN-ish exponent 0x7fff (special).
    x.fill(0, 32, 160);
    x.writeBigUInt64LE(0x8000000000000000n, 32);
    x.writeUInt16LE(0x3fff, 40);
    x.writeUInt16LE(0x7fff, 32 + 32 + 8);
    x[4] = (1 << 6) | (1 << 7) | (1 << 0); // physical 6, 7, 0 in use → st0, st1, st2
    const ftag = read(snap, 'ftag')!.readUInt32LE(0);
    assert.equal((ftag >> 12) & 3, 0, 'phys 6 (st0) valid');
    assert.equal((ftag >> 14) & 3, 1, 'phys 7 (st1) zero');
    assert.equal(ftag & 3, 2, 'phys 0 (st2) special');
    for (const phys of [1, 2, 3, 4, 5]) assert.equal((ftag >> (2 * phys)) & 3, 3, `phys ${phys} empty`);
    // Writing back any tag word keeps only "empty or not" in the abridged form.
    const written = writeRegister(snap, reg('ftag'), u32(0xffff ^ (1 << 10)));
    assert.equal(written.xsave[4], 1 << 5);
  });

  it('shows fop as 11 bits and keeps the hidden upper bits on write', () => {
    const snap = makeRegisters(1);
    snap.xsave.writeUInt16LE(0xf9ab, 6);
    assert.equal(read(snap, 'fop')!.readUInt32LE(0), 0x1ab);
    const written = writeRegister(snap, reg('fop'), u32(0x123));
    assert.equal(written.xsave.readUInt16LE(6), 0xf923);
  });

  it('shows fiseg/fioff/foseg/fooff as the raw halves of the 64-bit FIP/FDP', () => {
    const snap = makeRegisters(1);
    snap.xsave.writeBigUInt64LE(0x0000123400401000n, 8);
    snap.xsave.writeBigUInt64LE(0x0000567800601000n, 16);
    assert.equal(read(snap, 'fioff')!.readUInt32LE(0), 0x00401000);
    assert.equal(read(snap, 'fiseg')!.readUInt32LE(0), 0x1234);
    assert.equal(read(snap, 'fooff')!.readUInt32LE(0), 0x00601000);
    assert.equal(read(snap, 'foseg')!.readUInt32LE(0), 0x5678);
  });

  it('reports components in XSAVE init state with their init values', () => {
    const snap = makeRegisters(1);
    snap.xsave.fill(0xee, 0, 512);
    snap.xsave.fill(0xee, 576, 832);
    snap.xsave.writeBigUInt64LE(0n, 512);
    assert.equal(read(snap, 'fctrl')!.readUInt32LE(0), 0x37f);
    assert.equal(read(snap, 'ftag')!.readUInt32LE(0), 0xffff);
    assert.equal(read(snap, 'mxcsr')!.readUInt32LE(0), 0x1f80);
    assert.deepEqual(read(snap, 'st0'), Buffer.alloc(10));
    assert.deepEqual(read(snap, 'xmm0'), Buffer.alloc(16));
    assert.deepEqual(read(snap, 'ymm0h'), Buffer.alloc(16));
  });

  it('initialises a component and sets its XSTATE_BV bit on the first write into it', () => {
    const snap = makeRegisters(1);
    snap.xsave.fill(0xee, 160, 416);
    snap.xsave.writeBigUInt64LE(1n, 512); // only x87 live
    const value = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const written = writeRegister(snap, reg('xmm1'), value);
    assert.equal(written.xsave.readBigUInt64LE(512), 3n);
    assert.deepEqual(read(written, 'xmm1'), value);
    assert.deepEqual(read(written, 'xmm0'), Buffer.alloc(16), 'other xmm registers keep their init value');
    assert.equal(snap.xsave.readBigUInt64LE(512), 1n, 'the input snapshot is not modified');
  });

  it('treats a 512-byte FXSAVE buffer as all-present and AVX as unavailable', () => {
    const snap = makeRegisters(1);
    const fx = { user: snap.user, xsave: Buffer.from(snap.xsave.subarray(0, 512)) };
    assert.deepEqual(read(fx, 'xmm2'), snap.xsave.subarray(192, 208));
    assert.equal(read(fx, 'ymm2h'), undefined);
    const hex = encodeRegisterFile(fx, AVX);
    assert.ok(hex.endsWith('xx'.repeat(16 * 16)));
    assert.throws(() => writeRegister(fx, reg('ymm0h'), Buffer.alloc(16, 1)), /not available/);
  });

  it('writes low bytes only, so upper bits gdb cannot see survive', () => {
    const snap = makeRegisters(1);
    setUser(snap, 'cs', 0xabcd000000000033n);
    const written = writeRegister(snap, reg('cs'), u32(0x23));
    assert.equal(getUser(written, 'cs'), 0xabcd000000000023n);
  });

  it('round-trips g → G byte-for-byte on random snapshots', () => {
    const random = rng(1234);
    for (let n = 0; n < 200; n++) {
      const snap = randomSnapshot(random);
      const cpu = n % 2 === 0 ? AVX : NO_AVX;
      const hex = encodeRegisterFile(snap, cpu);
      const back = decodeRegisterFile(snap, cpu, Buffer.from(hex, 'hex'));
      assert.deepEqual(back.user, snap.user);
      assert.deepEqual(back.xsave, snap.xsave);
    }
  });

  it('applies a modified G and reads the new values back', () => {
    const random = rng(99);
    for (let n = 0; n < 100; n++) {
      const snap = randomSnapshot(random);
      const data = Buffer.from(encodeRegisterFile(snap, AVX), 'hex');
      // Overwrite rip (offset 128) and xmm5 (offset after core + 5 xmm).
      const xmm5 = registersFor(AVX).slice(0, 45).reduce((o, r) => o + r.bitsize / 8, 0);
      data.writeBigUInt64LE(0x401234n, 128);
      data.fill(n & 0xff, xmm5, xmm5 + 16);
      const updated = decodeRegisterFile(snap, AVX, data);
      assert.equal(getUser(updated, 'rip'), 0x401234n);
      assert.deepEqual(read(updated, 'xmm5'), Buffer.alloc(16, n & 0xff));
      assert.equal(encodeRegisterFile(updated, AVX), data.toString('hex'));
    }
  });

  it('accepts a G that stops at a register boundary and rejects one that ends inside a register', () => {
    const snap = makeRegisters(1);
    const data = Buffer.from(encodeRegisterFile(snap, AVX), 'hex');
    data.writeBigUInt64LE(42n, 0);
    const updated = decodeRegisterFile(snap, AVX, data.subarray(0, 8));
    assert.equal(getUser(updated, 'rax'), 42n);
    assert.throws(() => decodeRegisterFile(snap, AVX, data.subarray(0, 12)), /inside rbx/);
    assert.throws(() => decodeRegisterFile(snap, AVX, Buffer.concat([data, Buffer.alloc(1)])), /too long/);
  });
});

describe('gdbstub amd64 register writes near XSAVE init state', () => {
  it('keeps mxcsr at its init value when a write brings SSE state out of init', () => {
    const snap = makeRegisters(1);
    snap.xsave.writeUInt32LE(0xdeadbeef, 24); // stale bytes behind an init-state MXCSR
    snap.xsave.writeBigUInt64LE(1n, 512);
    const mxcsr = registersFor({ avx: true }).find((r) => r.name === 'mxcsr')!;
    const xmm0 = registersFor({ avx: true }).find((r) => r.name === 'xmm0')!;
    assert.equal(readRegister(snap, mxcsr)!.readUInt32LE(0), 0x1f80);
    const written = writeRegister(snap, xmm0, Buffer.alloc(16, 7));
    assert.equal(readRegister(written, mxcsr)!.readUInt32LE(0), 0x1f80);
  });
});

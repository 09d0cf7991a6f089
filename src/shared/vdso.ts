/**
 * The vDSO answers clock_gettime & co. in user space, reading the clock without a syscall, so a
 * recorder would never see the values. rrts overwrites those functions with a real syscall
 * (`mov eax, NR; syscall; ret`), identically at record and replay; the syscalls are then
 * recorded and replayed like any other. __vdso_getrandom returns -ENOSYS, and glibc falls back
 * to the getrandom syscall.
 */
import { Tracee } from './tracee';
import { MapEntry } from './procMaps';

const SYSCALL_FOR: Record<string, number> = {
  clock_gettime: 228,
  gettimeofday: 96,
  time: 201,
  clock_getres: 229,
  getcpu: 309,
};
const ENOSYS_STUB = Buffer.from([0x48, 0xc7, 0xc0, 0xda, 0xff, 0xff, 0xff, 0xc3]); // mov rax,-38; ret

function syscallStub(nr: number): Buffer {
  const b = Buffer.from([0xb8, 0, 0, 0, 0, 0x0f, 0x05, 0xc3]);
  b.writeUInt32LE(nr, 1);
  return b;
}

interface ElfSymbol { name: string; value: bigint }

/** Dynamic symbols of an in-memory ELF image (the vDSO carries its section headers). */
export function elfDynamicSymbols(img: Buffer): { symbols: ElfSymbol[]; loadVaddr: bigint } {
  if (img.length < 64 || img.readUInt32BE(0) !== 0x7f454c46) throw new Error('vDSO is not an ELF image');
  const phoff = Number(img.readBigUInt64LE(32));
  const shoff = Number(img.readBigUInt64LE(40));
  const phentsize = img.readUInt16LE(54), phnum = img.readUInt16LE(56);
  const shentsize = img.readUInt16LE(58), shnum = img.readUInt16LE(60);
  let loadVaddr = 0n;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (img.readUInt32LE(ph) === 1 /* PT_LOAD */) {
      loadVaddr = img.readBigUInt64LE(ph + 16);
      break;
    }
  }
  const symbols: ElfSymbol[] = [];
  for (let i = 0; i < shnum; i++) {
    const sh = shoff + i * shentsize;
    if (img.readUInt32LE(sh + 4) !== 11 /* SHT_DYNSYM */) continue;
    const off = Number(img.readBigUInt64LE(sh + 24));
    const size = Number(img.readBigUInt64LE(sh + 32));
    const link = img.readUInt32LE(sh + 40);
    const strSh = shoff + link * shentsize;
    const strOff = Number(img.readBigUInt64LE(strSh + 24));
    for (let s = off; s + 24 <= off + size; s += 24) {
      const nameOff = img.readUInt32LE(s);
      const end = img.indexOf(0, strOff + nameOff);
      const name = img.toString('latin1', strOff + nameOff, end);
      const value = img.readBigUInt64LE(s + 8);
      if (name && value) symbols.push({ name, value });
    }
  }
  return { symbols, loadVaddr };
}

/** Patch the vDSO of a tracee stopped right after exec; returns the patched function names. */
export function patchVdso(t: Tracee, maps: MapEntry[]): string[] {
  const vdso = maps.find((m) => m.path === '[vdso]');
  if (!vdso) return [];
  const img = t.read(vdso.start, Number(vdso.end - vdso.start));
  const { symbols, loadVaddr } = elfDynamicSymbols(img);
  const done = new Set<bigint>();
  const patched: string[] = [];
  for (const sym of symbols) {
    const base = sym.name.replace(/^__vdso_/, '');
    const code = base === 'getrandom' ? ENOSYS_STUB : SYSCALL_FOR[base] !== undefined ? syscallStub(SYSCALL_FOR[base]) : undefined;
    if (!code) continue;
    const addr = vdso.start + (sym.value - loadVaddr);
    if (done.has(addr)) continue;
    done.add(addr);
    t.write(addr, code);
    patched.push(sym.name);
  }
  return patched;
}

/**
 * The x86-64 syscall table: one SyscallDef per syscall number, assembled from the family
 * modules in ./families (one module per area, as hermit's detcore does) and numbered from
 * ./numbers.ts. Assembly checks that every number is described exactly once and that no
 * family describes a name twice; it throws at load time otherwise, so a broken table never
 * reaches a recording. test/unit/syscalls/table.test.ts adds the count check against the
 * kernel headers (hermit's `syscall_classification.rs`).
 *
 * Read docs/syscalls.md before changing a classification: the replayer acts on it.
 */
import type { SyscallDef } from './types';
import { SYS, SyscallName } from './numbers';
import type { FamilyDef } from './families/dsl';
import { FS_SYSCALLS } from './families/fs';
import { IO_SYSCALLS } from './families/io';
import { IPC_SYSCALLS } from './families/ipc';
import { MM_SYSCALLS } from './families/mm';
import { NET_SYSCALLS } from './families/net';
import { PROCESS_SYSCALLS } from './families/process';
import { SIGNAL_SYSCALLS } from './families/signal';
import { SYSTEM_SYSCALLS } from './families/system';
import { TIME_SYSCALLS } from './families/time';

export { SYS } from './numbers';
export type { SyscallName } from './numbers';
export { replayActionFor, mayBlockFor, isErrorResult } from './resolve';

/** The family modules, by the name docs and errors use for them. */
export const FAMILIES: Readonly<Record<string, readonly FamilyDef[]>> = {
  fs: FS_SYSCALLS,
  io: IO_SYSCALLS,
  ipc: IPC_SYSCALLS,
  mm: MM_SYSCALLS,
  net: NET_SYSCALLS,
  process: PROCESS_SYSCALLS,
  signal: SIGNAL_SYSCALLS,
  system: SYSTEM_SYSCALLS,
  time: TIME_SYSCALLS,
};

function assemble(): SyscallDef[] {
  const byName = new Map<string, FamilyDef>();
  for (const [family, defs] of Object.entries(FAMILIES)) {
    for (const d of defs) {
      if (byName.has(d.name)) throw new Error(`syscall table: ${d.name} described twice (${family})`);
      byName.set(d.name, d);
    }
  }
  const defs: SyscallDef[] = [];
  for (const [name, nr] of Object.entries(SYS) as [SyscallName, number][]) {
    const d = byName.get(name);
    if (!d) throw new Error(`syscall table: ${name} (${nr}) is not classified`);
    byName.delete(name);
    defs.push(Object.freeze({ ...d, nr }));
  }
  // Cannot happen while family names are typed as SyscallName, but keep the table honest.
  if (byName.size > 0) throw new Error(`syscall table: unknown names ${[...byName.keys()]}`);
  return defs.sort((a, b) => a.nr - b.nr);
}

/** Every x86-64 syscall rrts knows, sorted by number. */
export const SYSCALLS: readonly SyscallDef[] = Object.freeze(assemble());

const BY_NR = new Map(SYSCALLS.map((d) => [d.nr, d]));
const BY_NAME = new Map(SYSCALLS.map((d) => [d.name, d]));

/**
 * The def for a syscall number. Numbers no kernel we know assigns get a def named
 * `syscall_N` with replay 'unsupported' (the kernel answers -ENOSYS, but a tracee using an
 * unassigned number is doing something we should look at, not silently replay).
 */
export function syscallByNr(nr: number): SyscallDef {
  return BY_NR.get(nr) ?? { nr, name: `syscall_${nr}`, replay: 'unsupported' };
}

export function syscallByName(name: string): SyscallDef | undefined {
  return BY_NAME.get(name);
}

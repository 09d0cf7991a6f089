/**
 * rrts's stub page: one page at a fixed address in every tracee, mapped identically at record
 * and replay right after exec, before the program runs its first instruction.
 *
 *   +0      syscall; int3     injected syscalls run here and stop at the int3; the seccomp
 *                             filter lets syscalls from here through without a stop
 *   +0x800  scratch           strings for injected syscalls (paths to open)
 *
 * Fixed, and the same in both runs, so the address space layout of record and replay agree.
 */
import { Tracee } from './tracee';
import { assert } from './errors';

export const STUB_PAGE = 0x70000000n;
export const STUB_SYSCALL = STUB_PAGE;
/** seccomp reports the address after the syscall instruction. */
export const STUB_SYSCALL_AFTER = STUB_PAGE + 2n;
export const STUB_SCRATCH = STUB_PAGE + 0x800n;
export const STUB_SCRATCH_SIZE = 0x800;
const STUB_CODE = Buffer.from([0x0f, 0x05, 0xcc]);

const PROT_READ = 1n, PROT_EXEC = 4n;
const MAP_PRIVATE = 0x02n, MAP_ANONYMOUS = 0x20n, MAP_FIXED_NOREPLACE = 0x100000n;
const SYS_MMAP = 9;

/**
 * Map the stub page. The tracee is at its exec stop with rip at the first instruction to run:
 * borrow those bytes for one `syscall; int3`, then put them back.
 */
export function installStubPage(t: Tracee, rip: bigint): void {
  const saved = t.read(rip, STUB_CODE.length);
  t.write(rip, STUB_CODE);
  const got = t.syscall(rip, SYS_MMAP, STUB_PAGE, 4096n, PROT_READ | PROT_EXEC,
    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1n, 0n);
  t.write(rip, saved);
  assert(got === STUB_PAGE, `rrts: could not map the stub page at 0x${STUB_PAGE.toString(16)} (mmap returned ${got})`);
  t.write(STUB_PAGE, STUB_CODE);
}

/** Put a NUL-terminated string into the scratch area for an injected syscall. */
export function scratchString(t: Tracee, s: string): bigint {
  const b = Buffer.from(s + '\0');
  assert(b.length <= STUB_SCRATCH_SIZE, `path too long for the stub scratch area: ${s}`);
  t.write(STUB_SCRATCH, b);
  return STUB_SCRATCH;
}

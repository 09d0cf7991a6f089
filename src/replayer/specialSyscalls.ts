/**
 * Replayer handlers for the syscalls the table marks 'special' (the recorder's are in
 * src/recorder/specialSyscalls.ts). Each runs at the call's entry stop, after the registers
 * were checked; the call itself is skipped (PTRACE_SYSEMU) unless `action` says 'execute'.
 */
import { SyscallEvent } from '../trace/schema';
import { STUB_SYSCALL, scratchString } from '../shared/stubPage';
import { SYS, isErrorResult } from '../shared/syscalls';
import { DivergenceError, UnsupportedSyscallError } from './errors';
import type { ReplaySession } from './replaySession';

export interface SpecialContext {
  session: ReplaySession;
  event: SyscallEvent;
  index: number;
  args: bigint[];
  result: bigint;
}

export interface ReplaySpecial {
  /** 'emulate' (default): skipped, then `atEntry`; 'execute': runs for real in place. */
  action?: 'emulate' | 'execute';
  /** 'end': the program ends here (exit_group is not executed, the process stays inspectable). */
  atEntry?(ctx: SpecialContext): 'end' | void;
}

const MAP_PRIVATE = 0x02n, MAP_SHARED_VALIDATE = 0x03n, MAP_FIXED = 0x10n, MAP_ANONYMOUS = 0x20n;
const MREMAP_MAYMOVE = 1n, MREMAP_FIXED = 2n;
const O_RDONLY = 0n, O_RDWR = 2n, O_CLOEXEC = 0o2000000n;

/**
 * Redo a recorded mmap at the address it returned: anonymous memory anew, files from the
 * trace's copy. Private always: the replayed process must not write through to any file, and
 * checkpoints (forks of it) must not share memory with it.
 */
function replayMmap(ctx: SpecialContext): void {
  if (isErrorResult(ctx.result)) return;
  const { session, event, args } = ctx;
  const t = session.tracee;
  const [, len, prot, flags, , offset] = args;
  // Files mapped shared map the replay's shared copy of that file (EmuFs); everything else is
  // private, so no file is written and checkpoints do not share memory with the live process.
  const shared = (flags & MAP_SHARED_VALIDATE) !== 0n && (flags & MAP_PRIVATE) === 0n && !!event.mappedFileId;
  const privateFlags = shared ? flags | MAP_FIXED : (flags & ~MAP_SHARED_VALIDATE) | MAP_PRIVATE | MAP_FIXED;
  let fd = -1n;
  if (event.mappedFile) {
    const source = session.reader.filePath(event.mappedFile);
    const file = event.mappedFileId ? session.emuFs.pathFor(event.mappedFileId, source) : source;
    fd = t.syscall(STUB_SYSCALL, SYS.openat, -100n, scratchString(t, file), (shared ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0n);
    if (fd < 0n) throw new DivergenceError(ctx.index, 'MMAP', `cannot open the trace's copy of ${event.mappedFile.originalPath} (errno ${-fd})`);
  }
  const anon = fd < 0n ? MAP_ANONYMOUS : 0n;
  const got = t.syscall(STUB_SYSCALL, SYS.mmap, ctx.result, len, prot, (privateFlags & ~(fd < 0n ? 0n : MAP_ANONYMOUS)) | anon, fd, fd < 0n ? 0n : offset);
  if (fd >= 0n) t.syscall(STUB_SYSCALL, SYS.close, fd);
  if (got !== ctx.result) {
    throw new DivergenceError(ctx.index, 'MMAP', `mapping at 0x${ctx.result.toString(16)} failed in replay (got ${got})`);
  }
}

function replayMremap(ctx: SpecialContext): void {
  if (isErrorResult(ctx.result)) return;
  const t = ctx.session.tracee;
  const [oldAddr, oldLen, newLen, flags] = ctx.args;
  const moved = ctx.result !== oldAddr;
  const got = moved
    ? t.syscall(STUB_SYSCALL, SYS.mremap, oldAddr, oldLen, newLen, flags | MREMAP_MAYMOVE | MREMAP_FIXED, ctx.result)
    : t.syscall(STUB_SYSCALL, SYS.mremap, oldAddr, oldLen, newLen, flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED), 0n);
  if (got !== ctx.result) throw new DivergenceError(ctx.index, 'MREMAP', `expected 0x${ctx.result.toString(16)}, got ${got}`);
}

/**
 * A successful execve is followed by its Exec event: exec the trace's copy of the binary the
 * kernel loaded (the interpreter, for a script) with the program's own argv/envp pointers; the
 * Exec event then puts back the recorded initial stack and registers. A failed one is emulated.
 */
function replayExecve(ctx: SpecialContext): 'end' | void {
  if (isErrorResult(ctx.result)) return;
  const next = ctx.session.reader.event(ctx.index + 1);
  if (!next.exec) throw new UnsupportedSyscallError(`execve at event ${ctx.index} has no recorded new image`);
  return ctx.session.execNewImage(ctx.index + 1, next.exec, ctx.args);
}

export const replaySpecial: Record<string, ReplaySpecial> = {
  mmap: { atEntry: replayMmap },
  mremap: { atEntry: replayMremap },
  exit: { atEntry: () => 'end' },
  exit_group: { atEntry: () => 'end' },
  restart_syscall: {},
  denied: {},
  execve: { atEntry: replayExecve },
  shmat: { atEntry: (c) => { throw new UnsupportedSyscallError(`unsupported syscall shmat (30) at event ${c.index}`); } },
  shmdt: { atEntry: (c) => { throw new UnsupportedSyscallError(`unsupported syscall shmdt (67) at event ${c.index}`); } },
};

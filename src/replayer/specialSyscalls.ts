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
  const t = session.current.tracee;
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
  const t = ctx.session.current.tracee;
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

const CLONE_VM = 0x100n, CLONE_VFORK = 0x4000n, CSIGNAL = 0xffn;
const CLONE_PARENT_SETTID = 0x100000n, CLONE_CHILD_SETTID = 0x1000000n;

/**
 * A recorded fork/vfork/clone: make the process for real at the same point, so that it has the
 * same memory. Differences from the recorded call, each for a reason: no CLONE_VFORK (replay
 * drives one task at a time; the parent must not block in the kernel), exit signal 0 (the
 * replayed parent must not get SIGCHLDs the recording did not have; recorded ones are injected
 * like any signal), and the recorded tid written wherever the call stored the new tid.
 */
function replayClone(kind: 'fork' | 'vfork' | 'clone' | 'clone3') {
  return (ctx: SpecialContext): void => {
    if (isErrorResult(ctx.result)) return;
    const { session, args } = ctx;
    const parent = session.current;
    const t = parent.tracee;
    const entry = t.getRegs();
    let flags: bigint;
    let got: bigint;
    let ptid = 0n, ctid = 0n;
    if (kind === 'clone3') {
      const ca = t.read(args[0], 64);
      flags = ca.readBigUInt64LE(0);
      ctid = ca.readBigUInt64LE(16);
      ptid = ca.readBigUInt64LE(24);
      const patched = Buffer.from(ca);
      patched.writeBigUInt64LE(flags & ~CLONE_VFORK, 0);
      patched.writeBigUInt64LE(0n, 32); // exit_signal
      t.write(args[0], patched);
      got = t.syscall(STUB_SYSCALL, SYS.clone3, args[0], args[1]);
      t.write(args[0], ca);
    } else {
      flags = kind === 'fork' ? 0n : kind === 'vfork' ? CLONE_VM : args[0];
      if (kind === 'clone') ptid = args[2], ctid = args[3];
      got = t.syscall(STUB_SYSCALL, SYS.clone, flags & ~(CLONE_VFORK | CSIGNAL), kind === 'clone' ? args[1] : 0n,
        ptid, ctid, kind === 'clone' ? args[4] : 0n);
    }
    if (got <= 0n) throw new DivergenceError(ctx.index, kind.toUpperCase(), `creating the process failed in replay (${got})`);
    const child = session.adoptChild(Number(ctx.result), Number(got), parent, (flags & CLONE_VM) !== 0n);
    // The child came out of the stub: put it where the recorded child started, after the syscall.
    // The recorded child had the parent's registers but for rax, and the stack and TLS the
    // call gave it (the kernel already applied those in replay).
    const kernel = child.tracee.getRegs();
    const regs = entry.clone().set('rax', 0n).set('rsp', kernel.rsp).set('fs_base', kernel.get('fs_base'));
    child.tracee.setRegs(regs);
    const tidBytes = Buffer.alloc(4);
    tidBytes.writeInt32LE(Number(ctx.result));
    if (flags & CLONE_CHILD_SETTID && ctid) child.tracee.write(ctid, tidBytes);
    if (flags & CLONE_PARENT_SETTID && ptid) t.write(ptid, tidBytes);
  };
}

export const replaySpecial: Record<string, ReplaySpecial> = {
  mmap: { atEntry: replayMmap },
  fork: { atEntry: replayClone('fork') },
  vfork: { atEntry: replayClone('vfork') },
  clone: { atEntry: replayClone('clone') },
  clone3: { atEntry: replayClone('clone3') },
  mremap: { atEntry: replayMremap },
  exit: { atEntry: () => 'end' },
  exit_group: { atEntry: () => 'end' },
  restart_syscall: {},
  denied: {},
  execve: { atEntry: replayExecve },
  shmat: { atEntry: (c) => { throw new UnsupportedSyscallError(`unsupported syscall shmat (30) at event ${c.index}`); } },
  shmdt: { atEntry: (c) => { throw new UnsupportedSyscallError(`unsupported syscall shmdt (67) at event ${c.index}`); } },
};

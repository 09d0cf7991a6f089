/**
 * Recorder handlers for the syscalls the table marks 'special' (the replayer has its own in
 * src/replayer/specialSyscalls.ts). Each may refuse at entry and add to the event at exit.
 */
import * as fs from 'fs';
import { Tracee } from '../shared/tracee';
import { stdioOf } from './stdio';
import { TraceWriter } from '../trace/traceStream';
import { SyscallEvent } from '../trace/schema';
import { isErrorResult } from '../shared/syscalls';
import { log } from '../shared/log';

export interface ExitContext {
  tracee: Tracee;
  /** "dev:ino" of files mapped MAP_SHARED so far: writes to them are recorded for replay */
  sharedFiles: Set<string>;
  writer: TraceWriter;
  args: bigint[];
  result: bigint;
  event: SyscallEvent;
}

export interface RecordSpecial {
  /** Decide before the call runs; `refuse` ends the recording with that message. */
  atEntry?(args: bigint[], tracee: Tracee): { refuse?: string; deny?: number } | undefined;
  atExit?(ctx: ExitContext): void;
}

const CLONE_THREAD = 0x10000n;
export const MAP_ANONYMOUS = 0x20n;
const MAP_SHARED = 0x01n;

/** New processes are recorded; new threads (CLONE_THREAD) are not, yet. */
function refuseThreads(flags: bigint): { refuse: string } | undefined {
  if (flags & CLONE_THREAD) return { refuse: 'the program creates a thread, and threads are not supported yet' };
  return undefined;
}

/** Save the file behind a successful file mmap, through /proc so deleted files work too. */
function saveMappedFile(ctx: ExitContext): void {
  const [, , , flags, fd] = ctx.args;
  if (isErrorResult(ctx.result) || flags & MAP_ANONYMOUS || BigInt.asIntN(64, fd) < 0n) return;
  const link = `/proc/${ctx.tracee.tid}/fd/${Number(fd)}`;
  try {
    const st = fs.statSync(link);
    if (!st.isFile()) return; // /dev/zero and friends: replay maps anonymous memory
    ctx.event.mappedFile = ctx.writer.saveFile(fs.readlinkSync(link), st, link);
    ctx.event.mappedFileId = `${st.dev}:${st.ino}`;
    if (flags & MAP_SHARED) ctx.sharedFiles.add(ctx.event.mappedFileId);
  } catch (e) {
    log.warn(`mmap of fd ${fd}: cannot save the file (${(e as Error).message}); replay will stop there`);
    ctx.event.unsupported = true;
  }
}

/**
 * Calls that copy data inside the kernel (copy_file_range, sendfile, splice, tee) never show
 * the bytes to the recorder. Into rrts's own stdout/stderr, replay must print those bytes, so
 * the recorder denies the call there with the errno that makes programs (cat, cp) fall back to
 * read/write, which it does capture. Elsewhere they are recorded as usual.
 */
function denyIntoStdio(outFdArg: number, errno: number): RecordSpecial {
  return {
    atEntry: (args, t) => (stdioOf(t.tid, Number(BigInt.asIntN(64, args[outFdArg]))) ? { deny: errno } : undefined),
  };
}
const ENOSYS = 38, EINVAL = 22;

export const recordSpecial: Record<string, RecordSpecial> = {
  copy_file_range: denyIntoStdio(2, ENOSYS),
  sendfile: denyIntoStdio(0, EINVAL),
  splice: denyIntoStdio(2, EINVAL),
  tee: denyIntoStdio(1, EINVAL),
  // struct clone_args starts with its u64 flags
  clone3: { atEntry: (args, t) => refuseThreads(t.read(args[0], 8).readBigUInt64LE(0)) },
  clone: { atEntry: (args) => refuseThreads(args[0]) },
  mmap: { atExit: saveMappedFile },
};

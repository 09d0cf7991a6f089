/**
 * Recorder handlers for the syscalls the table marks 'special' (the replayer has its own in
 * src/replayer/specialSyscalls.ts). Each may refuse at entry and add to the event at exit.
 */
import * as fs from 'fs';
import { Tracee } from '../shared/tracee';
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
  atEntry?(args: bigint[]): { refuse?: string } | undefined;
  atExit?(ctx: ExitContext): void;
}

const CLONE_VM = 0x100n, CLONE_THREAD = 0x10000n, CLONE_VFORK = 0x4000n;
export const MAP_ANONYMOUS = 0x20n;
const MAP_SHARED = 0x01n;

function refuseClone(flags: bigint): { refuse: string } {
  if (flags & CLONE_THREAD) return { refuse: 'the program creates a thread, and threads are not supported yet' };
  if (flags & (CLONE_VM | CLONE_VFORK)) return { refuse: 'the program creates a process with vfork/clone, which is not supported yet' };
  return { refuse: 'the program forks, and recording child processes is not supported yet' };
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

export const recordSpecial: Record<string, RecordSpecial> = {
  clone: { atEntry: (args) => refuseClone(args[0]) },
  clone3: { atEntry: () => ({ refuse: 'the program calls clone3 (threads or processes), which is not supported yet' }) },
  fork: { atEntry: () => refuseClone(0n) },
  vfork: { atEntry: () => refuseClone(CLONE_VFORK) },
  mmap: { atExit: saveMappedFile },
};

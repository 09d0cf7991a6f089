/**
 * `rrts ps [TRACE]`: the processes of a recording, as rr ps shows them: the recorded pid, its
 * parent, its exit status (-N: killed by signal N) and its command line.
 */
import type { CommandModule } from 'yargs';
import { resolveTrace } from '../trace/traceDir';
import { TraceReader } from '../trace/traceStream';
import { syscallByNr } from '../shared/syscalls';

interface PsArgs { trace?: string }
interface Proc { pid: number; ppid?: number; exit?: string; cmd: string }

const CREATES = new Set(['fork', 'vfork', 'clone', 'clone3']);

/** Read argv back from an initial stack: argc, then argv pointers into the same block. */
function argvOf(stack: Buffer, top: number): string | undefined {
  if (stack.length < 8) return undefined;
  const base = top - stack.length;
  const argc = Number(stack.readBigUInt64LE(0));
  const args: string[] = [];
  for (let i = 0; i < argc && 8 * (i + 2) <= stack.length; i++) {
    const off = Number(stack.readBigUInt64LE(8 * (i + 1))) - base;
    if (off < 0 || off >= stack.length) return undefined;
    args.push(stack.toString('utf8', off, stack.indexOf(0, off)));
  }
  return args.join(' ');
}

export const psCommand: CommandModule<object, PsArgs> = {
  command: 'ps [trace]',
  describe: 'List the processes of a recording',
  builder: (y) => y.positional('trace', { type: 'string', describe: 'trace directory (default: the latest)' }) as never,
  handler: (a) => {
    const r = new TraceReader(resolveTrace(a.trace));
    const procs = new Map<number, Proc>();
    procs.set(r.header.pid, { pid: r.header.pid, cmd: r.header.argv.join(' ') });
    for (let i = 0; i < r.eventCount; i++) {
      const e = r.event(i);
      if (e.syscall && CREATES.has(syscallByNr(e.syscall.nr).name) && e.syscall.result > 0) {
        const parent = procs.get(e.tid);
        procs.set(e.syscall.result, { pid: e.syscall.result, ppid: e.tid, cmd: parent?.cmd ?? '?' });
      } else if (e.exec) {
        const p = procs.get(e.tid);
        const cmd = argvOf(Buffer.from(e.exec.stack), e.exec.stackTop);
        if (p && cmd !== undefined && i > 0) p.cmd = cmd;
      } else if (e.exit) {
        const p = procs.get(e.tid);
        if (p) p.exit = e.exit.signal ? String(-e.exit.signal) : String(e.exit.code ?? 0);
      }
    }
    const lines = ['PID\tPPID\tEXIT\tCMD'];
    for (const p of procs.values()) lines.push(`${p.pid}\t${p.ppid ?? '--'}\t${p.exit ?? '?'}\t${p.cmd}`);
    process.stdout.write(lines.join('\n') + '\n');
    r.close();
  },
};

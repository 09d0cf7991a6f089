/**
 * `rrts record [-o DIR] PROG [ARGS...]`: run PROG under the recorder. Its stdio is ours; rrts
 * exits with its status (128+N when signal N killed it, as a shell reports it).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { CommandModule } from 'yargs';
import { RecordSession } from '../recorder/recordSession';
import { TraceWriter } from '../trace/traceStream';
import { newTraceDir, markLatest } from '../trace/traceDir';
import { UserError } from '../shared/errors';
import { VERSION } from './version';

interface RecordArgs { output?: string; prog: string }

/** Find PROG as a shell would: a path if it has a slash, else along $PATH. */
export function resolveProgram(prog: string): string {
  const check = (p: string): string => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      throw new UserError(`rrts: ${prog}: No such file or directory`, 127);
    }
    if (st.isDirectory()) throw new UserError(`rrts: ${prog}: Is a directory`, 126);
    try {
      fs.accessSync(p, fs.constants.X_OK);
    } catch {
      throw new UserError(`rrts: ${prog}: Permission denied`, 126);
    }
    return path.resolve(p);
  };
  if (prog.includes('/')) return check(prog);
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = path.join(dir || '.', prog);
    if (fs.existsSync(p) && !fs.statSync(p).isDirectory()) return check(p);
  }
  throw new UserError(`rrts: ${prog}: command not found`, 127);
}

function stackLimit(): number {
  const m = /^Max stack size\s+(\S+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
  return !m || m[1] === 'unlimited' ? -1 : Number(m[1]);
}

export function recordCommand(programArgs: string[], setExit: (code: number) => void): CommandModule<object, RecordArgs> {
  return {
    command: 'record <prog> [args..]',
    describe: 'Run a program and record its execution',
    builder: (y) =>
      y
        .positional('prog', { type: 'string', describe: 'program to run' })
        .positional('args', { type: 'string', array: true, describe: 'its arguments (everything after PROG)' })
        .option('output', { alias: 'o', type: 'string', describe: 'trace directory to create (default: $RRTS_TRACE_DIR/PROG-N)' }) as never,
    handler: async (a) => {
      const exe = resolveProgram(a.prog);
      const dir = a.output ? path.resolve(a.output) : newTraceDir(a.prog);
      const writer = new TraceWriter(dir);
      const env = Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
      const session = new RecordSession(
        { exe, argv: [a.prog, ...programArgs], env, cwd: process.cwd(), stackLimit: stackLimit(), rrtsVersion: VERSION },
        writer,
      );
      // Ctrl-C reaches the tracee from the terminal by itself; rrts stays to finish the trace.
      const ignore = (): void => {};
      const stop = (sig: string) => () => session.requestStop(`rrts received ${sig}`);
      process.on('SIGINT', ignore);
      const onTerm = stop('SIGTERM'), onHup = stop('SIGHUP');
      process.on('SIGTERM', onTerm);
      process.on('SIGHUP', onHup);
      try {
        const outcome = await session.run();
        writer.writeEvent({ tid: session.tid, end: { reason: 'the program ended' } });
        if (!a.output) markLatest(dir);
        setExit('code' in outcome ? outcome.code : 128 + outcome.signal);
      } finally {
        writer.close();
        process.off('SIGINT', ignore);
        process.off('SIGTERM', onTerm);
        process.off('SIGHUP', onHup);
      }
    },
  };
}

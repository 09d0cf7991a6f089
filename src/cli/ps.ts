/** `rrts ps [TRACE]`: the processes of a recording (one until fork is supported), as rr ps shows them. */
import type { CommandModule } from 'yargs';
import { resolveTrace } from '../trace/traceDir';
import { TraceReader } from '../trace/traceStream';

interface PsArgs { trace?: string }

export const psCommand: CommandModule<object, PsArgs> = {
  command: 'ps [trace]',
  describe: 'List the processes of a recording',
  builder: (y) => y.positional('trace', { type: 'string', describe: 'trace directory (default: the latest)' }) as never,
  handler: (a) => {
    const r = new TraceReader(resolveTrace(a.trace));
    let status = '?';
    for (let i = r.eventCount - 1; i >= 0; i--) {
      const e = r.event(i);
      if (e.exit) {
        status = e.exit.signal ? String(-e.exit.signal) : String(e.exit.code ?? 0);
        break;
      }
    }
    process.stdout.write('PID\tPPID\tEXIT\tCMD\n');
    process.stdout.write(`${r.header.pid}\t--\t${status}\t${r.header.argv.join(' ')}\n`);
    r.close();
  },
};

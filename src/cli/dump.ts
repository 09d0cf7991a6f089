/** `rrts dump [TRACE]`: every event, readable, or as JSON lines with --json. */
import type { CommandModule } from 'yargs';
import { resolveTrace } from '../trace/traceDir';
import { TraceReader } from '../trace/traceStream';
import { describeEvent, eventJson } from '../trace/describe';

interface DumpArgs { trace?: string; json?: boolean; from?: number; to?: number }

export const dumpCommand: CommandModule<object, DumpArgs> = {
  command: 'dump [trace]',
  describe: 'Print the events of a trace',
  builder: (y) =>
    y
      .positional('trace', { type: 'string', describe: 'trace directory (default: the latest)' })
      .option('json', { type: 'boolean', describe: 'one JSON object per line' })
      .option('from', { type: 'number', describe: 'first event number' })
      .option('to', { type: 'number', describe: 'last event number' }) as never,
  handler: (a) => {
    const r = new TraceReader(resolveTrace(a.trace));
    const out: string[] = [];
    const flush = () => {
      if (out.length) process.stdout.write(out.join('\n') + '\n');
      out.length = 0;
    };
    if (!a.json) out.push(`# ${r.dir}: ${r.header.argv.join(' ')} (format ${r.header.version}, ${r.eventCount} events)`);
    const last = Math.min(r.eventCount - 1, a.to ?? Infinity);
    for (let i = a.from ?? 0; i <= last; i++) {
      const e = r.event(i);
      out.push(a.json ? JSON.stringify(eventJson(i, e)) : describeEvent(i, e));
      if (out.length > 1000) flush();
    }
    if (r.end.problem && !a.json) out.push(`# trace ends after event ${r.eventCount - 1}: ${r.end.problem}`);
    flush();
    r.close();
  },
};

/** `rrts ls`: the traces under $RRTS_TRACE_DIR, oldest first, the latest marked. */
import type { CommandModule } from 'yargs';
import { listTraces, traceRoot } from '../trace/traceDir';
import { TraceReader } from '../trace/traceStream';

export const lsCommand: CommandModule = {
  command: 'ls',
  describe: 'List recorded traces',
  handler: () => {
    const traces = listTraces();
    if (traces.length === 0) {
      process.stdout.write(`no traces in ${traceRoot()}\n`);
      return;
    }
    for (const t of traces) {
      let what = '';
      try {
        const r = new TraceReader(t.dir);
        what = `${r.eventCount} events  ${r.header.argv.join(' ')}${r.end.problem ? `  (${r.end.problem})` : ''}`;
        r.close();
      } catch (e) {
        what = (e as Error).message;
      }
      process.stdout.write(`${t.latest ? '*' : ' '} ${t.name.padEnd(24)} ${t.mtime.toISOString().slice(0, 19).replace('T', ' ')}  ${what}\n`);
    }
  },
};

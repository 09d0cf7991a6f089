/**
 * `rrts replay [TRACE]`: replay a recording. With -a (autopilot) it runs to the end, writing the
 * recorded output again, and exits with the recorded status; otherwise it serves gdb.
 */
import type { CommandModule } from 'yargs';
import { resolveTrace } from '../trace/traceDir';
import { TraceReader } from '../trace/traceStream';
import { ReplaySession } from '../replayer/replaySession';
import { log } from '../shared/log';
import { UserError } from '../shared/errors';

interface ReplayArgs {
  trace?: string;
  autopilot?: boolean;
  port?: string;
  host: string;
  goto?: number;
  pid?: number;
  gdb?: boolean;
}

/** Run a replay to its end with no debugger; returns the exit status to report. */
export function autopilot(reader: TraceReader): number {
  const session = new ReplaySession(reader, { echoStdio: true });
  try {
    session.start();
    for (;;) {
      const r = session.advance();
      if (r.kind === 'end') {
        if (reader.end.problem) log.warn(`replay reached the end of trace ${reader.dir} after event ${reader.eventCount - 1}: ${reader.end.problem}`);
        if (r.exit) return r.exit.signal ? 128 + r.exit.signal : r.exit.code;
        // The recording stopped before the program ended (refused, killed recorder): say so.
        const endEvent = reader.eventCount ? reader.event(reader.eventCount - 1).end : undefined;
        log.warn(`the recording stops before the program ended${endEvent?.reason ? `: ${endEvent.reason}` : ''}`);
        return 1;
      }
    }
  } finally {
    session.kill();
  }
}

export function replayCommand(setExit: (code: number) => void): CommandModule<object, ReplayArgs> {
  return {
    command: 'replay [trace]',
    describe: 'Replay a recording, with gdb (default) or to its end (-a)',
    builder: (y) =>
      y
        .positional('trace', { type: 'string', describe: 'trace directory (default: the latest)' })
        .option('autopilot', { alias: 'a', type: 'boolean', describe: 'replay to the end without a debugger' })
        .option('port', { alias: 's', type: 'string', describe: 'serve gdb on this port (default: a free one)' })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on' })
        .option('goto', { alias: 'g', type: 'number', describe: 'start the debugging session at this event' })
        .option('pid', { alias: 'p', type: 'number', describe: 'debug this process of the recording' })
        .option('gdb', { type: 'boolean', describe: 'start gdb, connected' }) as never,
    handler: async (a) => {
      const port = a.port === undefined ? undefined : Number(a.port);
      if (port !== undefined && !(/^\d+$/.test(a.port!) && port <= 65535)) {
        throw new UserError(`rrts: -s needs a port number from 0 to 65535, not '${a.port}'`, 2);
      }
      const reader = new TraceReader(resolveTrace(a.trace));
      if (a.goto !== undefined && !(Number.isInteger(a.goto) && a.goto >= 0 && a.goto < reader.eventCount)) {
        throw new UserError(`rrts: -g needs an event number from 0 to ${reader.eventCount - 1} (this recording has ${reader.eventCount} events), not '${a.goto}'`, 2);
      }
      if (a.autopilot) {
        setExit(autopilot(reader));
        return;
      }
      const { serveGdb } = await import('../replayer/gdbServe');
      setExit(await serveGdb(reader, { port, host: a.host, gotoEvent: a.goto, pid: a.pid, launchGdb: a.gdb ?? false }));
    },
  };
}

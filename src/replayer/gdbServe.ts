/**
 * `rrts replay` with a debugger: replay to the start of the program (or event -g N), then serve
 * gdb on a loopback port until SIGTERM/SIGINT, or until a gdb started with --gdb exits.
 */
import { spawn } from 'child_process';
import { TraceReader } from '../trace/traceStream';
import { GdbServer, GdbLogger } from '../gdbstub';
import { ReplayTimeline } from './timeline';
import { ReplayGdbTarget } from './gdbTarget';
import { UserError } from '../shared/errors';
import { log } from '../shared/log';

export interface ServeOptions { port?: number; host: string; gotoEvent?: number; pid?: number; launchGdb: boolean }

const logger: GdbLogger = {
  debug: (m: string) => log.debug(`gdb: ${m}`),
  info: (m: string) => log.debug(`gdb: ${m}`),
  warn: (m: string) => log.warn(`gdb: ${m}`),
  error: (m: string) => log.error(`gdb: ${m}`),
};

export async function serveGdb(reader: TraceReader, o: ServeOptions): Promise<number> {
  if (o.pid !== undefined && o.pid !== reader.header.pid) {
    throw new UserError(`rrts: process ${o.pid} is not in this recording (its process: ${reader.header.pid})`);
  }
  const timeline = new ReplayTimeline(reader);
  if (o.gotoEvent !== undefined) await timeline.goToEvent(o.gotoEvent);
  const target = new ReplayGdbTarget(timeline);
  const server = new GdbServer(target, { logger });
  const port = await listen(server, o.host, o.port ?? 0);
  const exe = reader.header.exePath;
  const cmd = `gdb -ex 'target extended-remote ${o.host}:${port}' ${exe}`;
  process.stderr.write(`rrts: replaying ${reader.dir}; connect with:\n  ${cmd}\n`);

  return new Promise<number>((resolve) => {
    const finish = (code: number) => {
      server.close().catch(() => {});
      timeline.close();
      resolve(code);
    };
    process.once('SIGTERM', () => finish(0));
    process.once('SIGINT', () => finish(0));
    if (o.launchGdb) {
      const gdb = spawn('gdb', ['-ex', `target extended-remote ${o.host}:${port}`, exe], { stdio: 'inherit' });
      process.removeAllListeners('SIGINT');
      process.on('SIGINT', () => {}); // Ctrl-C belongs to gdb
      gdb.on('exit', () => finish(0));
      gdb.on('error', (e) => {
        log.error(`cannot start gdb: ${e.message}`);
        finish(1);
      });
    }
  });
}

/** Listen through the gdbstub server; -s PORT picks the port, otherwise a free one. */
async function listen(server: GdbServer, host: string, port: number): Promise<number> {
  try {
    return await server.listen(host, port);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new UserError(`rrts: port ${port} on ${host} is in use`);
    throw e;
  }
}

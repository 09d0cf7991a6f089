/**
 * Where traces live: `$RRTS_TRACE_DIR` (default ~/.local/share/rrts), one directory per
 * recording named PROGNAME-N, and a `latest-trace` symlink to the newest, as rr does.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../shared/errors';
import { EVENTS_FILE } from './traceStream';

export const LATEST = 'latest-trace';

export function traceRoot(): string {
  return process.env.RRTS_TRACE_DIR || path.join(os.homedir(), '.local', 'share', 'rrts');
}

/** Reserve a new PROGNAME-N directory under the trace root (created empty). */
export function newTraceDir(progName: string): string {
  const root = traceRoot();
  fs.mkdirSync(root, { recursive: true });
  const base = path.basename(progName) || 'trace';
  for (let n = 0; ; n++) {
    const dir = path.join(root, `${base}-${n}`);
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Point latest-trace at `dir` (atomically: a new link renamed over the old one). */
export function markLatest(dir: string): void {
  const root = traceRoot();
  if (path.dirname(path.resolve(dir)) !== path.resolve(root)) return;
  const tmp = path.join(root, `.${LATEST}.${process.pid}`);
  try {
    fs.symlinkSync(path.basename(dir), tmp);
    fs.renameSync(tmp, path.join(root, LATEST));
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

/** The trace a command should use: the one named, or the latest. */
export function resolveTrace(arg?: string): string {
  if (arg) {
    if (!fs.existsSync(arg)) throw new UserError(`rrts: no trace at ${arg}`);
    return path.resolve(arg);
  }
  const latest = path.join(traceRoot(), LATEST);
  if (!fs.existsSync(latest)) {
    throw new UserError(`rrts: no traces in ${traceRoot()} (record one with 'rrts record PROG', or name a trace directory)`);
  }
  return fs.realpathSync(latest);
}

export interface TraceListing { name: string; dir: string; mtime: Date; latest: boolean }

export function listTraces(): TraceListing[] {
  const root = traceRoot();
  if (!fs.existsSync(root)) return [];
  let latest = '';
  try {
    latest = fs.readlinkSync(path.join(root, LATEST));
  } catch {
    // no latest link yet
  }
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, d.name, EVENTS_FILE)))
    .map((d) => {
      const dir = path.join(root, d.name);
      return { name: d.name, dir, mtime: fs.statSync(dir).mtime, latest: d.name === latest };
    })
    .sort((a, b) => a.mtime.getTime() - b.mtime.getTime());
}

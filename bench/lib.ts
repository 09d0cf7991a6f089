/**
 * What every bench section shares: the context it runs in, timing child processes, the gdb
 * replay server, and the report shape. Node built-ins only.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** One program the sections measure. `argv[0]` is an absolute path. */
export interface BenchProgram {
  name: string;
  argv: string[];
  /** Why it cannot run here (a missing binary); the sections print it instead of numbers. */
  skip?: string;
}

export interface BenchContext {
  /** the repository root */
  root: string;
  /** how to run rrts: ['node', '<root>/bin/rrts.js'] */
  rrts: string[];
  /** runs per measurement; the median is reported */
  runs: number;
  /** scratch directory for fixtures and traces, removed at the end */
  work: string;
  programs: BenchProgram[];
  /** gdb's path, or undefined when it is not installed */
  gdb?: string;
  /** Progress for the person waiting (stderr). */
  log(message: string): void;
  /**
   * A recording of `p` made once and shared by the sections that only need some trace of it
   * (the gdb ones). Throws if recording fails.
   */
  traceOf(p: BenchProgram): Promise<string>;
}

export interface Table {
  columns: string[];
  rows: string[][];
}

export interface SectionReport {
  table?: Table;
  /** lines printed under the table (what was measured, failures) */
  notes?: string[];
  /** lines for the final summary */
  summary?: string[];
}

/**
 * A bench section. Sections are listed in sections/index.ts and run in that order; adding one is
 * a new file there and one line in the list.
 */
export interface BenchSection {
  /** short name for --sections */
  name: string;
  title: string;
  /** Why this section cannot run here (say, no gdb), or undefined. */
  unavailable?(ctx: BenchContext): string | undefined;
  run(ctx: BenchContext): Promise<SectionReport>;
}

export interface RunResult {
  ms: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** keep stdout (default: it goes to /dev/null, as the measured programs' output does) */
  captureStdout?: boolean;
  /** kill the process after this long (default 300 s) */
  timeoutMs?: number;
}

const KEEP = 64 * 1024;

/** Run argv to completion; wall time from spawn to exit. stdin is /dev/null. */
export function timeRun(argv: string[], o: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const devnull = o.captureStdout ? undefined : fs.openSync('/dev/null', 'w');
    const start = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), {
      cwd: o.cwd, env: o.env ?? process.env, stdio: ['ignore', devnull ?? 'pipe', 'pipe'],
    });
    if (devnull !== undefined) fs.closeSync(devnull);
    let stdout = '', stderr = '';
    child.stdout?.on('data', (d: Buffer) => { if (stdout.length < KEEP) stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { if (stderr.length < KEEP) stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 300_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, code, signal, stdout, stderr });
    });
  });
}

/** A status as a shell shows it: the exit code, or 128+N for a signal. */
export function status(r: RunResult): number {
  if (r.code !== null) return r.code;
  const n = r.signal ? os.constants.signals[r.signal] ?? 0 : 0;
  return 128 + n;
}

/** The first line of rrts's own diagnostics in a run's stderr, for failure notes. */
export function rrtsMessage(r: RunResult): string {
  const line = r.stderr.split('\n').find((l) => l.startsWith('rrts')) ?? r.stderr.split('\n').find((l) => l.trim()) ?? '';
  return line.length > 160 ? line.slice(0, 157) + '...' : line;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function geomean(xs: number[]): number {
  const ok = xs.filter((x) => x > 0 && Number.isFinite(x));
  return ok.length ? Math.exp(ok.reduce((a, x) => a + Math.log(x), 0) / ok.length) : NaN;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function fmtRatio(x: number): string {
  if (!Number.isFinite(x)) return '-';
  return x < 10 ? `${x.toFixed(2)}x` : `${x.toFixed(0)}x`;
}

export function printTable(t: Table): void {
  const widths = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  console.log(line(t.columns));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of t.rows) console.log(line(r));
}

/** Absolute path of a command found along $PATH, or undefined. */
export function which(cmd: string): string | undefined {
  if (cmd.includes('/')) return fs.existsSync(cmd) ? cmd : undefined;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir || '.', cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function commandOutput(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  return (r.stdout ?? '').trim();
}

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** gdb, batch mode, no init files, no debuginfod: what the sections run. */
export function gdbArgv(gdb: string, commands: string[], tail: string[]): string[] {
  const argv = [gdb, '-nx', '-batch', '-iex', 'set debuginfod enabled off', '-iex', 'set inferior-tty /dev/null'];
  for (const c of commands) argv.push('-ex', c);
  return [...argv, ...tail];
}

export interface ReplayServer {
  port: number;
  /** ms from spawning `rrts replay -s PORT` until it printed its 127.0.0.1:PORT line */
  readyMs: number;
  /** hrtime (ns) when the server was spawned */
  startNs: bigint;
  stop(): Promise<void>;
}

/**
 * Start `rrts replay -s PORT TRACE` and resolve once it accepts gdb (its line naming
 * 127.0.0.1:PORT). Its stdout (the replayed program's output) is read and dropped.
 */
export async function startReplayServer(ctx: BenchContext, trace: string): Promise<ReplayServer> {
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const startNs = process.hrtime.bigint();
    const child = spawn(ctx.rrts[0], [...ctx.rrts.slice(1), 'replay', '-s', String(port), trace], {
      stdio: ['ignore', 'pipe', 'pipe'], env: benchEnv(ctx),
    });
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    const ready = await new Promise<number | string>((resolve) => {
      let seen = '', err = '';
      const timer = setTimeout(() => resolve(`no 127.0.0.1:${port} line within 60 s`), 60_000);
      // The server announces itself on stderr; the replayed program's output is on stdout.
      child.stdout.on('data', () => {});
      child.stderr.on('data', (d: Buffer) => {
        if (err.length < KEEP) err += d.toString();
        if (seen.length < KEEP) seen += d.toString();
        if (seen.includes(`127.0.0.1:${port}`)) {
          clearTimeout(timer);
          seen = '';
          resolve(Number(process.hrtime.bigint() - startNs) / 1e6);
        }
      });
      child.on('close', (code) => { clearTimeout(timer); resolve(`exited with status ${code}: ${err.trim().split('\n')[0] ?? ''}`); });
    });
    if (typeof ready === 'number') {
      return {
        port, readyMs: ready, startNs,
        stop: async () => {
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(t);
        },
      };
    }
    lastError = ready;
    child.kill('SIGKILL');
    await exited;
  }
  throw new Error(`rrts replay -s did not start: ${lastError}`);
}

/** The environment rrts runs with in the bench: traces without -o go to the scratch directory. */
export function benchEnv(ctx: BenchContext): NodeJS.ProcessEnv {
  return { ...process.env, RRTS_TRACE_DIR: path.join(ctx.work, 'traces') };
}

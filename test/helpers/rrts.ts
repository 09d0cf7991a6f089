/**
 * Run the rrts CLI (bin/rrts.js) as a user would: a separate node process, bounded by a
 * timeout, its stdout/stderr captured. Asynchronous runs are tracked so that `killAll()` (call
 * it in afterEach) never leaves a recorder or replayer behind.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const RRTS_BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'rrts.js');

export interface RunResult {
  /** exit status, or null when killed by a signal */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** added to (or, with value undefined, removed from) process.env */
  env?: Record<string, string | undefined>;
  /** milliseconds; the process is SIGKILLed after it (default 100 s) */
  timeout?: number;
  /** write stdout to this file (an fd is opened for it) instead of capturing it */
  stdoutFile?: string;
}

function environment(extra?: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Run `rrts ARGS...` to completion. */
export function rrts(args: string[], opts: RunOptions = {}): RunResult {
  const outFd = opts.stdoutFile === undefined ? undefined : fs.openSync(opts.stdoutFile, 'w');
  try {
    return rrtsTo(args, opts, outFd);
  } finally {
    if (outFd !== undefined) fs.closeSync(outFd);
  }
}

function rrtsTo(args: string[], opts: RunOptions, outFd: number | undefined): RunResult {
  const r = spawnSync(process.execPath, [RRTS_BIN, ...args], {
    cwd: opts.cwd,
    env: environment(opts.env),
    stdio: ['ignore', outFd ?? 'pipe', 'pipe'],
    timeout: opts.timeout ?? 100_000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') throw r.error;
  const stdout = outFd === undefined ? r.stdout ?? '' : fs.readFileSync(opts.stdoutFile!, 'utf8');
  return { status: r.status, signal: r.signal, stdout, stderr: r.stderr ?? '' };
}

/** A running rrts process with its output so far. */
export class RrtsProcess {
  stdout = '';
  stderr = '';
  readonly done: Promise<RunResult>;
  private exited = false;
  private readonly timer: NodeJS.Timeout;

  constructor(readonly child: ChildProcess, timeout: number) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.timer = setTimeout(() => this.kill('SIGKILL'), timeout);
    this.done = new Promise((resolve) => {
      child.on('close', (status, signal) => {
        this.exited = true;
        clearTimeout(this.timer);
        resolve({ status, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Signal the process, or with `group` its whole process group (it leads one). */
  kill(signal: NodeJS.Signals = 'SIGTERM', group = false): void {
    if (this.exited || this.child.pid === undefined) return;
    try {
      process.kill(group ? -this.child.pid : this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Resolve once stdout or stderr matches `re`; reject if the process ends first or after `ms`. */
  waitFor(re: RegExp, ms = 60_000, stream: 'stdout' | 'stderr' | 'both' = 'both'): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const text = stream === 'stdout' ? this.stdout : stream === 'stderr' ? this.stderr : this.stdout + '\n' + this.stderr;
        const m = re.exec(text);
        if (m) {
          finish();
          resolve(m);
          return true;
        }
        return false;
      };
      const onData = (): void => void check();
      const onClose = (): void => {
        if (!check()) {
          finish();
          reject(new Error(`process ended before ${re} appeared\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${re} did not appear within ${ms} ms\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
      }, ms);
      const finish = (): void => {
        clearTimeout(timer);
        this.child.stdout?.off('data', onData);
        this.child.stderr?.off('data', onData);
        this.child.off('close', onClose);
      };
      if (check()) return;
      if (this.exited) return onClose();
      this.child.stdout?.on('data', onData);
      this.child.stderr?.on('data', onData);
      this.child.on('close', onClose);
    });
  }
}

const live = new Set<RrtsProcess>();

/** Start `rrts ARGS...` in its own process group; it is SIGKILLed after `timeout`. */
export function startRrts(args: string[], opts: RunOptions = {}): RrtsProcess {
  const child = spawn(process.execPath, [RRTS_BIN, ...args], {
    cwd: opts.cwd,
    env: environment(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const p = new RrtsProcess(child, opts.timeout ?? 100_000);
  live.add(p);
  void p.done.then(() => live.delete(p));
  return p;
}

/** SIGKILL the process group of every rrts process started here that is still running. */
export async function killAll(): Promise<void> {
  const waiting = [...live].map((p) => {
    p.kill('SIGKILL', true);
    return p.done;
  });
  await Promise.all(waiting);
}

/** Lines of rrts's own (not the tracee's): `rrts...`, `[rrts...`, node's `(node:PID)` warnings. */
export function isRrtsLine(line: string): boolean {
  return /^(rrts|\[rrts|\(node:\d+\))/.test(line);
}

/** The tracee's part of an rrts stderr. */
export function traceeStderr(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !isRrtsLine(l))
    .join('\n');
}

/** rrts's own part of an rrts stderr. */
export function rrtsStderr(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => isRrtsLine(l))
    .join('\n');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `rrts record -o TRACE PROG ARGS...` */
export function record(trace: string, prog: string, args: string[] = [], opts: RunOptions = {}): RunResult {
  return rrts(['record', '-o', trace, prog, ...args], opts);
}

/** `rrts replay -a TRACE` */
export function replay(trace: string, opts: RunOptions = {}): RunResult {
  return rrts(['replay', '-a', trace], opts);
}

/** A readable summary of a run, for assertion messages. */
export function summary(r: RunResult): string {
  return `status ${r.status} signal ${r.signal}\n--- stdout ---\n${clip(r.stdout)}\n--- stderr ---\n${clip(r.stderr)}`;
}

function clip(text: string, max = 3000): string {
  return text.length <= max ? text : `${text.slice(0, max / 2)}\n[... ${text.length - max} characters ...]\n${text.slice(-max / 2)}`;
}

/**
 * Throw unless `actual === expected`, with a message short enough to read: the lengths and the
 * first line that differs (a plain deepEqual diff of two 100 kB outputs is not).
 */
export function assertSameText(actual: string, expected: string, what: string): void {
  if (actual === expected) return;
  const a = actual.split('\n'), e = expected.split('\n');
  let i = 0;
  while (i < a.length && i < e.length && a[i] === e[i]) i++;
  throw new Error(
    `${what}: ${actual.length} characters (${a.length} lines) instead of ${expected.length} (${e.length} lines); ` +
      `first difference at line ${i + 1}:\n  expected: ${JSON.stringify(e[i] ?? '<end>')}\n  actual:   ${JSON.stringify(a[i] ?? '<end>')}`,
  );
}

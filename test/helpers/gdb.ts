/**
 * gdb against `rrts replay -s PORT TRACE`: the server is started on a free port, gdb (the real
 * one, over TCP) is run once it prints its 127.0.0.1:PORT line, and the server is always
 * stopped afterwards (SIGTERM, then SIGKILL to its process group).
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as net from 'net';
import { strict as assert } from 'assert';
import { RrtsProcess, startRrts, sleep } from './rrts';

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface ReplayServer {
  port: number;
  proc: RrtsProcess;
  /** SIGTERM, then SIGKILL of the process group if it has not exited after 5 s. */
  stop(): Promise<void>;
}

/** Start `rrts replay -s PORT TRACE` and wait for the line announcing 127.0.0.1:PORT. */
export async function startReplayServer(trace: string, extraArgs: string[] = []): Promise<ReplayServer> {
  const port = await freePort();
  const proc = startRrts(['replay', '-s', String(port), ...extraArgs, trace], { timeout: 110_000 });
  const stop = async (): Promise<void> => {
    if (!proc.running) return;
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL', true), 5000);
    await proc.done;
    clearTimeout(t);
    proc.kill('SIGKILL', true);
  };
  try {
    await proc.waitFor(new RegExp(`127\\.0\\.0\\.1:${port}\\b`), 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, proc, stop };
}

export const GDB_BASE_ARGS = ['-nx', '-iex', 'set debuginfod enabled off', '-iex', 'set pagination off', '-iex', 'set confirm off'];

export interface GdbResult {
  /** gdb's stdout and stderr, interleaved as gdb wrote them (2>&1) */
  output: string;
  status: number | null;
  /** what the replay server printed (the replayed program's output, rrts's messages) */
  serverStdout: string;
  serverStderr: string;
}

/**
 * Run `gdb -batch` with `commands` (each an -ex) against a replay server for `trace`, with the
 * local executable `prog` as gdb's program.
 */
export async function runGdb(trace: string, prog: string, commands: string[], timeoutMs = 90_000): Promise<GdbResult> {
  const server = await startReplayServer(trace);
  try {
    const args = [...GDB_BASE_ARGS, '-batch', '-ex', `target extended-remote 127.0.0.1:${server.port}`];
    for (const c of commands) args.push('-ex', c);
    args.push(prog);
    // One stream for both outputs keeps their order: gdb prints errors on stderr.
    const r = await runToEnd('gdb', args, timeoutMs);
    return { output: r.output, status: r.status, serverStdout: server.proc.stdout, serverStderr: server.proc.stderr };
  } finally {
    await server.stop();
  }
}

/**
 * Spawn `cmd args` with stderr going into the same pipe as stdout (2>&1), so that gdb's errors
 * stay in order with the rest of its output: with two pipes, lines interleave arbitrarily.
 */
function spawnMerged(cmd: string, args: string[], stdin: 'ignore' | 'pipe', detached: boolean): ChildProcess {
  return spawn('/bin/sh', ['-c', 'exec "$0" "$@" 2>&1', cmd, ...args], { stdio: [stdin, 'pipe', 'ignore'], detached });
}

/** Run a command in its own process group, collecting stdout and stderr into one string. */
function runToEnd(cmd: string, args: string[], timeoutMs: number): Promise<{ output: string; status: number | null }> {
  return new Promise((resolve) => {
    const child = spawnMerged(cmd, args, 'ignore', true);
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => {
      output += `\n[test harness: gdb killed after ${timeoutMs} ms]\n`;
      killGroup(child, 'SIGKILL');
    }, timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ output, status });
    });
  });
}

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    // gone
  }
}

/**
 * An interactive gdb: commands are written to its stdin (a pipe, so gdb reads them as a script
 * and answers its own questions), output is collected, and signals can be sent to it.
 */
export class InteractiveGdb {
  output = '';
  readonly done: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(port: number, prog: string, initial: string[]) {
    const args = [...GDB_BASE_ARGS, '-ex', `target extended-remote 127.0.0.1:${port}`];
    for (const c of initial) args.push('-ex', c);
    args.push(prog);
    this.child = spawnMerged('gdb', args, 'pipe', false);
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    this.child.stdin!.on('error', () => undefined);
    this.done = new Promise((resolve) => this.child.on('close', (status) => resolve(status)));
  }

  send(line: string): void {
    this.child.stdin!.write(line + '\n');
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** Wait until the output (from `from` on) matches `re`, for at most `ms`. */
  async waitFor(re: RegExp, ms = 30_000, from = 0): Promise<void> {
    const deadline = Date.now() + ms;
    while (!re.test(this.output.slice(from))) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`gdb exited before ${re} appeared; output:\n${this.output}`);
      }
      if (Date.now() > deadline) throw new Error(`${re} did not appear in gdb's output within ${ms} ms:\n${this.output}`);
      await sleep(50);
    }
  }

  /** End gdb: close its stdin, then SIGKILL it if it has not exited after `ms`. */
  async close(ms = 10_000): Promise<void> {
    this.child.stdin!.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), ms);
    await this.done;
    clearTimeout(t);
  }
}

export function haveGdb(): boolean {
  return spawnSync('gdb', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Each pattern must match a line of `output` after the line matched by the previous pattern.
 * Returns the matches.
 */
export function expectInOrder(output: string, patterns: RegExp[]): RegExpExecArray[] {
  const lines = output.split('\n');
  const found: RegExpExecArray[] = [];
  let at = 0;
  for (const re of patterns) {
    let m: RegExpExecArray | null = null;
    while (at < lines.length && !(m = re.exec(lines[at]))) at++;
    if (!m) assert.fail(`no line matching ${re} after the ones matched so far (${found.length} of ${patterns.length})\n--- gdb output ---\n${tail(output)}`);
    found.push(m);
    at++;
  }
  return found;
}

/** The end of a long output, for failure messages. */
export function tail(text: string, max = 12000): string {
  return text.length <= max ? text : `[... ${text.length - max} characters ...]\n${text.slice(-max)}`;
}

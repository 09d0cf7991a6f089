/**
 * Helpers for test/gdb/reverse.test.ts: run a gdb command script against `rrts replay -s`, print
 * the machine state between marker lines (`dump`), parse those blocks back (`states`) and compare
 * two of them exactly (`assertSameState`).
 *
 * The script is given to gdb with -x, so the first command that fails ends it ("Error in sourced
 * command file"): a reverse command that errors cannot be hidden by the ones after it, and the
 * dumps that should follow it are missing, which the test reports.
 */
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { GDB_BASE_ARGS, expectInOrder, startReplayServer, tail } from '../helpers/gdb';
export { expectInOrder };

/** Every general register gdb shows for x86-64, and eflags: what `dump` prints and compares. */
export const REGS = ['rip', 'rsp', 'rbp', 'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'eflags'];

export interface ScriptResult {
  /** gdb's stdout and stderr in the order gdb wrote them */
  output: string;
  status: number | null;
  serverStdout: string;
  serverStderr: string;
}

/**
 * Start `rrts replay -s PORT [serverArgs] TRACE`, then run `gdb -batch -x SCRIPT PROG` with the
 * given lines as SCRIPT, connected to it. The server is always stopped afterwards.
 */
export async function runScript(
  trace: string,
  prog: string,
  scriptDir: string,
  lines: string[],
  opts: { serverArgs?: string[]; timeoutMs?: number } = {},
): Promise<ScriptResult> {
  const script = path.join(scriptDir, `script-${process.pid}-${++scriptCount}.gdb`);
  fs.writeFileSync(script, lines.join('\n') + '\n');
  const server = await startReplayServer(trace, opts.serverArgs ?? []);
  try {
    const args = [...GDB_BASE_ARGS, '-batch', '-ex', `target extended-remote 127.0.0.1:${server.port}`, '-x', script, prog];
    const r = await runMerged('gdb', args, opts.timeoutMs ?? 60_000);
    return { output: r.output, status: r.status, serverStdout: server.proc.stdout, serverStderr: server.proc.stderr };
  } finally {
    await server.stop();
  }
}
let scriptCount = 0;

/** Run a command in its own process group with 2>&1, SIGKILLing the group after `timeoutMs`. */
function runMerged(cmd: string, args: string[], timeoutMs: number): Promise<{ output: string; status: number | null }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', 'exec "$0" "$@" 2>&1', cmd, ...args], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => {
      output += `\n[test harness: ${cmd} killed after ${timeoutMs} ms]\n`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ output, status });
    });
  });
}

/**
 * gdb commands printing the registers of REGS and the value of each expression of `exprs`
 * between the lines `<<<TAG>>>` and `<<</TAG>>>`.
 */
export function dump(tag: string, exprs: string[] = []): string[] {
  const cmds = [`echo <<<${tag}>>>\\n`, `info registers ${REGS.join(' ')}`, ...valueCommands(exprs)];
  cmds.push(`echo <<</${tag}>>>\\n`);
  return cmds;
}

/** Lines `VALUE N {EXPR}=VALUE` for each expression (`output` prints a value without `$N = `). */
function valueCommands(exprs: string[]): string[] {
  return exprs.flatMap((e, i) => [`echo VALUE ${i} {${e.replace(/\\/g, '\\\\')}}=`, `output ${e}`, 'echo \\n']);
}

/**
 * Like `dump`, with the tag `PREFIX-N` where N is the value of the gdb integer expression
 * `counter` when the commands run (for dumps inside a gdb `while` loop).
 */
export function dumpCounted(prefix: string, counter: string, exprs: string[] = []): string[] {
  const cmds = [`printf "<<<${prefix}-%d>>>\\n", ${counter}`, `info registers ${REGS.join(' ')}`, ...valueCommands(exprs)];
  cmds.push(`printf "<<</${prefix}-%d>>>\\n", ${counter}`);
  return cmds;
}

export interface State {
  tag: string;
  /** register name -> its raw value as gdb printed it (hex) */
  regs: Record<string, string>;
  /** the printed values of the expressions, in order */
  values: string[];
  /** the same, by expression */
  named: Record<string, string>;
  /** the block as gdb printed it */
  text: string;
}

/** Every block printed by `dump` in `output`, by tag. Each must be complete and printed once. */
export function states(output: string): Map<string, State> {
  const found = new Map<string, State>();
  const re = /^<<<([^/>][^>]*)>>>$([\s\S]*?)^<<<\/\1>>>$/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(output))) {
    const [, tag, text] = m;
    if (found.has(tag)) throw new Error(`state ${tag} printed twice\n--- gdb output ---\n${output}`);
    const regs: Record<string, string> = {};
    const values: string[] = [];
    const named: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const r = /^([a-z0-9]+)\s+(0x[0-9a-f]+)\s/.exec(line);
      if (r && REGS.includes(r[1])) regs[r[1]] = r[2];
      const v = /^VALUE (\d+) \{(.*)\}=(.*)$/.exec(line);
      if (v) {
        values[Number(v[1])] = v[3];
        named[v[2]] = v[3];
      }
    }
    const missing = REGS.filter((n) => regs[n] === undefined);
    if (missing.length) throw new Error(`state ${tag} lacks registers ${missing.join(' ')}:\n${text}`);
    found.set(tag, { tag, regs, values, named, text });
  }
  return found;
}

/** The state printed with `tag`; fails the test, showing gdb's output, if there is none. */
export function stateOf(all: Map<string, State>, tag: string, output: string): State {
  const s = all.get(tag);
  if (!s) assert.fail(`no state "${tag}" was printed (gdb stopped early or a command failed)\n--- gdb output ---\n${tail(output)}`);
  return s;
}

/** The value `expr` had in state `s` (it must have been printed there). */
export function val(s: State, expr: string): string {
  const v = s.named[expr];
  if (v === undefined) assert.fail(`state ${s.tag} has no value for ${expr}:${s.text}`);
  return v;
}

/** The differences between two states: registers, then values. Empty when they are equal. */
export function differences(actual: State, expected: State): string[] {
  const diffs: string[] = [];
  for (const r of REGS) if (actual.regs[r] !== expected.regs[r]) diffs.push(`${r}: ${actual.regs[r]} instead of ${expected.regs[r]}`);
  const n = Math.max(actual.values.length, expected.values.length);
  for (let i = 0; i < n; i++) {
    if (actual.values[i] !== expected.values[i]) diffs.push(`value ${i}: ${actual.values[i]} instead of ${expected.values[i]}`);
  }
  return diffs;
}

/**
 * Fail unless `actual` (reached backwards, say) has exactly the registers and values of
 * `expected`. `ignore` names registers left out of the comparison (each use says why).
 */
export function assertSameState(actual: State, expected: State, what: string, ignore: string[] = []): void {
  const diffs = differences(actual, expected).filter((d) => !ignore.includes(d.split(':')[0]));
  if (diffs.length === 0) return;
  assert.fail(
    `${what}: state "${actual.tag}" differs from "${expected.tag}":\n  ${diffs.join('\n  ')}\n` +
      `--- ${actual.tag} ---${actual.text}--- ${expected.tag} ---${expected.text}`,
  );
}

/**
 * Fail unless each pair `[actual, expected]` has the same state; the message lists every pair
 * that differs and how (not only the first), so that one failure shows the whole pattern.
 */
export function assertSameStates(pairs: [State, State][], what: string): void {
  const bad = pairs
    .map(([a, e]) => ({ a, e, diffs: differences(a, e) }))
    .filter((p) => p.diffs.length > 0);
  if (bad.length === 0) return;
  const lines = bad.map((p) => `  ${p.a.tag} vs ${p.e.tag} (rip ${p.e.regs.rip}): ${p.diffs.join('; ')}`);
  assert.fail(`${what}: ${bad.length} of ${pairs.length} states differ:\n${lines.join('\n')}\n--- first: ${bad[0].a.tag} ---${bad[0].a.text}--- ${bad[0].e.tag} ---${bad[0].e.text}`);
}

/** Fail if two states are equal: shows that a comparison between such points can fail. */
export function assertDifferentState(a: State, b: State, what: string): void {
  assert.ok(differences(a, b).length > 0, `${what}: states "${a.tag}" and "${b.tag}" are identical, so comparing them proves nothing`);
}

/** The part of `output` between the marker lines of `fromTag` (its end) and `toTag` (its start). */
export function between(output: string, fromTag: string, toTag: string): string {
  const a = output.indexOf(`<<</${fromTag}>>>\n`);
  const b = output.indexOf(`<<<${toTag}>>>\n`);
  if (a < 0 || b < 0 || b < a) assert.fail(`no output between states ${fromTag} and ${toTag}\n--- gdb output ---\n${tail(output)}`);
  return output.slice(a + `<<</${fromTag}>>>\n`.length, b);
}


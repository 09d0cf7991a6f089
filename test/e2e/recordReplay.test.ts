/**
 * rr's basic test pattern: record a small C program, replay it with `replay -a`, and require the
 * same stdout, the same tracee stderr and the same exit status. Programs print what differs
 * between runs, so only a faithful replay matches.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compileFixture, tempDir, Variant } from '../helpers/compile';
import { RunResult, assertSameText, record, replay, summary, traceeStderr } from '../helpers/rrts';

/** Run a program natively, as a shell would report its status. */
function native(prog: string, args: string[] = []): RunResult {
  const r = spawnSync(prog, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 30_000 });
  const status = r.status ?? (r.signal ? 128 + os.constants.signals[r.signal] : null);
  return { status, signal: null, stdout: r.stdout, stderr: r.stderr };
}

/** Replay `trace` and require it to reproduce `rec` (stdout, tracee stderr, status). */
function assertReplays(trace: string, rec: RunResult): RunResult {
  const rep = replay(trace);
  assertSameText(rep.stdout, rec.stdout, `replay stdout (replay stderr: ${rep.stderr.slice(0, 2000)})`);
  assert.equal(traceeStderr(rep.stderr), traceeStderr(rec.stderr), `replay stderr differs\nrecord: ${summary(rec)}\nreplay: ${summary(rep)}`);
  assert.equal(rep.status, rec.status, `replay status differs\nrecord: ${summary(rec)}\nreplay: ${summary(rep)}`);
  return rep;
}

describe('e2e: record and replay C programs', function () {
  let tmp: { dir: string; cleanup: () => void };
  beforeEach(() => (tmp = tempDir('rrts-e2e-')));
  afterEach(() => tmp.cleanup());
  const trace = (name = 'trace'): string => path.join(tmp.dir, name);

  describe('hello (stdout, stderr, exit 3)', () => {
    const variants: Variant[] = ['default', 'static', 'no-pie'];
    for (const v of variants) {
      it(`${v} build: records like a native run and replays identically`, () => {
        const prog = compileFixture('hello', v);
        const args = ['first arg', '--second'];
        const nat = native(prog, args);
        assert.equal(nat.status, 3, 'fixture sanity');
        const rec = record(trace(), prog, args);
        assert.equal(rec.status, 3, `record exits with the tracee's status\n${summary(rec)}`);
        assert.equal(rec.stdout, nat.stdout, 'recording does not change what the program prints');
        assert.equal(traceeStderr(rec.stderr), nat.stderr);
        assert.match(rec.stdout, /arg 1: first arg\narg 2: --second\n/);
        const rep = assertReplays(trace(), rec);
        assert.equal(rep.status, 3);
      });
    }
  });

  describe('nondet (clocks, random, rdtsc, pid, heap address)', () => {
    const keys = ['realtime', 'monotonic', 'getrandom', 'urandom', 'rdtsc', 'rdtscp'];
    const values = (out: string): Map<string, string> =>
      new Map(out.split('\n').filter((l) => l.includes(' ')).map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));

    it('two recordings see different values, and each replays its own exactly', () => {
      const prog = compileFixture('nondet');
      const rec1 = record(trace('one'), prog);
      const rec2 = record(trace('two'), prog);
      for (const r of [rec1, rec2]) {
        assert.equal(r.status, 0, summary(r));
        assert.match(r.stdout, /EXIT-SUCCESS/);
      }
      // Show the program really is nondeterministic, so that matching replays mean something.
      const v1 = values(rec1.stdout), v2 = values(rec2.stdout);
      for (const k of keys) {
        assert.ok(v1.has(k) && v2.has(k), `line ${k} printed`);
        assert.notEqual(v1.get(k), v2.get(k), `${k} should differ between two recordings`);
      }
      assertReplays(trace('one'), rec1);
      assertReplays(trace('two'), rec2);
      // A second replay of the same trace is the same again.
      assertReplays(trace('one'), rec1);
    });
  });

  describe('files', () => {
    for (const change of ['deleted', 'rewritten'] as const) {
      it(`a file written and read back replays the same after it is ${change}`, () => {
        const prog = compileFixture('files');
        const file = path.join(tmp.dir, 'data.txt');
        const rec = record(trace(), prog, [file]);
        assert.equal(rec.status, 0, summary(rec));
        assert.match(rec.stdout, /^read \d+ bytes: written at /);
        assert.match(rec.stdout, /same 1/);
        const recorded = fs.readFileSync(file, 'utf8');
        assert.ok(rec.stdout.includes(recorded), 'the program read what it wrote');

        if (change === 'deleted') fs.rmSync(file);
        else fs.writeFileSync(file, 'something else entirely, of another length\n');

        assertReplays(trace(), rec);
        if (change === 'deleted') assert.ok(!fs.existsSync(file), 'replay does not write files again');
        else assert.equal(fs.readFileSync(file, 'utf8'), 'something else entirely, of another length\n', 'replay leaves the file alone');
      });
    }
  });

  describe('signals', () => {
    it('SIGUSR1 handler, SIGSEGV handler with siglongjmp, then abort(): 134 both times', () => {
      const prog = compileFixture('signals');
      const nat = native(prog);
      assert.equal(nat.status, 134, 'fixture sanity: abort()');
      const rec = record(trace(), prog);
      assert.equal(rec.status, 134, summary(rec));
      assert.equal(rec.stdout, nat.stdout);
      assert.match(rec.stdout, /usr1 handled 2 times\nrecovered from SIGSEGV at 0x10\n/);
      assert.match(traceeStderr(rec.stderr), /about to abort/);
      const rep = assertReplays(trace(), rec);
      assert.equal(rep.status, 134);
    });
  });
});

/** The rrts command line: errors users meet, the trace directory, dump, interrupted recordings. */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { compileFixture, tempDir } from '../helpers/compile';
import { records } from '../unit/trace/traceFiles';
import { killAll, record, replay, rrts, rrtsStderr, sleep, startRrts, summary, traceeStderr } from '../helpers/rrts';

/** rrts failed the way a user can read: non-zero, a message, no stack trace, no internal error. */
function assertCleanFailure(r: ReturnType<typeof rrts>, ...mentions: (string | RegExp)[]): void {
  assert.equal(r.signal, null, `rrts was not killed (no hang)\n${summary(r)}`);
  assert.notEqual(r.status, 0, summary(r));
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at .*\(.*:\d+:\d+\)/, `no crash\n${summary(r)}`);
  for (const m of mentions) {
    if (typeof m === 'string') assert.ok(r.stderr.includes(m), `stderr should mention ${m}\n${summary(r)}`);
    else assert.match(r.stderr, m, summary(r));
  }
}

describe('e2e: rrts command line', function () {
  let tmp: { dir: string; cleanup: () => void };
  beforeEach(() => (tmp = tempDir('rrts-cli-')));
  afterEach(async () => {
    await killAll();
    tmp.cleanup();
  });

  describe('record errors', () => {
    it('a program that does not exist: status 127, a message naming it, no trace left', () => {
      const t = path.join(tmp.dir, 't');
      const r = record(t, 'rrts-no-such-program-xyz');
      assert.equal(r.status, 127, summary(r));
      assert.match(r.stderr, /rrts-no-such-program-xyz/);
      assert.ok(!fs.existsSync(path.join(t, 'events')), 'no trace is written');
    });

    it('a path that does not exist: status 127, naming it', () => {
      const missing = path.join(tmp.dir, 'missing-prog');
      const r = record(path.join(tmp.dir, 't'), missing);
      assert.equal(r.status, 127, summary(r));
      assert.ok(r.stderr.includes(missing) || r.stderr.includes('missing-prog'), summary(r));
    });

    it('a file that is not executable: status 126, naming it', () => {
      const f = path.join(tmp.dir, 'not-executable');
      fs.writeFileSync(f, '#!/bin/sh\necho hi\n', { mode: 0o644 });
      const r = record(path.join(tmp.dir, 't'), f);
      assert.equal(r.status, 126, summary(r));
      assert.match(r.stderr, /not-executable/);
    });
  });

  describe('replay errors', () => {
    it('replay -a with no traces at all: non-zero and a message saying there are none', () => {
      const root = path.join(tmp.dir, 'empty-root');
      fs.mkdirSync(root);
      const r = rrts(['replay', '-a'], { env: { RRTS_TRACE_DIR: root } });
      assertCleanFailure(r, /no traces?/i, root);
    });

    it('replay -a of a path that does not exist: the message names the path', () => {
      const p = path.join(tmp.dir, 'no-trace-here');
      assertCleanFailure(replay(p), p);
    });

    it('replay -a of a directory that is not a trace: the message names it', () => {
      const p = path.join(tmp.dir, 'just-a-dir');
      fs.mkdirSync(p);
      assertCleanFailure(replay(p), p);
    });

    it('replay -a and dump of a trace with a corrupted byte: the message names the trace, no crash or hang', () => {
      const t = path.join(tmp.dir, 't');
      const rec = record(t, compileFixture('hello'));
      assert.equal(rec.status, 3, summary(rec));
      assert.equal(replay(t).status, 3, 'the trace replays before it is damaged');
      const events = path.join(t, 'events');
      const recs = records(events);
      const victim = recs[Math.floor(recs.length / 2)]; // an event in the middle, inside its payload
      const buf = fs.readFileSync(events);
      buf[victim.payload + Math.floor(victim.length / 2)] ^= 0xff;
      fs.writeFileSync(events, buf);
      assertCleanFailure(replay(t, { timeout: 60_000 }), t, /corrupt|damaged/);
      assertCleanFailure(rrts(['dump', t], { timeout: 60_000 }), t, /corrupt|damaged/);
    });
  });

  describe('the trace directory ($RRTS_TRACE_DIR)', () => {
    it('record without -o writes NAME-N and latest-trace; replay -a and ls use them', () => {
      const root = path.join(tmp.dir, 'root');
      const env = { RRTS_TRACE_DIR: root };
      const prog = compileFixture('hello');
      const r1 = rrts(['record', prog, 'one'], { env });
      const r2 = rrts(['record', prog, 'two'], { env });
      assert.equal(r1.status, 3, summary(r1));
      assert.equal(r2.status, 3, summary(r2));
      assert.ok(fs.existsSync(path.join(root, 'hello-0', 'events')), `hello-0 in ${fs.readdirSync(root)}`);
      assert.ok(fs.existsSync(path.join(root, 'hello-1', 'events')));
      assert.equal(fs.readlinkSync(path.join(root, 'latest-trace')).replace(/\/$/, '').split('/').pop(), 'hello-1');

      const rep = rrts(['replay', '-a'], { env });
      assert.equal(rep.stdout, r2.stdout, 'replay -a without a trace replays the latest');
      assert.match(rep.stdout, /arg 1: two/);
      assert.equal(rep.status, 3);

      const ls = rrts(['ls'], { env });
      assert.equal(ls.status, 0, summary(ls));
      assert.match(ls.stdout, /hello-0/);
      assert.match(ls.stdout, /hello-1/);
      const latestLine = ls.stdout.split('\n').find((l) => l.includes('hello-1'))!;
      assert.match(latestLine, /^\*/, 'the latest trace is marked');
    });

    it('ls with no traces says so and succeeds', () => {
      const root = path.join(tmp.dir, 'none');
      const ls = rrts(['ls'], { env: { RRTS_TRACE_DIR: root } });
      assert.equal(ls.status, 0, summary(ls));
      assert.match(ls.stdout, /no traces/);
    });
  });

  describe('dump', () => {
    let t: string;
    beforeEach(() => {
      t = path.join(tmp.dir, 't');
      // nondet calls read(2) (on /dev/urandom), getrandom, clock_gettime, getpid and rdtsc.
      const rec = record(t, compileFixture('nondet'));
      assert.equal(rec.status, 0, summary(rec));
    });

    it('shows syscall names, the exit and the end', () => {
      const d = rrts(['dump', t]);
      assert.equal(d.status, 0, summary(d));
      for (const name of ['openat', 'getrandom', 'getpid', 'write', 'close', 'exit_group']) {
        assert.match(d.stdout, new RegExp(`\\b${name}\\(`), `dump shows ${name}`);
      }
      assert.match(d.stdout, /\bexec\b/);
      assert.match(d.stdout, /\brdtscp? at\b/);
      assert.match(d.stdout, /exit status 0/);
      assert.match(d.stdout, /end:/);
    });

    it('names read(2), syscall number 0, in text and JSON', () => {
      const d = rrts(['dump', t]);
      assert.doesNotMatch(d.stdout, /syscall_undefined/, 'every syscall of this program is known');
      assert.match(d.stdout, /\bread\(3, /, 'the read of /dev/urandom is shown as read(3, ...)');
      const j = rrts(['dump', '--json', t]);
      const reads = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((o) => o.name === 'read');
      // ld.so reads libc's ELF header (832 bytes), the program reads 16 bytes of /dev/urandom
      assert.ok(reads.some((r) => Array.isArray(r.args) && r.args[2] === '0x10' && r.result === 16), 'the /dev/urandom read in --json');
      assert.equal(reads[0].nr, 0);
    });

    it('--json prints one JSON object per line with kind and, for syscalls, nr and name', () => {
      const d = rrts(['dump', '--json', t]);
      assert.equal(d.status, 0, summary(d));
      const lines = d.stdout.split('\n').filter((l) => l.trim() !== '');
      assert.ok(lines.length > 10);
      const objs = lines.map((l, i) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch (e) {
          throw new Error(`line ${i} is not JSON: ${l}`);
        }
      });
      for (const o of objs) assert.equal(typeof o.kind, 'string', JSON.stringify(o));
      const sys = objs.filter((o) => o.kind === 'syscall');
      assert.ok(sys.length > 5);
      for (const o of sys) assert.equal(typeof o.name, 'string', JSON.stringify(o));
      const names = new Set(sys.map((o) => o.name));
      for (const n of ['openat', 'getrandom', 'getpid', 'write']) assert.ok(names.has(n), `a ${n} syscall in ${[...names].join(' ')}`);
      const getpid = sys.find((o) => o.name === 'getpid')!;
      assert.equal(getpid.nr, 39);
      assert.equal(typeof getpid.result, 'number');
      assert.deepEqual(objs.slice(-2).map((o) => o.kind), ['exit', 'end']);
      assert.ok(objs.some((o) => o.kind === 'exec'));
      assert.ok(objs.some((o) => o.kind === 'rdtsc'));
    });
  });

  describe('interrupted recordings', () => {
    it('a recorder killed with SIGKILL leaves a trace that replays up to its last event', async () => {
      const t = path.join(tmp.dir, 't');
      const rec = startRrts(['record', '-o', t, compileFixture('looper'), '2000']);
      await rec.waitFor(/tick 15\n/, 60_000, 'stdout');
      rec.kill('SIGKILL'); // the recorder only, not its process group
      const gone = await Promise.race([rec.done.then(() => true), sleep(15_000).then(() => false)]);
      rec.kill('SIGKILL', true);
      await rec.done;
      assert.ok(gone, 'the tracee does not outlive its killed recorder');
      const recorded = rec.stdout;
      assert.doesNotMatch(recorded, /done/);

      const rep = replay(t, { timeout: 60_000 });
      assert.equal(rep.signal, null, summary(rep));
      assert.doesNotMatch(rep.stderr, /internal error/, summary(rep));
      assert.ok(recorded.startsWith(rep.stdout), `replay output is a prefix of the recorded output\nrecorded:\n${recorded}\nreplayed:\n${rep.stdout}`);
      assert.match(rep.stdout, /^tick 0\ntick 1\n(tick \d+\n)*tick 1[0-5]\n/, 'replay gets at least as far as the test waited');
      assert.match(rrtsStderr(rep.stderr), /event \d+/, `replay says where the trace ends\n${rep.stderr}`);
      assert.ok(rep.stderr.includes(t), `and names the trace\n${rep.stderr}`);
    });

    it('SIGINT to the process group of rrts record reaches the tracee; the trace is finalized and replays', async () => {
      const t = path.join(tmp.dir, 't');
      const rec = startRrts(['record', '-o', t, compileFixture('sigint')]);
      await rec.waitFor(/ready\n/, 60_000, 'stdout');
      await sleep(200);
      rec.kill('SIGINT', true); // what Ctrl-C in a terminal does
      const r = await rec.done;
      assert.equal(r.signal, null, summary(r));
      assert.equal(r.status, 0, `the tracee's handler exits 0 and rrts exits with its status\n${summary(r)}`);
      assert.equal(r.stdout, 'ready\ngot SIGINT, exiting cleanly\n');

      const d = rrts(['dump', '--json', t]);
      const kinds = d.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; signal?: string });
      assert.equal(kinds[kinds.length - 1].kind, 'end', 'the trace is finalized with its End event');
      assert.ok(kinds.some((k) => k.kind === 'signal' && k.signal === 'SIGINT'), 'the SIGINT is in the trace');

      const rep = replay(t);
      assert.equal(rep.stdout, r.stdout, summary(rep));
      assert.equal(traceeStderr(rep.stderr), traceeStderr(r.stderr));
      assert.equal(rep.status, 0);
      assert.doesNotMatch(rep.stderr, /interrupted|truncat/, 'a finalized trace has no end problem');
    });
  });

  describe('unsupported programs', () => {
    it('a program creating a pthread is refused with a message about threads, without hanging', () => {
      const t = path.join(tmp.dir, 't');
      const r = record(t, compileFixture('thread'), [], { timeout: 60_000 });
      assert.equal(r.signal, null, `rrts did not hang\n${summary(r)}`);
      assert.notEqual(r.status, 0, summary(r));
      assert.match(rrtsStderr(r.stderr), /thread/i, summary(r));
      assert.doesNotMatch(r.stderr, /internal error/);
      assert.match(r.stdout, /before thread/);
    });
  });
});

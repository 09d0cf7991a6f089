/** Programs of the system, recorded and replayed: same stdout, same tracee stderr, same status. */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../helpers/compile';
import { RunOptions, RunResult, assertSameText, record, replay, summary, traceeStderr } from '../helpers/rrts';

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function native(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} natively: ${r.stderr}`);
  return r.stdout;
}

describe('e2e: real programs', function () {
  let tmp: { dir: string; cleanup: () => void };
  let input: string;
  const lines = Array.from({ length: 500 }, (_, i) => `line ${String(i).padStart(4, '0')} ${'xyz'.repeat(i % 7)}`);
  beforeEach(() => {
    tmp = tempDir('rrts-real-');
    // shuffled deterministically (the test must not depend on a random order to pass)
    const shuffled = lines.map((l, i) => [(i * 7919) % 503, l] as const).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
    input = path.join(tmp.dir, 'input.txt');
    fs.writeFileSync(input, shuffled.join('\n') + '\n');
  });
  afterEach(() => tmp.cleanup());

  /** Record `cmd args`, replay it, require the same output and status; returns the recording. */
  function recordReplay(cmd: string, args: string[], name = 'trace', opts: { record?: RunOptions; replay?: RunOptions } = {}): RunResult {
    const t = path.join(tmp.dir, name);
    const rec = record(t, cmd, args, opts.record);
    assert.equal(rec.signal, null, summary(rec));
    const rep = replay(t, opts.replay);
    assertSameText(rep.stdout, rec.stdout, `replay stdout of ${cmd} (replay stderr: ${rep.stderr.slice(0, 2000)})`);
    assertSameText(traceeStderr(rep.stderr), traceeStderr(rec.stderr), `replay stderr of ${cmd}`);
    assert.equal(rep.status, rec.status, `status differs\nrecord: ${summary(rec)}\nreplay: ${summary(rep)}`);
    return rec;
  }

  it('ls -la /usr/bin', () => {
    const rec = recordReplay('ls', ['-la', '/usr/bin']);
    assert.equal(rec.status, 0, summary(rec));
    assert.match(rec.stdout, /^total \d+/);
    assert.ok(rec.stdout.split('\n').length > 50);
  });

  it('cat of a file', () => {
    const rec = recordReplay('cat', [input]);
    assert.equal(rec.status, 0, summary(rec));
    assertSameText(rec.stdout, fs.readFileSync(input, 'utf8'), 'recorded output');
  });

  it('cat of a file, stdout redirected to a file (cat copies with copy_file_range)', () => {
    const rec = recordReplay('cat', [input], 'trace', {
      record: { stdoutFile: path.join(tmp.dir, 'record.out') },
      replay: { stdoutFile: path.join(tmp.dir, 'replay.out') },
    });
    assert.equal(rec.status, 0, summary(rec));
    assertSameText(rec.stdout, fs.readFileSync(input, 'utf8'), 'recorded output');
  });

  it('sort of a file with shuffled lines', () => {
    const rec = recordReplay('sort', [input]);
    assert.equal(rec.status, 0, summary(rec));
    assertSameText(rec.stdout, native('sort', [input]), 'recorded output');
    assert.notEqual(rec.stdout, fs.readFileSync(input, 'utf8'), 'the input really was shuffled');
  });

  it('sha256sum of a file', () => {
    const rec = recordReplay('sha256sum', [input]);
    assert.equal(rec.status, 0, summary(rec));
    assert.equal(rec.stdout, native('sha256sum', [input]));
  });

  it("python3 -c 'import random,time; print(random.random(), time.time())'", function () {
    if (!which('python3')) this.skip();
    const code = 'import random,time; print(random.random(), time.time())';
    const a = recordReplay('python3', ['-c', code], 'one');
    const b = recordReplay('python3', ['-c', code], 'two');
    for (const r of [a, b]) {
      assert.equal(r.status, 0, summary(r));
      assert.match(r.stdout, /^0\.\d+ \d+\.\d+\n$/);
    }
    assert.notEqual(a.stdout, b.stdout, 'two runs print different numbers');
  });

  it("sqlite3 :memory: 'select random()'", function () {
    if (!which('sqlite3')) this.skip();
    const a = recordReplay('sqlite3', [':memory:', 'select random()'], 'one');
    const b = recordReplay('sqlite3', [':memory:', 'select random()'], 'two');
    for (const r of [a, b]) {
      assert.equal(r.status, 0, summary(r));
      assert.match(r.stdout, /^-?\d+\n$/);
    }
    assert.notEqual(a.stdout, b.stdout, 'two runs print different numbers');
  });
});

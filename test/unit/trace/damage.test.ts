/** Damaged traces: truncated, corrupted, not a trace, another format version. */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { TraceReader } from '../../../src/trace/traceStream';
import { messages } from '../../../src/trace/schema';
import { TRACE_VERSION } from '../../../src/trace/version';
import { UserError } from '../../../src/shared/errors';
import { tempDir } from '../../helpers/compile';
import { HEADER, MAGIC, eventsFile, frame, records, writeSmallTrace } from './traceFiles';

/** Copy trace `src` to a new directory with its events file cut to `length` bytes. */
function truncatedCopy(src: string, dest: string, length: number): string {
  fs.cpSync(src, dest, { recursive: true });
  fs.truncateSync(eventsFile(dest), length);
  return dest;
}

function expectUserError(fn: () => unknown, ...patterns: (RegExp | string)[]): UserError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof UserError, `expected a UserError, got ${caught instanceof Error ? caught.stack : String(caught)}`);
  for (const p of patterns) {
    if (typeof p === 'string') assert.ok(caught.message.includes(p), `message ${JSON.stringify(caught.message)} should include ${p}`);
    else assert.match(caught.message, p);
  }
  return caught;
}

describe('damaged traces', () => {
  let tmp: { dir: string; cleanup: () => void };
  let good: string;
  const N = 6;
  beforeEach(() => {
    tmp = tempDir('rrts-trace-damage-');
    good = path.join(tmp.dir, 'good');
    writeSmallTrace(good, N);
  });
  afterEach(() => tmp.cleanup());

  describe('truncated', () => {
    // records[0] is the header; records[k + 1] is event k. Event count: N writes + exit + end.
    const cuts: { what: string; at: (recs: ReturnType<typeof records>) => { offset: number; before: number } }[] = [
      { what: 'inside the first event record header', at: (r) => ({ offset: r[1].start + 4, before: 0 }) },
      { what: 'inside the payload of event 2', at: (r) => ({ offset: r[3].payload + 3, before: 2 }) },
      { what: 'one byte short of the end of event 4', at: (r) => ({ offset: r[5].end - 1, before: 4 }) },
      { what: 'inside the End event', at: (r) => ({ offset: r[r.length - 1].start + 10, before: N + 1 }) },
    ];
    for (const cut of cuts) {
      it(`cut ${cut.what}: opens, reports the truncation, gives the events before the cut`, () => {
        const { offset, before } = cut.at(records(eventsFile(good)));
        const dir = truncatedCopy(good, path.join(tmp.dir, 'cut'), offset);
        const r = new TraceReader(dir);
        try {
          assert.equal(r.eventCount, before);
          assert.equal(r.end.events, before);
          assert.ok(r.end.problem, 'end.problem is set');
          assert.match(r.end.problem!, /truncat/i);
          for (let i = 0; i < before; i++) {
            const e = r.event(i);
            if (i < N) assert.equal(Buffer.from(e.syscall!.stdioData!).toString(), `line ${i}\n`, `event ${i}`);
          }
        } finally {
          r.close();
        }
      });
    }

    it('cut exactly between two records: opens, says the end marker is missing', () => {
      const recs = records(eventsFile(good));
      const dir = truncatedCopy(good, path.join(tmp.dir, 'cut'), recs[3].end); // just after event 2
      const r = new TraceReader(dir);
      try {
        assert.equal(r.eventCount, 3);
        assert.ok(r.end.problem);
        assert.match(r.end.problem!, /end marker|interrupted/i);
      } finally {
        r.close();
      }
    });

    it('a complete trace has no problem', () => {
      const r = new TraceReader(good);
      try {
        assert.equal(r.eventCount, N + 2);
        assert.equal(r.end.problem, undefined);
      } finally {
        r.close();
      }
    });

    it('cut inside the header record: a UserError naming the trace', () => {
      const recs = records(eventsFile(good));
      const dir = truncatedCopy(good, path.join(tmp.dir, 'cut'), recs[0].payload + 2);
      expectUserError(() => new TraceReader(dir), dir);
    });
  });

  describe('corrupted', () => {
    const where: { what: string; record: (n: number) => number }[] = [
      { what: 'the header', record: () => 0 },
      { what: 'the first event', record: () => 1 },
      { what: 'a middle event', record: (n) => Math.floor(n / 2) },
      { what: 'the End event', record: (n) => n - 1 },
    ];
    for (const w of where) {
      it(`a flipped byte inside the payload of ${w.what}: a UserError naming the trace and 'corrupted'`, () => {
        const file = eventsFile(good);
        const recs = records(file);
        const rec = recs[w.record(recs.length)];
        const buf = fs.readFileSync(file);
        buf[rec.payload + Math.floor(rec.length / 2)] ^= 0x5a;
        fs.writeFileSync(file, buf);
        expectUserError(() => {
          const r = new TraceReader(good);
          try {
            for (let i = 0; i < r.eventCount; i++) r.event(i);
          } finally {
            r.close();
          }
        }, good, /corrupted/);
      });
    }

    it('an absurd record length: a UserError naming the trace and corrupted', () => {
      const file = eventsFile(good);
      const recs = records(file);
      const buf = fs.readFileSync(file);
      buf.writeUInt32LE(0xfffffff0, recs[2].start);
      fs.writeFileSync(file, buf);
      expectUserError(() => new TraceReader(good), good, /corrupted/);
    });
  });

  describe('not a trace', () => {
    it('bad magic: a UserError saying so, naming the file', () => {
      const file = eventsFile(good);
      const buf = fs.readFileSync(file);
      buf.write('XXXX', 0, 'latin1');
      fs.writeFileSync(file, buf);
      expectUserError(() => new TraceReader(good), good, /magic|not an rrts trace/);
    });

    it('an empty events file: a UserError', () => {
      fs.writeFileSync(eventsFile(good), '');
      expectUserError(() => new TraceReader(good), good);
    });

    it('a directory without an events file: a UserError naming it', () => {
      const dir = path.join(tmp.dir, 'empty');
      fs.mkdirSync(dir);
      expectUserError(() => new TraceReader(dir), dir, /not an rrts trace/);
    });

    it('a path that does not exist: a UserError naming it', () => {
      const dir = path.join(tmp.dir, 'nowhere');
      expectUserError(() => new TraceReader(dir), dir);
    });
  });

  describe('another format version', () => {
    function traceWithVersion(version: number): string {
      const dir = path.join(tmp.dir, `v${version}`);
      fs.mkdirSync(path.join(dir, 'files'), { recursive: true });
      const { Header, Event } = messages();
      const header = Header.encode({ ...HEADER, version }).finish();
      const end = Event.encode({ tid: 1, end: { reason: 'done' } }).finish();
      fs.writeFileSync(eventsFile(dir), Buffer.concat([MAGIC, frame(header), frame(end)]));
      return dir;
    }

    it('the hand-written framing is the one the reader expects (control)', () => {
      const r = new TraceReader(traceWithVersion(TRACE_VERSION));
      try {
        assert.equal(r.header.exePath, HEADER.exePath);
        assert.equal(r.eventCount, 1);
      } finally {
        r.close();
      }
    });

    it('version 999: a clear error naming both versions', () => {
      const dir = traceWithVersion(999);
      const e = expectUserError(() => new TraceReader(dir), dir, '999', /version/);
      assert.ok(e.message.includes(String(TRACE_VERSION)), `should name the version this rrts reads: ${e.message}`);
    });
  });
});

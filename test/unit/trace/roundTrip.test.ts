/** TraceWriter → TraceReader: everything written comes back, framing and compression included. */
import { strict as assert } from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { TraceReader, TraceWriter } from '../../../src/trace/traceStream';
import { TraceEvent, eventKind } from '../../../src/trace/schema';
import { TRACE_VERSION } from '../../../src/trace/version';
import { tempDir } from '../../helpers/compile';
import { HEADER, eventsFile, plain, records, regs, tsc } from './traceFiles';

describe('trace round trip', () => {
  let tmp: { dir: string; cleanup: () => void };
  beforeEach(() => (tmp = tempDir('rrts-trace-unit-')));
  afterEach(() => tmp.cleanup());

  /** One event of every kind, every field set to a value other than its default. */
  function everyKind(): TraceEvent[] {
    return [
      {
        tid: 100,
        exec: {
          regs: regs(0x7ffff7fe4b70, 59, 0x11),
          stackTop: 0x7ffffffff000,
          stack: Buffer.from('argv\0env\0auxv'),
          maps: [
            { start: 0x555555554000, end: 0x555555555000, perms: 'r-xp', offset: 0x1000, path: '/bin/prog', file: { originalPath: '/bin/prog', name: 'prog-1-0', size: 4096 } },
            { start: 0x7ffffffde000, end: 0x7ffffffff000, perms: 'rw-p', offset: 4096, path: '[stack]' },
          ],
          exe: '/bin/prog',
          exeFile: { originalPath: '/bin/prog', name: 'prog-1-0', size: 12345 },
        },
      },
      {
        tid: 100,
        syscall: {
          nr: 17,
          regs: regs(0x401234, 17, 0x22),
          result: 5,
          writes: [
            { addr: 0x7fffffffd000, data: Buffer.from('hello') },
            { addr: 0x7fffffffe000, data: Buffer.from([0, 1, 2, 255]) },
          ],
          stdioFd: 2,
          stdioData: Buffer.from('to stderr\n'),
          mappedFile: { originalPath: '/lib/libc.so.6', name: 'libc.so.6-7-1', size: 2000000 },
          unsupported: true,
          denied: true,
          interrupted: true,
          mappedFileId: '2049:123456',
          fileWrite: { fileId: '2049:123456', offset: 8192, data: Buffer.from('shared') },
        },
      },
      { tid: 100, syscall: { nr: 39, regs: regs(0x401240, 39), result: -2, writes: [] } },
      {
        tid: 100,
        signal: { signo: 11, siginfo: Buffer.alloc(128, 7), regs: regs(0x401250, 0, 0x33), fault: true, atEvent: true },
      },
      { tid: 100, rdtsc: { rdtscp: true, tsc: tsc(0x123456789abcdef0n), aux: 3, regs: regs(0x401260) } },
      { tid: 100, exit: { code: 3, signal: 6, core: true } },
      { tid: 100, end: { reason: 'the program ended' } },
    ];
  }

  it('gives back the header fields and the version', () => {
    const dir = path.join(tmp.dir, 't');
    const w = new TraceWriter(dir);
    w.writeHeader(HEADER);
    w.writeEvent({ tid: 1, end: { reason: 'r' } });
    w.close();
    const r = new TraceReader(dir);
    try {
      assert.deepEqual(r.header, { ...HEADER, version: TRACE_VERSION });
    } finally {
      r.close();
    }
  });

  it('gives back events of every kind, field for field, in order', () => {
    const dir = path.join(tmp.dir, 't');
    const events = everyKind();
    const w = new TraceWriter(dir);
    w.writeHeader(HEADER);
    const numbers = events.map((e) => w.writeEvent(e));
    w.close();
    assert.deepEqual(numbers, events.map((_, i) => i), 'writeEvent returns 0, 1, 2, ...');
    assert.equal(w.eventCount, events.length);

    const r = new TraceReader(dir);
    try {
      assert.equal(r.eventCount, events.length);
      assert.equal(r.end.events, events.length);
      assert.equal(r.end.problem, undefined, 'a trace with an End event has no problem');
      const kinds = events.map((_, i) => eventKind(r.event(i)));
      assert.deepEqual(kinds, ['exec', 'syscall', 'syscall', 'signal', 'rdtsc', 'exit', 'end']);
      for (let i = 0; i < events.length; i++) {
        assert.deepEqual(plain(r.event(i)), plain(events[i]), `event ${i}`);
      }
      // random access in any order
      assert.equal(r.event(4).rdtsc && Buffer.from(r.event(4).rdtsc!.tsc).readBigUInt64LE(), 0x123456789abcdef0n);
      assert.equal(r.event(2).syscall!.result, -2, 'negative results survive');
    } finally {
      r.close();
    }
  });

  it('gives back zero-valued numeric fields as 0, not undefined (read is syscall 0)', () => {
    // The schema types these fields as plain numbers; readers index tables with them
    // (syscallByNr(s.nr)), so an omitted zero turns `read` into an unknown syscall.
    const dir = path.join(tmp.dir, 't');
    const w = new TraceWriter(dir);
    w.writeHeader(HEADER);
    w.writeEvent({ tid: 1, syscall: { nr: 0, regs: regs(0x401000, 0), result: 0, writes: [] } });
    w.writeEvent({ tid: 1, rdtsc: { tsc: tsc(5n), aux: 0, regs: regs(0x401010) } });
    w.writeEvent({ tid: 1, exit: { code: 0, signal: 0 } });
    w.writeEvent({ tid: 1, end: { reason: 'done' } });
    w.close();
    const r = new TraceReader(dir);
    try {
      const got = {
        'syscall.nr': r.event(0).syscall!.nr,
        'syscall.result': r.event(0).syscall!.result,
        'rdtsc.aux': r.event(1).rdtsc!.aux,
        'exit.code': r.event(2).exit!.code,
        'exit.signal': r.event(2).exit!.signal,
      };
      assert.deepEqual(got, { 'syscall.nr': 0, 'syscall.result': 0, 'rdtsc.aux': 0, 'exit.code': 0, 'exit.signal': 0 });
    } finally {
      r.close();
    }
  });

  it('frames the events file as magic + [len][crc32][flags][payload] records, header first', () => {
    const dir = path.join(tmp.dir, 't');
    const w = new TraceWriter(dir);
    w.writeHeader(HEADER);
    for (const e of everyKind()) w.writeEvent(e);
    w.close();
    const recs = records(eventsFile(dir));
    assert.equal(recs.length, 1 + everyKind().length);
    assert.equal(recs[recs.length - 1].end, fs.statSync(eventsFile(dir)).size, 'nothing after the last record');
  });

  it('compresses big compressible payloads and gives them back intact', () => {
    const dir = path.join(tmp.dir, 't');
    const big = Buffer.alloc(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = i % 7 === 0 ? (i >> 8) & 0xff : 0x41;
    const noise = crypto.randomBytes(64 * 1024);
    const w = new TraceWriter(dir);
    w.writeHeader(HEADER);
    w.writeEvent({ tid: 1, syscall: { nr: 0, regs: regs(1), result: big.length, writes: [{ addr: 0x10000, data: big }] } });
    w.writeEvent({ tid: 1, syscall: { nr: 0, regs: crypto.randomBytes(216), result: noise.length, writes: [{ addr: 0x20000, data: noise }] } });
    w.writeEvent({ tid: 1, end: { reason: 'done' } });
    w.close();

    const recs = records(eventsFile(dir));
    assert.equal(recs[1].flags & 1, 1, 'the 1 MiB repetitive payload is stored compressed');
    assert.ok(recs[1].length < big.length / 4, `compressed record is ${recs[1].length} bytes`);
    assert.equal(recs[2].flags & 1, 0, 'random bytes do not shrink: stored as they are');
    assert.ok(recs[2].length >= noise.length);
    assert.ok(fs.statSync(eventsFile(dir)).size < big.length / 2);

    const r = new TraceReader(dir);
    try {
      assert.ok(Buffer.from(r.event(0).syscall!.writes[0].data).equals(big), 'compressed payload round trip');
      assert.ok(Buffer.from(r.event(1).syscall!.writes[0].data).equals(noise), 'incompressible payload round trip');
    } finally {
      r.close();
    }
  });

  it('refuses to write into a non-empty directory', () => {
    const dir = path.join(tmp.dir, 't');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'something'), 'x');
    assert.throws(() => new TraceWriter(dir), /already exists/);
  });

  describe('saved files', () => {
    function writerIn(name: string): TraceWriter {
      const w = new TraceWriter(path.join(tmp.dir, name));
      w.writeHeader(HEADER);
      return w;
    }

    it('hard-links files nobody can write, so the trace shares their inode', () => {
      const orig = path.join(tmp.dir, 'readonly.so');
      fs.writeFileSync(orig, 'read-only library contents');
      fs.chmodSync(orig, 0o555);
      const w = writerIn('t');
      const saved = w.saveFile(orig);
      w.close();
      const r = new TraceReader(w.dir);
      try {
        const copy = r.filePath(saved);
        assert.equal(saved.originalPath, orig);
        assert.equal(saved.size, fs.statSync(orig).size);
        assert.equal(fs.statSync(copy).ino, fs.statSync(orig).ino, 'same inode: hard link');
        assert.equal(fs.readFileSync(copy, 'utf8'), 'read-only library contents');
      } finally {
        r.close();
      }
    });

    it('copies writable files, so later edits of the original do not reach the trace', () => {
      const orig = path.join(tmp.dir, 'data.bin');
      fs.writeFileSync(orig, 'version one');
      fs.chmodSync(orig, 0o644);
      const w = writerIn('t');
      const saved = w.saveFile(orig);
      w.close();
      const copy = path.join(w.dir, 'files', saved.name);
      assert.notEqual(fs.statSync(copy).ino, fs.statSync(orig).ino, 'a copy, not a link');
      fs.writeFileSync(orig, 'version two, longer');
      assert.equal(fs.readFileSync(copy, 'utf8'), 'version one');
      fs.rmSync(orig);
      assert.equal(fs.readFileSync(copy, 'utf8'), 'version one', 'survives deletion of the original');
    });

    it('saves a file once per version, and again after it changes', () => {
      const orig = path.join(tmp.dir, 'lib.so');
      fs.writeFileSync(orig, 'v1');
      const w = writerIn('t');
      const a = w.saveFile(orig);
      const b = w.saveFile(orig);
      assert.deepEqual(b, a, 'same file, same SavedFile');
      fs.writeFileSync(orig, 'v2 with other size');
      const c = w.saveFile(orig);
      w.close();
      assert.notEqual(c.name, a.name, 'a changed file is saved again under a new name');
      assert.equal(fs.readFileSync(path.join(w.dir, 'files', a.name), 'utf8'), 'v1');
      assert.equal(fs.readFileSync(path.join(w.dir, 'files', c.name), 'utf8'), 'v2 with other size');
      assert.equal(fs.readdirSync(path.join(w.dir, 'files')).length, 2);
    });
  });
});

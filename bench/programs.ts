/**
 * The programs every section measures, and the input files they read (made fresh in the
 * scratch directory, the same size every time).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { BenchProgram } from './lib';

/** Write the input files into `work` and return the programs, each marked if it cannot run. */
export function benchPrograms(work: string): BenchProgram[] {
  const files = path.join(work, 'inputs');
  fs.mkdirSync(files, { recursive: true });

  // ~2 MB of text lines for cat
  const text = path.join(files, 'text-2mb.txt');
  const lines: string[] = [];
  for (let size = 0; size < 2_000_000; ) {
    const l = crypto.randomBytes(57).toString('base64');
    lines.push(l);
    size += l.length + 1;
  }
  fs.writeFileSync(text, lines.join('\n') + '\n');

  // 20,000 short lines in random order for sort
  const unsorted = path.join(files, 'lines-20k.txt');
  const words: string[] = [];
  for (let i = 0; i < 20_000; i++) words.push(`${crypto.randomBytes(6).toString('hex')} ${i}`);
  fs.writeFileSync(unsorted, words.join('\n') + '\n');

  // ~20 MB of random bytes for sha256sum
  const blob = path.join(files, 'random-20mb.bin');
  const fd = fs.openSync(blob, 'w');
  for (let i = 0; i < 20; i++) fs.writeSync(fd, crypto.randomBytes(1_000_000));
  fs.closeSync(fd);

  const programs: BenchProgram[] = [
    { name: 'ls -la /usr/bin', argv: ['/usr/bin/ls', '-la', '/usr/bin'] },
    { name: 'cat 2 MB', argv: ['/usr/bin/cat', text] },
    { name: 'sort 20k lines', argv: ['/usr/bin/sort', unsorted] },
    { name: 'sha256sum 20 MB', argv: ['/usr/bin/sha256sum', blob] },
    { name: 'python3 -c random,time', argv: ['/usr/bin/python3', '-c', 'import random,time; print(random.random(), time.time())'] },
    { name: 'sqlite3 select random()', argv: ['/usr/bin/sqlite3', ':memory:', 'select random()'] },
    { name: 'dd bs=64 count=20000', argv: ['/usr/bin/dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64', 'count=20000'] },
  ];
  for (const p of programs) {
    if (!fs.existsSync(p.argv[0])) p.skip = `${p.argv[0]} is not installed`;
  }
  return programs;
}

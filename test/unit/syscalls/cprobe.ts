/**
 * Compile and run a small C program at test time, so numbers in the syscall table are checked
 * against this machine's compiler and kernel headers instead of against our memory.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export function haveGcc(): boolean {
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Compile `source` with gcc, run it, and parse its "name value" output lines. */
export function probe(source: string): Map<string, bigint> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rrts-cprobe-'));
  try {
    const c = path.join(dir, 'probe.c');
    const exe = path.join(dir, 'probe');
    fs.writeFileSync(c, source);
    execFileSync('gcc', ['-o', exe, c], { stdio: ['ignore', 'ignore', 'pipe'] });
    const out = execFileSync(exe, { encoding: 'utf8' });
    const values = new Map<string, bigint>();
    for (const line of out.split('\n')) {
      const m = /^(\S+) (\S+)$/.exec(line.trim());
      if (m) values.set(m[1], BigInt(m[2]));
    }
    return values;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A C program printing `name value` for each [name, C expression] (values as unsigned). */
export function program(includes: string[], items: ReadonlyArray<readonly [string, string]>, guard = false): string {
  const lines = items.map(([name, expr]) => {
    const p = `  printf("%s %llu\\n", "${name}", (unsigned long long)(${expr}));`;
    return guard ? `#ifdef ${expr}\n${p}\n#endif` : p;
  });
  return [
    '#define _GNU_SOURCE',
    ...includes.map((h) => `#include <${h}>`),
    '#include <stdio.h>',
    'int main(void) {',
    ...lines,
    '  return 0;',
    '}',
    '',
  ].join('\n');
}

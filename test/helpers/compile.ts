/**
 * Build the C fixtures of test/fixtures with gcc (-O0 -g) into one temp directory per mocha
 * run, each variant compiled once. The directory is removed when the process exits.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** test/fixtures in the source tree (tests run from dist/test/...). */
export const FIXTURES_DIR = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures');

export type Variant = 'default' | 'static' | 'no-pie';

const VARIANT_FLAGS: Record<Variant, string[]> = {
  default: [],
  static: ['-static'],
  'no-pie': ['-no-pie', '-fno-pie'],
};

let buildDir: string | undefined;
const built = new Map<string, string>();

function dir(): string {
  if (!buildDir) {
    buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rrts-fixtures-'));
    const d = buildDir;
    process.on('exit', () => fs.rmSync(d, { recursive: true, force: true }));
  }
  return buildDir;
}

/** Path of the executable built from test/fixtures/NAME.c (compiled on first use). */
export function compileFixture(name: string, variant: Variant = 'default'): string {
  const key = `${name}:${variant}`;
  const known = built.get(key);
  if (known) return known;
  const src = path.join(FIXTURES_DIR, `${name}.c`);
  const exe = path.join(dir(), variant === 'default' ? name : `${name}-${variant}`);
  const args = ['-O0', '-g', '-D_GNU_SOURCE', '-Wall', ...VARIANT_FLAGS[variant], '-o', exe, src, '-pthread'];
  try {
    execFileSync('gcc', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (e) {
    const err = e as { stderr?: Buffer };
    throw new Error(`gcc ${args.join(' ')} failed:\n${err.stderr?.toString() ?? e}`);
  }
  built.set(key, exe);
  return exe;
}

/** 1-based line of the first line of test/fixtures/NAME.c containing `tag`. */
export function fixtureLine(name: string, tag: string): number {
  const lines = fs.readFileSync(path.join(FIXTURES_DIR, `${name}.c`), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(tag));
  if (i < 0) throw new Error(`no line tagged ${tag} in ${name}.c`);
  return i + 1;
}

/** A fresh temp directory, removed by the returned function. */
export function tempDir(prefix = 'rrts-test-'): { dir: string; cleanup: () => void } {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir: d, cleanup: () => fs.rmSync(d, { recursive: true, force: true }) };
}

/**
 * rrts benchmarks: `npm run bench` (or `node dist/bench/run.js` after `npm run build`).
 *
 *   node dist/bench/run.js [--runs N] [--sections NAME,...] [--programs REGEX] [--list]
 *
 * Runs each section of sections/index.ts over the programs of programs.ts and prints a table
 * per section, then a summary. Measures only: nothing here passes or fails. A missing tool or
 * program is reported as "skipped (why)". A full run takes two to three minutes.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BenchContext, BenchProgram, SectionReport, benchEnv, commandOutput, printTable, rrtsMessage, timeRun, which } from './lib';
import { benchPrograms } from './programs';
import { SECTIONS } from './sections';

interface Options { runs: number; sections?: string[]; programs?: RegExp; list: boolean }

/** A bad command line: printed without a stack. */
class UsageError extends Error {}

function parseArgs(argv: string[]): Options {
  const o: Options = { runs: 3, list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--runs') o.runs = Math.max(1, Number(value()) || 1);
    else if (a === '--sections') o.sections = value().split(',');
    else if (a === '--programs') o.programs = new RegExp(value());
    else if (a === '--list') o.list = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: node dist/bench/run.js [--runs N] [--sections NAME,...] [--programs REGEX] [--list]');
      process.exit(0);
    } else throw new UsageError(`unknown argument ${a} (try --help)`);
  }
  return o;
}

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  const gdb = which('gdb') ? commandOutput(['gdb', '--version']).split('\n')[0] : 'no gdb';
  return `${os.cpus().length} x ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, node ${process.version}, ${gdb}`;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.list) {
    for (const s of SECTIONS) console.log(`${s.name.padEnd(16)} ${s.title}`);
    return 0;
  }
  // dist/bench/run.js -> the repository root
  const root = path.resolve(__dirname, '..', '..');
  const bin = path.join(root, 'bin', 'rrts.js');
  const built = [path.join(root, 'dist', 'src', 'cli', 'main.js'), path.join(root, 'native', 'build', 'librrts.so')];
  const started = Date.now();
  console.log(`rrts bench: ${machine()}`);
  console.log(`runs per measurement: ${opts.runs} (median reported)`);
  const missing = built.filter((f) => !fs.existsSync(f));
  if (missing.length) {
    console.log(`skipped (rrts is not built: ${missing.join(', ')} missing; run npm run build)`);
    return 0;
  }

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rrts-bench-'));
  const traces = new Map<string, string>();
  try {
    let programs: BenchProgram[] = benchPrograms(work);
    if (opts.programs) programs = programs.filter((p) => opts.programs!.test(p.name));
    const ctx: BenchContext = {
      root, rrts: [process.execPath, bin], runs: opts.runs, work, programs, gdb: which('gdb'),
      log: (m) => process.stderr.write(`  .. ${m}\n`),
      traceOf: async (p) => {
        const known = traces.get(p.name);
        if (known) return known;
        const dir = path.join(work, 'traces', `shared-${traces.size}`);
        const r = await timeRun([...ctx.rrts, 'record', '-o', dir, ...p.argv], { env: benchEnv(ctx) });
        if (r.code !== 0) throw new Error(`record exited with status ${r.code}: ${rrtsMessage(r)}`);
        traces.set(p.name, dir);
        return dir;
      },
    };

    const summary: string[] = [];
    for (const section of SECTIONS) {
      if (opts.sections && !opts.sections.includes(section.name)) continue;
      console.log(`\n== ${section.title}  [${section.name}]`);
      const why = section.unavailable?.(ctx);
      if (why) {
        console.log(`skipped (${why})`);
        summary.push(`${section.name}: skipped (${why})`);
        continue;
      }
      const t0 = Date.now();
      let report: SectionReport;
      try {
        report = await section.run(ctx);
      } catch (e) {
        console.log(`failed: ${(e as Error).message}`);
        summary.push(`${section.name}: failed (${(e as Error).message})`);
        continue;
      }
      if (report.table) printTable(report.table);
      for (const n of report.notes ?? []) console.log(`  ${n}`);
      console.log(`  (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      for (const s of report.summary ?? []) summary.push(`${section.name}: ${s}`);
    }

    console.log('\n== Summary');
    for (const s of summary) console.log(`  ${s}`);
    console.log(`  total bench time ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof UsageError ? `bench: ${e.message}` : `bench: ${(e as Error).stack ?? e}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);

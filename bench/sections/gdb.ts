/**
 * gdb on a replay against gdb on the live program:
 *
 * - startup: from spawning `rrts replay -s PORT TRACE` until `gdb -batch -ex 'target
 *   extended-remote 127.0.0.1:PORT' -ex 'info registers rip'` returns, against `gdb -batch -ex
 *   starti -ex 'info registers rip' --args PROG...` (both stop at the first instruction);
 * - continue: `continue` from the first instruction to the end of the program under the replay
 *   server (started beforehand, not timed), against `gdb -batch -ex run --args PROG...`.
 *
 * Both use a recording made once per program (BenchContext.traceOf).
 */
import {
  BenchContext, BenchProgram, BenchSection, RunResult, SectionReport, fmtMs, fmtRatio, gdbArgv, geomean,
  median, startReplayServer, timeRun,
} from '../lib';

const noGdb = (ctx: BenchContext): string | undefined => (ctx.gdb ? undefined : 'gdb is not installed');

function remote(port: number): string {
  return `target extended-remote 127.0.0.1:${port}`;
}

function expectOutput(r: RunResult, re: RegExp, what: string): string | undefined {
  if (re.test(r.stdout)) return undefined;
  const last = (r.stdout + r.stderr).trim().split('\n').slice(-1)[0] ?? '';
  return `${what}: gdb printed no line matching ${re} (status ${r.code}; last line: ${last.slice(0, 120)})`;
}

interface Pair { native: number[]; rrts: number[]; extra: number[]; failure?: string }

/** Run `measure` ctx.runs times for each program and tabulate native against rrts. */
async function compare(
  ctx: BenchContext,
  label: string,
  columns: string[],
  measure: (p: BenchProgram, trace: string, pair: Pair) => Promise<void>,
  extraColumn?: (pair: Pair) => string,
): Promise<SectionReport> {
  const rows: string[][] = [];
  const notes: string[] = [];
  const ratios: number[] = [];
  for (const p of ctx.programs) {
    const blank = columns.slice(1).map(() => '');
    if (p.skip) {
      rows.push([p.name, 'skipped', ...blank.slice(1)]);
      notes.push(`${p.name}: skipped (${p.skip})`);
      continue;
    }
    ctx.log(`${label}: ${p.name}`);
    const pair: Pair = { native: [], rrts: [], extra: [] };
    let trace: string;
    try {
      trace = await ctx.traceOf(p);
    } catch (e) {
      rows.push([p.name, 'failed', ...blank.slice(1)]);
      notes.push(`${p.name}: ${(e as Error).message}`);
      continue;
    }
    for (let i = 0; i < ctx.runs && !pair.failure; i++) {
      try {
        await measure(p, trace, pair);
      } catch (e) {
        pair.failure = (e as Error).message;
      }
    }
    if (pair.failure) {
      rows.push([p.name, pair.native.length ? fmtMs(median(pair.native)) : '', 'failed', ...blank.slice(2)]);
      notes.push(`${p.name}: ${pair.failure}`);
      continue;
    }
    const nat = median(pair.native), rr = median(pair.rrts);
    ratios.push(rr / nat);
    const row = [p.name, fmtMs(nat), fmtMs(rr)];
    if (extraColumn) row.push(extraColumn(pair));
    row.push(fmtRatio(rr / nat));
    rows.push(row);
  }
  return { table: { columns, rows }, notes, summary: [`${label} rrts/native: geometric mean ${fmtRatio(geomean(ratios))} over ${ratios.length} programs`] };
}

export const gdbStartupSection: BenchSection = {
  name: 'gdb-startup',
  title: 'gdb: time until the first prompt is usable (median of N runs)',
  unavailable: noGdb,
  async run(ctx: BenchContext): Promise<SectionReport> {
    const report = await compare(
      ctx, 'gdb startup',
      ['program', 'native gdb starti', 'rrts replay -s + gdb', 'of which replay -s ready', 'rrts/native'],
      async (p, trace, pair) => {
        const gdb = ctx.gdb!;
        const n = await timeRun(gdbArgv(gdb, ['starti', 'info registers rip'], ['--args', ...p.argv]), { captureStdout: true });
        const nFail = expectOutput(n, /^rip\s+0x/m, 'native gdb');
        if (nFail) throw new Error(nFail);
        pair.native.push(n.ms);

        const server = await startReplayServer(ctx, trace);
        try {
          const g = await timeRun(gdbArgv(gdb, [remote(server.port), 'info registers rip'], [p.argv[0]]), { captureStdout: true });
          const total = Number(process.hrtime.bigint() - server.startNs) / 1e6;
          const fail = expectOutput(g, /^rip\s+0x/m, 'gdb on rrts');
          if (fail) throw new Error(fail);
          pair.rrts.push(total);
          pair.extra.push(server.readyMs);
        } finally {
          await server.stop();
        }
      },
      (pair) => fmtMs(median(pair.extra)),
    );
    report.notes = [
      ...(report.notes ?? []),
      'rrts: from spawning `rrts replay -s PORT` to gdb returning after `info registers rip` (gdb reads the',
      'libraries from the server: its sysroot is target: by default). native: `gdb -ex starti -ex "info registers rip"`.',
    ];
    return report;
  },
};

export const gdbContinueSection: BenchSection = {
  name: 'gdb-continue',
  title: 'gdb: `continue` to the end of the program (median of N runs)',
  unavailable: noGdb,
  async run(ctx: BenchContext): Promise<SectionReport> {
    const report = await compare(
      ctx, 'gdb continue',
      ['program', 'native gdb run', 'rrts replay + gdb continue', 'rrts/native'],
      async (p, trace, pair) => {
        const gdb = ctx.gdb!;
        const n = await timeRun(gdbArgv(gdb, ['run'], ['--args', ...p.argv]), { captureStdout: true });
        const nFail = expectOutput(n, /\[Inferior 1 \(process \d+\) exited/, 'native gdb');
        if (nFail) throw new Error(nFail);
        pair.native.push(n.ms);

        const server = await startReplayServer(ctx, trace);
        try {
          const g = await timeRun(gdbArgv(gdb, [remote(server.port), 'continue'], [p.argv[0]]), { captureStdout: true });
          // The end of a replay is reported as a SIGKILL stop (rr's convention).
          const fail = expectOutput(g, /Program received signal SIGKILL|\[Inferior 1 \(process \d+\) exited/, 'gdb on rrts');
          if (fail) throw new Error(fail);
          pair.rrts.push(g.ms);
        } finally {
          await server.stop();
        }
      },
    );
    report.notes = [
      ...(report.notes ?? []),
      'Both include gdb starting and loading symbols; the replay server was started (untimed) beforehand.',
    ];
    return report;
  },
};

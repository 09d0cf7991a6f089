/**
 * Reverse execution under `rrts replay -s` + gdb, each timed inside gdb (python time.time()
 * around the command) and set against the forward run over the same span:
 *
 * - reverse-continue to a breakpoint 1, 100 and 10,000 events back (a program making 12,000
 *   getppid syscalls, with a function called once at each of those points);
 * - reverse-step (from a line after a call: gdb steps back into it);
 * - reverse-continue with a hardware watchpoint on a variable written 200,000 times in a loop
 *   without syscalls (each write a debug-register trap);
 * - reverse-continue to a hot breakpoint hit 100,000 times in one interval (in-kernel hit
 *   counters instead of a stop per hit).
 */
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { BenchContext, BenchSection, SectionReport, fmtMs, fmtRatio, gdbArgv, startReplayServer, timeRun } from '../lib';

const PROGRAM = String.raw`
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
#define EVENTS 12000
volatile long g_hot, g_watched;
__attribute__((noinline)) void back_10000(void) { g_hot++; }
__attribute__((noinline)) void back_100(void) { g_hot++; }
__attribute__((noinline)) void back_1(void) { g_hot++; }
__attribute__((noinline)) long square(long x) { return x * x; }
__attribute__((noinline)) void hot(long i) { g_hot += i; }
__attribute__((noinline)) void end_here(void) { g_hot++; }
int main(void) {
  for (long i = 0; i < 200000; i++) g_watched = i;            /* WATCH */
  for (long i = 0; i < 100000; i++) hot(i);                   /* HOT */
  for (int k = 0; k < EVENTS; k++) {
    if (k == EVENTS - 10000) back_10000();
    if (k == EVENTS - 100) back_100();
    if (k == EVENTS - 1) back_1();
    syscall(SYS_getppid);
  }
  long s = square(7);                                         /* CALL */
  printf("%ld\n", s);                                         /* AFTER */
  end_here();
  return 0;
}
`;

interface Case { name: string; setup: string[]; timed: string; forward?: { setup: string[]; timed: string } }

const CASES: Case[] = [
  ...[1, 100, 10000].map((n) => ({
    name: `reverse-continue, ${n} event${n > 1 ? 's' : ''} back`,
    setup: ['break end_here', 'continue', `break back_${n}`],
    timed: 'reverse-continue',
    forward: { setup: [`break back_${n}`, 'continue', 'break end_here'], timed: 'continue' },
  })),
  {
    name: 'reverse-step (back into a call)',
    setup: ['break bench.c:22', 'continue'],
    timed: 'reverse-step',
    forward: { setup: ['break bench.c:21', 'continue'], timed: 'step' },
  },
  {
    name: 'reverse-continue, watchpoint, 200k writes back',
    setup: ['break end_here', 'continue', 'watch g_watched'],
    timed: 'reverse-continue',
    // forwards: the same stretch replayed without stopping (a forward watch would stop 200k times)
    forward: { setup: ['break main', 'continue', 'break end_here'], timed: 'continue' },
  },
  {
    name: 'reverse-continue, breakpoint hit 100k times',
    setup: ['break bench.c:15', 'continue', 'break hot'],
    timed: 'reverse-continue',
    forward: { setup: ['break hot', 'continue', 'delete', 'break bench.c:15'], timed: 'continue' },
  },
];

function timedCommands(setup: string[], timed: string): string[] {
  return [...setup, 'python import time; __t0 = time.time()', timed, 'python print("RRTS-BENCH-SECONDS %.6f" % (time.time() - __t0))'];
}

function seconds(out: string): number | undefined {
  const m = /RRTS-BENCH-SECONDS ([0-9.]+)/.exec(out);
  return m ? Number(m[1]) * 1000 : undefined;
}

/** Median time (ms) of the command gdb timed, over ctx.runs fresh replay servers. */
async function measure(ctx: BenchContext, trace: string, prog: string, cmds: string[], cwd: string): Promise<number | undefined> {
  const times: number[] = [];
  for (let i = 0; i < ctx.runs; i++) {
    const server = await startReplayServer(ctx, trace);
    try {
      const argv = gdbArgv(ctx.gdb!, [`target extended-remote 127.0.0.1:${server.port}`, ...cmds], [prog]);
      const r = await timeRun(argv, { cwd, captureStdout: true });
      const t = seconds(r.stdout + r.stderr);
      if (t !== undefined) times.push(t);
    } finally {
      await server.stop();
    }
  }
  times.sort((a, b) => a - b);
  return times.length ? times[Math.floor(times.length / 2)] : undefined;
}

export const reverseSection: BenchSection = {
  name: 'reverse',
  title: 'Reverse execution in gdb (no performance counters), against the forward run over the same span',
  unavailable: (ctx) => (ctx.gdb ? undefined : 'gdb is not installed'),
  async run(ctx: BenchContext): Promise<SectionReport> {
    const dir = path.join(ctx.work, 'reverse');
    fs.mkdirSync(dir, { recursive: true });
    const src = path.join(dir, 'bench.c');
    const prog = path.join(dir, 'bench');
    fs.writeFileSync(src, PROGRAM.trimStart());
    execFileSync('gcc', ['-O0', '-g', '-o', prog, src], { cwd: dir });
    const trace = path.join(dir, 'trace');
    const rec = await timeRun([...ctx.rrts, 'record', '-o', trace, prog], { cwd: dir });
    if (rec.code !== 0) return { notes: [`recording failed: ${rec.stderr.trim()}`] };

    const rows: string[][] = [];
    const notes: string[] = [];
    for (const c of CASES) {
      ctx.log(`reverse: ${c.name}`);
      const rev = await measure(ctx, trace, prog, timedCommands(c.setup, c.timed), dir);
      const fwd = c.forward ? await measure(ctx, trace, prog, timedCommands(c.forward.setup, c.forward.timed), dir) : undefined;
      if (rev === undefined) notes.push(`${c.name}: no timing (gdb failed)`);
      rows.push([c.name, rev === undefined ? 'failed' : fmtMs(rev), fwd === undefined ? '' : fmtMs(fwd),
        rev !== undefined && fwd ? fmtRatio(rev / fwd) : '']);
    }
    notes.push('median of the runs; each timed inside gdb around the one command, the replay server already at the start point');
    return {
      table: { columns: ['operation', 'backwards', 'forwards, same span', 'ratio'], rows },
      notes,
      summary: rows.map((r) => `${r[0]}: ${r[1]} (${r[3] || '?'} the forward run)`),
    };
  },
};

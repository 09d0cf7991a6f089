/**
 * Record and replay overhead: each program natively, under `rrts record`, and under
 * `rrts replay -a` (a fresh recording replayed each run), stdout to /dev/null.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  BenchContext, BenchSection, SectionReport, benchEnv, fmtMs, fmtRatio, geomean, median, rrtsMessage,
  status, timeRun,
} from '../lib';

export const recordReplaySection: BenchSection = {
  name: 'record-replay',
  title: 'Record and replay, wall time (median of N runs)',
  async run(ctx: BenchContext): Promise<SectionReport> {
    const rows: string[][] = [];
    const notes: string[] = [];
    const recRatios: number[] = [], repRatios: number[] = [];
    for (const p of ctx.programs) {
      if (p.skip) {
        rows.push([p.name, 'skipped', '', '', '', '']);
        notes.push(`${p.name}: skipped (${p.skip})`);
        continue;
      }
      ctx.log(`record-replay: ${p.name}`);
      const native: number[] = [], record: number[] = [], replay: number[] = [];
      let failure: string | undefined;
      for (let i = 0; i < ctx.runs && !failure; i++) {
        const n = await timeRun(p.argv);
        native.push(n.ms);
        const trace = path.join(ctx.work, 'traces', `rr-${rows.length}-${i}`);
        const r = await timeRun([...ctx.rrts, 'record', '-o', trace, ...p.argv], { env: benchEnv(ctx) });
        if (status(r) !== status(n)) {
          failure = `record exited with ${status(r)}, natively ${status(n)}: ${rrtsMessage(r)}`;
          break;
        }
        record.push(r.ms);
        const rp = await timeRun([...ctx.rrts, 'replay', '-a', trace], { env: benchEnv(ctx) });
        if (status(rp) !== status(r)) {
          failure = `replay -a exited with ${status(rp)}, record with ${status(r)}: ${rrtsMessage(rp)}`;
          break;
        }
        replay.push(rp.ms);
        fs.rmSync(trace, { recursive: true, force: true });
      }
      const nat = median(native);
      if (failure) {
        rows.push([p.name, fmtMs(nat), 'failed', '', '', '']);
        notes.push(`${p.name}: ${failure}`);
        continue;
      }
      const rec = median(record), rep = median(replay);
      recRatios.push(rec / nat);
      repRatios.push(rep / nat);
      rows.push([p.name, fmtMs(nat), fmtMs(rec), fmtMs(rep), fmtRatio(rec / nat), fmtRatio(rep / nat)]);
    }
    notes.push(
      'record and replay times include starting node and loading rrts (about 0.2 s); native is the program alone.',
    );
    return {
      table: { columns: ['program', 'native', 'record', 'replay -a', 'record/native', 'replay/native'], rows },
      notes,
      summary: [
        `record/native: geometric mean ${fmtRatio(geomean(recRatios))} over ${recRatios.length} programs`,
        `replay/native: geometric mean ${fmtRatio(geomean(repRatios))} over ${repRatios.length} programs`,
      ],
    };
  },
};

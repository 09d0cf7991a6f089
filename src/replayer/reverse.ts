/**
 * Going backwards (docs/positions.md), built only from forward replay and exact marks:
 *
 * reverse-continue  From the checkpoint before the current position, replay forward to the
 *                   current mark with gdb's breakpoints and watchpoints armed, noting each hit as
 *                   a mark. The last hit is where execution stopped last: go there. No hit: do
 *                   the same over the span of the previous checkpoint, and so on back to the start
 *                   of the recording ("No more reverse-execution history"). A watchpoint stops
 *                   before the instruction that wrote, as gdb expects going backwards.
 * reverse-stepi     The instruction before a mark: if the mark ends in single steps, one less;
 *                   otherwise re-reach the previous anchor and single-step up to the mark.
 */
import type { ReplayTimeline, TimelineStop } from './timeline';
import { watchReason } from './timeline';
import { Mark, Move, WatchSpec, appendMove, boundary, cloneMark, withoutLastStep } from './marks';
import { Checkpoint } from './checkpoints';
import { HitCounter } from './hitCounter';
import { Registers } from '../shared/registers';
import { log } from '../shared/log';
import { describeMark } from './marks';

/** Stops a search may make before it switches to in-kernel counting. */
const STOP_BUDGET = 3000;

type Hit = { mark: Mark; kind: 'bp'; addr: bigint } | { mark: Mark; kind: 'watch'; watch: WatchSpec };

export class ReverseEngine {
  constructor(private readonly t: ReplayTimeline) {}

  async continue(interrupted: () => boolean): Promise<TimelineStop> {
    const t = this.t;
    let end = cloneMark(t.here);
    let cp = t.checkpoints.bestFor(end.event);
    if (cp && cp.event === end.event && end.path.length === 0) cp = t.checkpoints.before(cp);
    while (cp) {
      // Stopping at each hit is cheapest when hits are few; in-kernel counters pay off when they
      // are many (installing and removing one costs ~80 ms here).
      const hits = (await this.scan(boundary(cp.event), end, STOP_BUDGET)) ??
        (await this.countingScan(cp, end)) ?? (await this.scan(boundary(cp.event), end));
      const hit = hits[hits.length - 1];
      if (log.debugEnabled) log.debug(`scan from ${cp.event} to ${describeMark(end)}: ${hits.map((h) => describeMark(h.mark)).join(' | ')}`);
      if (hit) {
        if (hit.kind === 'bp') {
          await t.goTo(hit.mark);
          return { kind: 'breakpoint', addr: hit.addr };
        }
        const before = await this.previous(hit.mark);
        await t.goTo(before ?? t.start);
        return { kind: 'watchpoint', watch: watchReason(hit.watch), addr: hit.watch.addr };
      }
      if (interrupted()) {
        await t.goTo(boundary(cp.event));
        return { kind: 'interrupted' };
      }
      end = boundary(cp.event);
      cp = t.checkpoints.before(cp);
    }
    await t.goTo(t.start);
    return { kind: 'historyStart' };
  }

  async step(): Promise<TimelineStop> {
    const target = await this.previous(cloneMark(this.t.here));
    if (!target) {
      await this.t.goTo(this.t.start);
      return { kind: 'historyStart' };
    }
    await this.t.goTo(target);
    return { kind: 'step' };
  }

  /**
   * The fast search: replay from `cp` to `end` with in-kernel counters on the breakpoints
   * instead of stops, reading them at each event. The last region (an interval, or a move of
   * `end`'s path) with any hit holds the answer: with one breakpoint hit there, it is that
   * breakpoint's last hit, a mark computed from the count; with several, their order is
   * unknown and that region alone is searched again exactly. Undefined when counters cannot
   * serve (watchpoints, code outside files, an exec in between): the caller scans exactly.
   */
  private async countingScan(cp: Checkpoint, end: Mark): Promise<Hit[] | undefined> {
    const t = this.t;
    if (t.userWatches.length === 0 && t.userBreakpoints.size === 0) return undefined;
    if (end.path.some((m) => m.kind === 'watch' && m.watches.length !== 1)) return undefined;
    for (let i = cp.event; i < end.event; i++) if (t.reader.event(i).exec) return undefined;
    await t.goTo(boundary(cp.event));
    t.arm(new Set(), []);
    // One counter per breakpoint (uprobe) and per watchpoint (hardware breakpoint event).
    type Key = { kind: 'bp'; addr: bigint } | { kind: 'watch'; watch: WatchSpec };
    const keys: Key[] = [
      ...[...t.userBreakpoints].map((addr): Key => ({ kind: 'bp', addr })),
      ...t.userWatches.map((watch): Key => ({ kind: 'watch', watch })),
    ];
    const keyOf = (m: Move): number => keys.findIndex((k) =>
      (m.kind === 'bp' && k.kind === 'bp' && k.addr === m.addr) ||
      (m.kind === 'watch' && k.kind === 'watch' && sameWatch(k.watch, m.watches[0])));
    const open = (k: Key) => k.kind === 'bp' ? HitCounter.open(t.session.pid, k.addr) : HitCounter.openWatch(t.session.pid, k.watch);
    let counters: HitCounter[] = [];
    const openAll = (): boolean => {
      counters = [];
      for (const k of keys) {
        const c = open(k);
        if (!c) return false;
        counters.push(c);
      }
      return true;
    };
    type Region = { from: Mark; to: Mark; counts: Map<number, number> } | { exact: Hit[] };
    let lastRegion: Region | undefined;
    t.checkpoints.suspended = true;
    try {
      if (!openAll()) return undefined;
      let prev = HitCounter.readAll(counters);
      /** Close a counted region: the hits since the last note (plus those of the move's own trap). */
      const note = (from: Mark, to: Mark, own?: { key: number; n: number }, startedOn?: bigint): void => {
        const now = HitCounter.readAll(counters);
        const counts = new Map<number, number>();
        now.forEach((v, i) => v > prev[i] && counts.set(i, v - prev[i]));
        // Away from an event boundary, a continue starting on a breakpoint steps over it: that
        // execution is where we were, not a hit, but its counter counted it.
        const sk = startedOn === undefined ? -1 : keys.findIndex((k) => k.kind === 'bp' && k.addr === startedOn);
        const extra = counts.get(sk);
        if (extra !== undefined && sk !== own?.key) extra > 1 ? counts.set(sk, extra - 1) : counts.delete(sk);
        if (own && own.key >= 0 && own.n > 0) counts.set(own.key, (counts.get(own.key) ?? 0) + own.n);
        prev = now;
        if (counts.size) lastRegion = { from, to, counts };
      };
      while (t.session.nextEvent < end.event) {
        const from = boundary(t.session.nextEvent);
        const r = await t.move('continue');
        if (r.kind === 'end') break;
        if (r.kind !== 'event') return undefined;
        note(from, boundary(t.session.nextEvent));
        // An emulated syscall's write (no debug register sees it) comes after the interval's own.
        if (r.watchWrite) lastRegion = { exact: [{ mark: boundary(t.session.nextEvent), kind: 'watch', watch: r.watchWrite }] };
      }
      for (let i = 0; i < end.path.length; i++) {
        const move = end.path[i];
        const final = i === end.path.length - 1;
        const from = cloneMark(t.here);
        if (move.kind === 'step') {
          // Single steps are few: do them exactly, breakpoints armed, counters paused.
          counters.forEach((c) => c.close());
          t.arm(t.userBreakpoints, t.userWatches);
          const exact: Hit[] = [];
          for (let k = 0; k < move.count; k++) {
            const r = await t.move('step');
            const atEnd = final && k === move.count - 1;
            if (r.kind === 'step' && r.landedOn !== undefined && !atEnd) exact.push({ mark: cloneMark(t.here), kind: 'bp', addr: r.landedOn });
            if (r.kind === 'step' && r.watch) exact.push({ mark: cloneMark(t.here), kind: 'watch', watch: r.watch });
          }
          t.arm(new Set(), []);
          if (exact.length) lastRegion = { exact };
          if (!openAll()) return undefined;
          prev = HitCounter.readAll(counters);
          continue;
        }
        // The move's own trap is where it stops: not counted by a counter; its hits before the
        // last are hits all the same, if the user has that breakpoint or watchpoint too.
        const own = keyOf(move);
        if (own >= 0) counters[own].close();
        const startedOn = t.here.path.length > 0 ? t.registers().rip : undefined;
        await t.follow(move);
        t.arm(new Set(), []);
        const ownAtEnd = final && move.kind === 'bp'; // a breakpoint at `end` is not hit yet; a watch trigger there is
        note(from, cloneMark(t.here), { key: own, n: ownAtEnd ? move.count - 1 : move.count }, startedOn);
        if (own >= 0) {
          const again = open(keys[own]);
          if (!again) return undefined;
          counters[own] = again;
          prev[own] = again.read();
        }
      }
    } finally {
      counters.forEach((c) => c.close());
      t.checkpoints.suspended = false;
    }
    if (!lastRegion) return [];
    if ('exact' in lastRegion) return lastRegion.exact;
    if (log.debugEnabled) {
      log.debug(`counting scan: last hits ${[...lastRegion.counts].map(([k, n]) => `#${k} x${n}`).join(', ')} after ${describeMark(lastRegion.from)}`);
    }
    if (lastRegion.counts.size === 1) {
      const [[k, n]] = [...lastRegion.counts];
      const key = keys[k];
      const mark = cloneMark(lastRegion.from);
      if (key.kind === 'bp') {
        appendMove(mark.path, { kind: 'bp', addr: key.addr, count: n });
        return [{ mark, kind: 'bp', addr: key.addr }];
      }
      appendMove(mark.path, { kind: 'watch', watches: [key.watch], count: n });
      return [{ mark, kind: 'watch', watch: key.watch }];
    }
    const hits = await this.scan(lastRegion.from, lastRegion.to);
    return hits.length ? hits : undefined;
  }

  /**
   * Replay from mark `from` to mark `end` with the user's breakpoints and watchpoints armed;
   * every hit strictly before `end`, as marks. `from` is an event boundary, or a prefix of
   * `end`'s path in the same interval.
   */
  private async scan(from: Mark, end: Mark): Promise<Hit[]>;
  private async scan(from: Mark, end: Mark, budget: number): Promise<Hit[] | undefined>;
  private async scan(from: Mark, end: Mark, budget = Infinity): Promise<Hit[] | undefined> {
    const t = this.t;
    await t.goTo(from);
    let stops = 0;
    const userBps = t.userBreakpoints;
    const userWatches = t.userWatches;
    const hits: Hit[] = [];
    let log: Move[] = from.path.map((m) => ({ ...m }));
    const markWith = (move: Move): Mark => {
      const path = log.map((m) => ({ ...m }));
      appendMove(path, move);
      return { event: t.session.nextEvent, path };
    };
    const armedWatchMove = (): Move => ({ kind: 'watch', watches: t.armedWatchSpecs(), count: 1 });

    t.arm(userBps, userWatches);
    while (t.session.nextEvent < end.event) {
      const r = await t.move('continue');
      if (r.kind !== 'event' && ++stops > budget) return undefined;
      if (r.kind === 'bp') {
        const mv: Move = { kind: 'bp', addr: r.addr, count: 1 };
        hits.push({ mark: markWith(mv), kind: 'bp', addr: r.addr });
        appendMove(log, mv);
      } else if (r.kind === 'watch' || (r.kind === 'step' && r.watch)) {
        const w = r.kind === 'watch' ? r.watch : r.watch!;
        const mv = armedWatchMove();
        hits.push({ mark: markWith(mv), kind: 'watch', watch: w });
        appendMove(log, mv);
      } else if (r.kind === 'event') {
        log = [];
        if (r.watchWrite) hits.push({ mark: boundary(t.session.nextEvent), kind: 'watch', watch: r.watchWrite });
      } else if (r.kind === 'end' || r.kind === 'interrupted') {
        return hits;
      }
    }
    // The last interval: follow end's own path, with the user's set armed as well.
    const skip = from.event === end.event ? from.path.length : 0;
    for (let i = skip; i < end.path.length; i++) {
      const move = end.path[i];
      const final = i === end.path.length - 1;
      const bps = new Set(userBps);
      if (move.kind === 'bp') bps.add(move.addr);
      t.arm(bps, move.kind === 'watch' ? mergeWatches(userWatches, move.watches) : userWatches);
      let done = 0;
      while (done < move.count) {
        const r = await t.move(move.kind === 'step' ? 'step' : 'continue');
        if (++stops > budget) return undefined;
        let mv: Move;
        let own = false;
        if (move.kind === 'step') {
          mv = { kind: 'step', count: 1 };
          own = true;
        } else if (r.kind === 'bp') {
          mv = { kind: 'bp', addr: r.addr, count: 1 };
          own = move.kind === 'bp' && r.addr === move.addr;
        } else if (r.kind === 'watch' || (r.kind === 'step' && r.watch)) {
          mv = armedWatchMove();
          own = move.kind === 'watch';
        } else {
          throw new Error(`rrts: reverse search lost its way (${r.kind} while re-reaching the current position)`);
        }
        if (own) done++;
        // At `end` itself a breakpoint is not yet hit (its instruction is next), but a watchpoint
        // that triggered there was triggered by the instruction before: that write counts.
        const atEnd = final && done === move.count;
        if (!atEnd) {
          if (r.kind === 'bp' && userBps.has(r.addr)) hits.push({ mark: markWith(mv), kind: 'bp', addr: r.addr });
          else if (r.kind === 'step' && r.landedOn !== undefined && userBps.has(r.landedOn)) {
            hits.push({ mark: markWith(mv), kind: 'bp', addr: r.landedOn });
          }
        }
        const w = r.kind === 'watch' ? r.watch : r.kind === 'step' ? r.watch : undefined;
        if (w && userWatches.some((u) => u.addr === w.addr && u.kind === w.kind)) hits.push({ mark: markWith(mv), kind: 'watch', watch: w });
        appendMove(log, mv);
      }
    }
    return hits;
  }

  /** The position one instruction before `m`, or undefined at the start of the recording. */
  async previous(m: Mark): Promise<Mark | undefined> {
    const t = this.t;
    const fewer = withoutLastStep(m);
    if (fewer) return fewer;
    if (m.path.length === 0) return this.beforeEvent(m.event);
    const lastMove = m.path[m.path.length - 1];
    const anchor = cloneMark(m);
    anchor.path.pop();
    if (lastMove.count > 1) anchor.path.push({ ...lastMove, count: lastMove.count - 1 } as Move);
    await t.goTo(anchor);
    if (lastMove.kind === 'bp') t.arm(new Set([lastMove.addr]), []);
    else if (lastMove.kind === 'watch') t.arm(new Set(), lastMove.watches);
    let steps = 0;
    for (;;) {
      const r = await t.move('step');
      steps++;
      if (r.kind === 'step' && lastMove.kind === 'bp' && r.landedOn === lastMove.addr) break;
      if (r.kind === 'step' && lastMove.kind === 'watch' && r.watch) break;
      if (r.kind !== 'step') throw new Error(`rrts: reverse step lost its way (${r.kind})`);
    }
    const target = cloneMark(anchor);
    if (steps > 1) appendMove(target.path, { kind: 'step', count: steps - 1 });
    return target;
  }

  /**
   * The position just before event `e - 1` happened: the last execution, in its interval, of
   * the instruction that made it (the syscall or rdtsc instruction, the signalled instruction).
   */
  private async beforeEvent(e: number): Promise<Mark | undefined> {
    const t = this.t;
    const idx = e - 1;
    if (e <= t.start.event || idx < 0) return undefined;
    const ev = t.reader.event(idx);
    let insn: bigint;
    if (ev.syscall) insn = new Registers(Buffer.from(ev.syscall.regs)).rip - 2n;
    else if (ev.rdtsc) insn = new Registers(Buffer.from(ev.rdtsc.regs)).rip;
    else if (ev.signal) insn = new Registers(Buffer.from(ev.signal.regs)).rip;
    else return boundary(idx);
    if (ev.tid !== t.session.main.recTid) return boundary(idx);
    await t.goTo(boundary(idx));
    t.arm(new Set([insn]), []);
    let n = 0;
    for (;;) {
      const r = await t.move('continue');
      if (r.kind === 'bp') n++;
      else break;
    }
    return n ? { event: idx, path: [{ kind: 'bp', addr: insn, count: n }] } : boundary(idx);
  }
}

function sameWatch(a: WatchSpec, b: WatchSpec): boolean {
  return a.kind === b.kind && a.addr === b.addr && a.len === b.len;
}

function mergeWatches(a: readonly WatchSpec[], b: readonly WatchSpec[]): WatchSpec[] {
  const out = [...a];
  for (const w of b) if (!out.some((x) => x.kind === w.kind && x.addr === w.addr && x.len === w.len)) out.push(w);
  return out;
}

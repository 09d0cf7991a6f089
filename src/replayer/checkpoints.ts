/**
 * Checkpoints of a replay: frozen forks of the replayed process at event boundaries, so that
 * going back to a point costs re-executing from the nearest checkpoint before it, not from the
 * start (docs/positions.md).
 *
 * Policy, from measurements here (docs/positions.md): taking a checkpoint costs ~0.3 ms and
 * restoring one ~0.2 ms, about one event of replay (0.2-0.25 ms). Going back to a point costs
 * replaying from the checkpoint before it, so checkpoints are taken densely: one at the program's
 * first instruction, then one whenever forward replay has gone EVENT_GAP events or TIME_GAP_MS
 * of replay time (compute between events) past the last one: at most ~25 ms to reach any point
 * from its checkpoint, for ~0.3% more forward replay time. At most MAX_CHECKPOINTS live at once: past that, the one whose removal leaves the
 * smallest hole is dropped, which keeps them evenly spread over what was replayed. Each is a
 * copy-on-write process, so memory grows only with what the program changes between them.
 */
import type { ReplayTimeline } from './timeline';
import { ReplaySession, SessionCheckpoint, dropCheckpoint } from './replaySession';

export const EVENT_GAP = 100;
export const TIME_GAP_MS = 100;
export const MAX_CHECKPOINTS = 40;

export interface Checkpoint {
  event: number;
  cp: SessionCheckpoint;
}

export class CheckpointStore {
  private list: Checkpoint[] = [];
  private lastTakenMs = Date.now();
  taken = 0;
  /** No checkpoints while hit counters are installed (a fork would copy their breakpoints). */
  suspended = false;

  constructor(private readonly t: ReplayTimeline) {}

  get all(): readonly Checkpoint[] {
    return this.list;
  }

  /** Take one at the live session's current event boundary (no-op if there is one already). */
  take(): Checkpoint | undefined {
    const event = this.t.session.nextEvent;
    if (this.list.some((c) => c.event === event)) return undefined;
    // A checkpoint must not contain our int3 bytes: disarm, fork, re-arm.
    const bps = new Set(this.t.armedBreakpoints());
    const watches = this.t.armedWatchSpecs();
    this.t.arm(new Set(), watches);
    let cp: SessionCheckpoint | undefined;
    try {
      cp = this.t.session.checkpoint();
    } finally {
      this.t.arm(bps, watches);
    }
    if (!cp) return undefined;
    const c = { event, cp };
    this.list.push(c);
    this.list.sort((a, b) => a.event - b.event);
    this.lastTakenMs = Date.now();
    this.taken++;
    this.thin();
    return c;
  }

  /** Called at event boundaries during forward replay. */
  maybeTake(): void {
    if (this.suspended) return;
    const event = this.t.session.nextEvent;
    const prev = this.bestFor(event);
    const gap = prev ? event - prev.event : Infinity;
    if (gap >= EVENT_GAP || (gap > 0 && Date.now() - this.lastTakenMs >= TIME_GAP_MS)) this.take();
  }

  /** The latest checkpoint at or before `event`. */
  bestFor(event: number): Checkpoint | undefined {
    let best: Checkpoint | undefined;
    for (const c of this.list) if (c.event <= event) best = c;
    return best;
  }

  /** The latest checkpoint strictly before `c`. */
  before(c: Checkpoint): Checkpoint | undefined {
    return this.bestFor(c.event - 1);
  }

  restore(c: Checkpoint): ReplaySession {
    return ReplaySession.fromCheckpoint(c.cp, this.t.reader, { echoStdio: this.t.echo }, this.t.emuFs);
  }

  /**
   * Drop checkpoints past MAX_CHECKPOINTS: the one whose removal leaves the smallest hole
   * relative to its distance from the current event. Near where the user is they stay dense
   * (going back a little is cheap), further back the spacing grows about geometrically.
   */
  private thin(): void {
    const now = this.t.session.nextEvent;
    while (this.list.length > MAX_CHECKPOINTS) {
      let victim = 1;
      let smallest = Infinity;
      for (let i = 1; i < this.list.length - 1; i++) {
        const hole = (this.list[i + 1].event - this.list[i - 1].event) / Math.max(1, now - this.list[i].event);
        if (hole < smallest) smallest = hole, victim = i;
      }
      dropCheckpoint(this.list[victim].cp);
      this.list.splice(victim, 1);
    }
  }

  dropAll(): void {
    for (const c of this.list) dropCheckpoint(c.cp);
    this.list = [];
  }
}

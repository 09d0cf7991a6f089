/**
 * Positions in a replay without a hardware branch counter (docs/positions.md).
 *
 * A Mark names a point of execution as: the event index `event` (events before it have been
 * replayed, S(event) is the moment right after the last of them), and a `path` of moves from
 * S(event). A move is one of
 *
 *   { bp, addr, count }      continue with only a breakpoint at addr, until its count-th hit
 *   { watch, watches, count} continue with only these watchpoints, until their count-th trigger
 *   { step, count }          count single instructions
 *
 * Replay is deterministic between events, so following a path from S(event) always arrives at
 * the same state: a Mark is exact. Consecutive equal moves merge (two "continue to the next hit
 * of X" are one "continue to the 2nd hit of X"), so a path stays as short as the debugging
 * session that made it. The hardware-counter path would put a tick count here instead.
 */
import type { WatchKind } from '../gdbstub';

export interface WatchSpec { kind: WatchKind; addr: bigint; len: number }

export type Move =
  | { kind: 'bp'; addr: bigint; count: number }
  | { kind: 'watch'; watches: WatchSpec[]; count: number }
  | { kind: 'step'; count: number };

export interface Mark {
  event: number;
  path: Move[];
}

export function boundary(event: number): Mark {
  return { event, path: [] };
}

export function cloneMark(m: Mark): Mark {
  return { event: m.event, path: m.path.map((s) => ({ ...s })) };
}

function sameWatches(a: WatchSpec[], b: WatchSpec[]): boolean {
  return a.length === b.length && a.every((w, i) => w.kind === b[i].kind && w.addr === b[i].addr && w.len === b[i].len);
}

/** Append one move to a path, merging with the last move when they are the same kind. */
export function appendMove(path: Move[], move: Move): void {
  const last = path[path.length - 1];
  if (last && last.kind === move.kind) {
    if (move.kind === 'step' || (move.kind === 'bp' && last.kind === 'bp' && last.addr === move.addr) ||
      (move.kind === 'watch' && last.kind === 'watch' && sameWatches(last.watches, move.watches))) {
      last.count += move.count;
      return;
    }
  }
  path.push({ ...move });
}

/** Drop the last single step of a path (the previous instruction, when the path ends in steps). */
export function withoutLastStep(m: Mark): Mark | undefined {
  const last = m.path[m.path.length - 1];
  if (!last || last.kind !== 'step') return undefined;
  const c = cloneMark(m);
  const l = c.path[c.path.length - 1] as { count: number };
  l.count -= 1;
  if (l.count === 0) c.path.pop();
  return c;
}

export function describeMark(m: Mark): string {
  const moves = m.path.map((s) =>
    s.kind === 'bp' ? `bp 0x${s.addr.toString(16)} x${s.count}` : s.kind === 'step' ? `${s.count} step${s.count > 1 ? 's' : ''}` : `watch x${s.count}`);
  return `event ${m.event}${moves.length ? ' + ' + moves.join(', ') : ''}`;
}

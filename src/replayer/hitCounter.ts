/**
 * In-kernel execution counters: a uprobe perf event counts how often the live replay process
 * executes an instruction, at ~1 us a hit here against ~50-90 us for a ptrace stop per hit.
 * With a sample period N the kernel queues COUNTER_SIGNAL to the tracee at the N-th execution:
 * a stop just after it, without a stop for the N-1 before (machine-facts.md).
 *
 * A uprobe is keyed by file and offset, so only instructions in file-backed mappings can be
 * counted; `open` says undefined for the rest and callers fall back to int3 breakpoints.
 */
import * as fs from 'fs';
import { ptrace, last } from '../shared/native/ops';
import { parseMaps } from '../shared/procMaps';
import type { WatchSpec } from './marks';

/** The signal a counting uprobe sends at its period (an RT signal rrts owns while it runs). */
export const COUNTER_SIGNAL = 60;

export class HitCounter {
  private constructor(readonly addr: bigint, private fd: number) {}

  /** Count executions of `addr` by process `pid`; with `period`, signal at the period-th. */
  static open(pid: number, addr: bigint, period = 0n): HitCounter | undefined {
    const where = fileOffset(pid, addr);
    if (!where) return undefined;
    const r = last(ptrace.uprobeOpen(pid, where.path, where.offset, period, period ? COUNTER_SIGNAL : 0).run(true));
    return r.ret < 0 ? undefined : new HitCounter(addr, r.ret);
  }

  /**
   * Count triggers of a watchpoint (a perf hardware-breakpoint event: same debug registers as
   * ptrace's, but counted in the kernel); with `period`, signal at the period-th trigger.
   */
  static openWatch(pid: number, w: WatchSpec, period = 0n): HitCounter | undefined {
    const type = w.kind === 'write' ? 2 : 3; // HW_BREAKPOINT_W, HW_BREAKPOINT_RW
    const r = last(ptrace.watchOpen(pid, w.addr, w.len, type, period, period ? COUNTER_SIGNAL : 0).run(true));
    return r.ret < 0 ? undefined : new HitCounter(w.addr, r.ret);
  }

  read(): number {
    return Number(last(ptrace.counterRead(this.fd).run()).data.readBigUInt64LE(0));
  }

  close(): void {
    if (this.fd < 0) return;
    ptrace.counterClose(this.fd).run(true);
    this.fd = -1;
  }

  get open(): boolean {
    return this.fd >= 0;
  }

  /** Read several counters in one native call (a closed one reads 0). */
  static readAll(counters: readonly HitCounter[]): number[] {
    const live = counters.filter((c) => c.open);
    for (const c of live) ptrace.counterRead(c.fd);
    const r = live.length ? ptrace.run().slice(-live.length) : [];
    const values = new Map(live.map((c, i) => [c, Number(r[i].data.readBigUInt64LE(0))]));
    return counters.map((c) => values.get(c) ?? 0);
  }
}

function fileOffset(pid: number, addr: bigint): { path: string; offset: bigint } | undefined {
  let maps;
  try {
    maps = parseMaps(fs.readFileSync(`/proc/${pid}/maps`, 'utf8'));
  } catch {
    return undefined;
  }
  const m = maps.find((x) => x.start <= addr && addr < x.end);
  if (!m || !m.path.startsWith('/') || m.inode === 0 || !m.perms.includes('x')) return undefined;
  return { path: m.path.replace(/ \(deleted\)$/, ''), offset: addr - m.start + m.offset };
}

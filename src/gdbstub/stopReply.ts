/**
 * Stop-reply packets: `T` for a stopped thread (with its reason fields and expedited registers),
 * `W` for exit, `X` for death by signal.
 */
import { hexByte, hexNumber } from './encoding';
import { Negotiated } from './features';
import { toGdbSignal } from './signals';
import { StopReason } from './target';
import { formatThreadId } from './threadIds';

const SIGTRAP = 5;

/** Expedited register values, gdb regnum → value bytes in gdb layout. */
export type ExpeditedRegisters = ReadonlyMap<number, Buffer>;

/**
 * Format a stop reason. Reason fields gdb did not ask for in qSupported (`swbreak`, `hwbreak`) are
 * left out, since older gdbs reject unknown ones; `watch`/`rwatch`/`awatch` and `replaylog` are
 * understood by every gdb that can use them.
 */
export function formatStopReply(
  stop: StopReason,
  pid: number,
  negotiated: Negotiated,
  expedited: ExpeditedRegisters = new Map(),
): string {
  const processSuffix = negotiated.multiprocess ? `;process:${hexNumber(pid)}` : '';
  switch (stop.kind) {
    case 'exited':
      return `W${hexByte(stop.code)}${processSuffix}`;
    case 'terminated':
      return `X${hexByte(toGdbSignal(stop.signal))}${processSuffix}`;
    case 'signal':
    case 'noHistory': {
      const signal = stop.kind === 'signal' ? stop.signal : SIGTRAP;
      let out = `T${hexByte(toGdbSignal(signal))}`;
      if (stop.kind === 'noHistory') {
        out += `replaylog:${stop.replaylog};`;
      } else if (stop.cause) {
        const cause = stop.cause;
        if (cause.type === 'swbreak') out += negotiated.swbreak ? 'swbreak:;' : '';
        else if (cause.type === 'hwbreak') out += negotiated.hwbreak ? 'hwbreak:;' : '';
        else out += `${cause.type}:${hexNumber(cause.addr)};`;
      }
      out += `thread:${formatThreadId(pid, stop.tid, negotiated.multiprocess)};`;
      for (const [regnum, value] of [...expedited].sort((a, b) => a[0] - b[0])) {
        out += `${hexNumber(regnum)}:${value.toString('hex')};`;
      }
      return out;
    }
  }
}

/** The thread a stop leaves current, if any. */
export function stopThread(stop: StopReason): number | undefined {
  return stop.kind === 'signal' || stop.kind === 'noHistory' ? stop.tid : undefined;
}

/**
 * gdb thread ids. On the wire a thread id is `TID`, or with the multiprocess extension
 * `pPID.TID` / `pPID` (all threads of PID); every component is hex, `-1` means "all" and `0`
 * "any". Parsing accepts every form regardless of negotiation (gdb may mix them); formatting
 * uses the multiprocess form only when both sides agreed to it in qSupported.
 */

/** A parsed thread-id selector. `tid`: -1 all threads, 0 any thread, else that thread. */
export interface ThreadSelector {
  /** Process component when the `p` form was used: -1 all, 0 any, else a pid. */
  readonly pid?: number;
  readonly tid: number;
}

export const ANY_THREAD: ThreadSelector = { tid: 0 };

const ID_RE = /^(-1|[0-9a-fA-F]{1,8})$/;

function parseId(text: string): number | null {
  if (!ID_RE.test(text)) return null;
  return text === '-1' ? -1 : parseInt(text, 16);
}

/** Parse a complete thread id; `null` if malformed. */
export function parseThreadId(text: string): ThreadSelector | null {
  if (text.startsWith('p')) {
    const dot = text.indexOf('.');
    const pid = parseId(dot < 0 ? text.slice(1) : text.slice(1, dot));
    if (pid === null) return null;
    if (dot < 0) return { pid, tid: -1 };
    const tid = parseId(text.slice(dot + 1));
    return tid === null ? null : { pid, tid };
  }
  const tid = parseId(text);
  return tid === null ? null : { tid };
}

/** Format a concrete thread for replies (`QC`, `qfThreadInfo`, stop replies, threads XML). */
export function formatThreadId(pid: number, tid: number, multiprocess: boolean): string {
  return multiprocess ? `p${pid.toString(16)}.${tid.toString(16)}` : tid.toString(16);
}

/** True when the selector names a specific thread rather than "any"/"all". */
export function isSpecificThread(sel: ThreadSelector): boolean {
  return sel.tid > 0;
}

/** True when the selector's process part (if any) can refer to process `pid`. */
export function matchesProcess(sel: ThreadSelector, pid: number): boolean {
  return sel.pid === undefined || sel.pid <= 0 || sel.pid === pid;
}

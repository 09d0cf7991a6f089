/** Signal numbers and names (x86-64 Linux), and which signals an instruction raises itself. */
import * as os from 'os';

export const SIG = os.constants.signals as Record<string, number>;
const NAMES = new Map<number, string>(Object.entries(os.constants.signals).map(([n, v]) => [v as number, n]));

export function signalName(n: number): string {
  return NAMES.get(n) ?? (n >= 34 && n <= 64 ? `SIGRT${n - 34}` : `signal ${n}`);
}

/** si_code values at or below 0 mean "sent by someone" (SI_USER, SI_TKILL, SI_QUEUE, SI_TIMER...). */
const SYNCHRONOUS = new Set([SIG.SIGSEGV, SIG.SIGBUS, SIG.SIGFPE, SIG.SIGILL, SIG.SIGTRAP]);

/**
 * A signal raised by the instruction the tracee executed (a fault, a trap): replaying the same
 * instructions raises it again, so replay reproduces it by running, not by sending it.
 */
export function isFault(signo: number, siCode: number): boolean {
  return SYNCHRONOUS.has(signo) && siCode > 0;
}

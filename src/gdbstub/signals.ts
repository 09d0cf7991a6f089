/**
 * Signal numbers on the wire are gdb's own (include/gdb/signals.def), not the host's. The target
 * speaks Linux x86-64 numbers; these two functions translate. The table follows gdb's
 * gdb_signal_from_host for Linux.
 */

/** gdb's number for signals it has no name for. */
export const GDB_SIGNAL_UNKNOWN = 143;

/** Linux signal → gdb signal, for the classic signals 1–32. */
const LINUX_TO_GDB: ReadonlyMap<number, number> = new Map([
  [0, 0],
  [1, 1], // SIGHUP
  [2, 2], // SIGINT
  [3, 3], // SIGQUIT
  [4, 4], // SIGILL
  [5, 5], // SIGTRAP
  [6, 6], // SIGABRT
  [7, 10], // SIGBUS
  [8, 8], // SIGFPE
  [9, 9], // SIGKILL
  [10, 30], // SIGUSR1
  [11, 11], // SIGSEGV
  [12, 31], // SIGUSR2
  [13, 13], // SIGPIPE
  [14, 14], // SIGALRM
  [15, 15], // SIGTERM
  [16, 38], // SIGSTKFLT: gdb has no name for it; rr reports it as GDB_SIGNAL_DANGER
  [17, 20], // SIGCHLD
  [18, 19], // SIGCONT
  [19, 17], // SIGSTOP
  [20, 18], // SIGTSTP
  [21, 21], // SIGTTIN
  [22, 22], // SIGTTOU
  [23, 16], // SIGURG
  [24, 24], // SIGXCPU
  [25, 25], // SIGXFSZ
  [26, 26], // SIGVTALRM
  [27, 27], // SIGPROF
  [28, 28], // SIGWINCH
  [29, 23], // SIGIO
  [30, 32], // SIGPWR
  [31, 12], // SIGSYS
  [32, 77], // GDB_SIGNAL_REALTIME_32
]);

const GDB_TO_LINUX: ReadonlyMap<number, number> = new Map(
  [...LINUX_TO_GDB].map(([linux, gdb]) => [gdb, linux]),
);

/** Linux signal number → gdb's wire number. Unknown signals map to GDB_SIGNAL_UNKNOWN. */
export function toGdbSignal(linux: number): number {
  const mapped = LINUX_TO_GDB.get(linux);
  if (mapped !== undefined) return mapped;
  // Real-time signals: GDB_SIGNAL_REALTIME_33 is 45, and REALTIME_64 restarts at 78.
  if (linux >= 33 && linux <= 63) return linux + 12;
  if (linux >= 64 && linux <= 127) return linux + 14;
  return GDB_SIGNAL_UNKNOWN;
}

/** gdb's wire number → Linux signal number, or `undefined` for signals Linux does not have. */
export function fromGdbSignal(gdb: number): number | undefined {
  const mapped = GDB_TO_LINUX.get(gdb);
  if (mapped !== undefined) return mapped;
  if (gdb >= 45 && gdb <= 75) return gdb - 12;
  if (gdb >= 78 && gdb <= 141) return gdb - 14;
  return undefined;
}

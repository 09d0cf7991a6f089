/**
 * Logging sink for the gdb stub. The transport never writes to the console itself: the embedding
 * program (the replayer, a test) decides where protocol diagnostics go.
 */
export interface GdbLogger {
  /** Per-packet traffic and other chatter; expected to be off by default. */
  debug(message: string): void;
  /** Session lifecycle: connections, detach, kill. */
  info(message: string): void;
  /** Recoverable protocol or target problems: bad checksums, garbage, failed requests. */
  warn(message: string): void;
  /** Failures that end a session. */
  error(message: string): void;
}

/** Discards everything. The default when no logger is injected. */
export const nullLogger: GdbLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

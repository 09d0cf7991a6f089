/**
 * rrts's own diagnostics go to stderr, each line starting with "rrts" so that tools (and the
 * conformance runner) can tell them from the tracee's output. RRTS_LOG=debug shows more.
 */
const LEVELS = { error: 0, warn: 1, info: 2, debug: 3 } as const;
type Level = keyof typeof LEVELS;
const threshold: number = LEVELS[(process.env.RRTS_LOG as Level) ?? 'warn'] ?? LEVELS.warn;

function emit(level: Level, msg: string): void {
  if (LEVELS[level] <= threshold) process.stderr.write(`rrts: ${level === 'info' ? '' : level + ': '}${msg}\n`);
}

export const log = {
  error: (m: string) => emit('error', m),
  warn: (m: string) => emit('warn', m),
  info: (m: string) => emit('info', m),
  debug: (m: string) => emit('debug', m),
  get debugEnabled(): boolean { return threshold >= LEVELS.debug; },
};

/**
 * `monitor ...` commands typed in gdb (rr's names where rr has them).
 */
import type { ReplayTimeline } from './timeline';

interface MonitorCommand { usage: string; help: string; run(t: ReplayTimeline, args: string[]): string }

const COMMANDS: Record<string, MonitorCommand> = {
  help: { usage: 'help', help: 'list the monitor commands', run: () => helpText() },
  when: {
    usage: 'when', help: 'print the current event number',
    run: (t) => `Current event: ${t.when()}\n`,
  },
  info: {
    usage: 'info', help: 'describe the recording being replayed',
    run: (t) => `Trace: ${t.reader.dir}\nProgram: ${t.reader.header.argv.join(' ')}\nEvents: ${t.reader.eventCount}\nCurrent event: ${t.when()}\n`,
  },
};

function helpText(): string {
  const lines = Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(22)} ${c.help}`);
  return `rrts monitor commands:\n${lines.join('\n')}\n`;
}

export function monitorCommands(t: ReplayTimeline, line: string): string {
  const [name, ...args] = line.trim().split(/\s+/);
  const cmd = COMMANDS[name || 'help'];
  if (!cmd) return `rrts: unknown monitor command '${name}'; 'monitor help' lists them\n`;
  return cmd.run(t, args);
}

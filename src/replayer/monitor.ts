/**
 * `monitor ...` commands typed in gdb (rr's names where rr has them).
 */
import type { ReplayTimeline } from './timeline';
import { cloneMark, describeMark } from './marks';

interface MonitorCommand { usage: string; help: string; run(t: ReplayTimeline, args: string[]): string | Promise<string> }

const COMMANDS: Record<string, MonitorCommand> = {
  help: { usage: 'help', help: 'list the monitor commands', run: () => helpText() },
  when: {
    usage: 'when', help: 'print the current event number',
    run: (t) => `Current event: ${t.when()}\n`,
  },
  checkpoint: {
    usage: 'checkpoint', help: 'mark this point of execution; prints its number for `restart`',
    run: (t) => {
      t.userMarks.push(cloneMark(t.here));
      return `Checkpoint ${t.userMarks.length} at ${describeMark(t.here)}\n`;
    },
  },
  checkpoints: {
    usage: 'checkpoints', help: 'list the checkpoints made with `monitor checkpoint`',
    run: (t) => t.userMarks.length === 0 ? 'No checkpoints.\n'
      : t.userMarks.map((m, i) => `  ${i + 1}  ${describeMark(m)}\n`).join(''),
  },
  restart: {
    usage: 'restart N', help: 'go back (or forward) to checkpoint N; then `stepi` or `info registers` to look',
    run: async (t, args) => {
      const n = Number(args[0]);
      const m = t.userMarks[n - 1];
      if (!m) return `rrts: no checkpoint ${args[0] ?? ''}; 'monitor checkpoints' lists them\n`;
      await t.goTo(m);
      t.armUser();
      return `At checkpoint ${n} (${describeMark(m)}); gdb still shows the old frame until the next command that stops.\n`;
    },
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

export async function monitorCommands(t: ReplayTimeline, line: string): Promise<string> {
  const [name, ...args] = line.trim().split(/\s+/);
  const cmd = COMMANDS[name || 'help'];
  if (!cmd) return `rrts: unknown monitor command '${name}'; 'monitor help' lists them\n`;
  return cmd.run(t, args);
}

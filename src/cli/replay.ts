/** placeholder until the replayer lands */
import type { CommandModule } from 'yargs';
export function replayCommand(_setExit: (code: number) => void): CommandModule {
  return { command: 'replay', describe: 'Replay a recording', handler: () => {} };
}

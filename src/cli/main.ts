/**
 * rrts command line: one module per command (record, replay, dump, ls, ps), as rr has them.
 */
import yargs from 'yargs';
import { recordCommand } from './record';
import { replayCommand } from './replay';
import { dumpCommand } from './dump';
import { lsCommand } from './ls';
import { psCommand } from './ps';
import { UserError } from '../shared/errors';
import { VERSION } from './version';

/**
 * Everything after the program name belongs to the program (`rrts record ls -la`): split it off
 * before yargs sees it, since yargs cannot stop parsing inside a subcommand.
 */
export function splitProgramArgs(argv: string[]): { ours: string[]; programArgs: string[] } {
  if (argv[0] !== 'record') return { ours: argv, programArgs: [] };
  const withValue = new Set(['-o', '--output']);
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return { ours: [...argv.slice(0, i), ...argv.slice(i + 1, i + 2)], programArgs: argv.slice(i + 2) };
    if (withValue.has(a)) i++;
    else if (!a.startsWith('-')) return { ours: argv.slice(0, i + 1), programArgs: argv.slice(i + 1) };
  }
  return { ours: argv, programArgs: [] };
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const { ours, programArgs } = splitProgramArgs(argv);
  try {
    await yargs(ours)
      .scriptName('rrts')
      .usage('$0 <command> [options]\n\nRecord a program once, replay it exactly, debug it forwards and backwards with gdb.')
      .command(recordCommand(programArgs, (c) => (code = c)))
      .command(replayCommand((c) => (code = c)))
      .command(dumpCommand)
      .command(lsCommand)
      .command(psCommand)
      .demandCommand(1, 'name a command (record, replay, dump, ls, ps); see rrts --help')
      .strict()
      .version(VERSION)
      .help()
      .fail((msg, err) => {
        if (err) throw err;
        if (ours[0] === 'record' && /non-option arguments/.test(msg)) {
          throw new UserError('rrts record: name the program to record, e.g. rrts record ./prog ARGS...', 2);
        }
        throw new UserError(`rrts: ${msg}`, 2);
      })
      .parseAsync();
  } catch (e) {
    if (e instanceof UserError) {
      process.stderr.write(e.message.endsWith('\n') ? e.message : e.message + '\n');
      return e.exitCode;
    }
    process.stderr.write(`rrts: internal error: ${(e as Error).stack ?? e}\n`);
    return 70;
  }
  return code;
}

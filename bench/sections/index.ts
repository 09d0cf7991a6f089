/**
 * The bench sections, in the order they run. To add one (say, reverse execution): write
 * sections/NAME.ts exporting a BenchSection (see ../lib.ts), and list it here.
 */
import { BenchSection } from '../lib';
import { recordReplaySection } from './recordReplay';
import { gdbContinueSection, gdbStartupSection } from './gdb';
import { reverseSection } from './reverse';

export const SECTIONS: readonly BenchSection[] = [
  recordReplaySection,
  gdbStartupSection,
  gdbContinueSection,
  reverseSection,
];

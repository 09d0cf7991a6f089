/**
 * rdtsc/rdtscp trap (prctl PR_TSC_SIGSEGV) in every tracee; rrts emulates the instruction:
 * at record with the real counter, at replay with the recorded value.
 */
import { Registers } from './registers';

export type TscInstruction = { kind: 'rdtsc' | 'rdtscp'; length: number };

/** Decode the instruction at the faulting rip (3 bytes read from there). */
export function decodeTscInstruction(code: Buffer): TscInstruction | undefined {
  if (code.length >= 2 && code[0] === 0x0f && code[1] === 0x31) return { kind: 'rdtsc', length: 2 };
  if (code.length >= 3 && code[0] === 0x0f && code[1] === 0x01 && code[2] === 0xf9) return { kind: 'rdtscp', length: 3 };
  return undefined;
}

/** The registers after executing the instruction with counter value `tsc` (and TSC_AUX `aux`). */
export function applyTsc(regs: Registers, insn: TscInstruction, tsc: bigint, aux: number): Registers {
  const r = regs.clone();
  r.set('rax', tsc & 0xffffffffn);
  r.set('rdx', tsc >> 32n);
  if (insn.kind === 'rdtscp') r.set('rcx', BigInt(aux));
  r.set('rip', regs.rip + BigInt(insn.length));
  return r;
}

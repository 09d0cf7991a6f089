/**
 * A tracee stop as waitpid + ptrace report it, decoded into a discriminated union.
 */
import { Registers } from './registers';

export const enum PtraceEvent {
  Fork = 1,
  Vfork = 2,
  Clone = 3,
  Exec = 4,
  VforkDone = 5,
  Exit = 6,
  Seccomp = 7,
}

export type SyscallStopOp = 'entry' | 'exit' | 'seccomp' | 'unknown';

export type Stop =
  | { kind: 'timeout' }
  | { kind: 'exited'; tid: number; code: number }
  | { kind: 'killed'; tid: number; signal: number; core: boolean }
  | { kind: 'syscall'; tid: number; regs: Registers; op: SyscallStopOp }
  | { kind: 'event'; tid: number; regs: Registers; event: PtraceEvent; msg: bigint }
  | { kind: 'signal'; tid: number; regs: Registers; signal: number; siginfo: Buffer; dr6: bigint };

const SYSCALL_OPS: SyscallStopOp[] = ['unknown', 'entry', 'exit', 'seccomp'];

/** Decode `struct rrts_stop` (see native/rrts_native.h). */
export function decodeStop(b: Buffer): Stop {
  const tid = b.readInt32LE(0);
  if (tid === 0) return { kind: 'timeout' };
  const status = b.readInt32LE(4);
  const sigBits = status & 0x7f;
  if (sigBits === 0) return { kind: 'exited', tid, code: (status >> 8) & 0xff };
  if ((status & 0xff) !== 0x7f) return { kind: 'killed', tid, signal: sigBits, core: (status & 0x80) !== 0 };
  const stopSig = (status >> 8) & 0xff;
  const event = (status >> 16) & 0xff;
  const regs = new Registers(b.subarray(32, 32 + 216));
  if (event) return { kind: 'event', tid, regs, event, msg: b.readBigUInt64LE(8) };
  if (stopSig === (5 | 0x80)) return { kind: 'syscall', tid, regs, op: SYSCALL_OPS[b.readInt32LE(24)] ?? 'unknown' };
  return {
    kind: 'signal', tid, regs, signal: stopSig,
    siginfo: Buffer.from(b.subarray(248, 248 + 128)), dr6: b.readBigUInt64LE(16),
  };
}

/** siginfo_t fields we use: si_signo, si_errno, si_code, then the union (pid/uid or addr). */
export function siginfoCode(siginfo: Buffer): number {
  return siginfo.readInt32LE(8);
}
export function siginfoPid(siginfo: Buffer): number {
  return siginfo.readInt32LE(16);
}

export function describeStop(s: Stop): string {
  switch (s.kind) {
    case 'timeout': return 'timeout';
    case 'exited': return `exited ${s.code}`;
    case 'killed': return `killed by signal ${s.signal}`;
    case 'syscall': return `syscall-${s.op} ${s.regs.syscallNo} at 0x${s.regs.rip.toString(16)}`;
    case 'event': return `event ${s.event} msg ${s.msg} at 0x${s.regs.rip.toString(16)}`;
    case 'signal': return `signal ${s.signal} at 0x${s.regs.rip.toString(16)}`;
  }
}

/**
 * Per-call refinements of a SyscallDef for the multiplexed syscalls (ioctl, fcntl, prctl and
 * the 'byOp' ones): which operation a call performs, and from that whether replay can handle
 * it and whether it can block. The collector, `replayActionFor` and `mayBlockFor` share this
 * one lookup so they can never disagree about what an op is.
 */
import type { ReplayAction, SyscallDef } from './types';
import { IOCTL_OUTPARAMS, IOC_NONE, IoctlDef, decodeIoc } from './ioctls';
import { OpDef, opNumber, opTableFor } from './ops';

/** The kernel returns -errno in [-4095, -1]; anything else is a result. */
export function isErrorResult(ret: bigint): boolean {
  const r = BigInt.asIntN(64, ret);
  return r >= -4095n && r <= -1n;
}

export type OpLookup =
  /** the syscall is not multiplexed */
  | { kind: 'none' }
  /** a listed op (or an ioctl described by its _IOC encoding, with `ioctl` undefined) */
  | { kind: 'known'; name: string; op?: OpDef; ioctl?: IoctlDef }
  /** an op we cannot describe */
  | { kind: 'unknown'; what: string };

const hex = (n: number): string => '0x' + n.toString(16);

export function lookupOp(def: SyscallDef, args: readonly bigint[]): OpLookup {
  for (const s of def.scatter ?? []) {
    if (s.kind === 'ioctl') {
      const request = Number(BigInt.asUintN(32, args[s.arg] ?? 0n));
      const known = IOCTL_OUTPARAMS.get(request);
      if (known) return { kind: 'known', name: known.name, ioctl: known };
      const ioc = decodeIoc(request);
      if (ioc.dir === IOC_NONE) {
        return { kind: 'unknown', what: `ioctl request ${hex(request)} (no _IOC direction)` };
      }
      return { kind: 'known', name: `_IOC(${ioc.dir}, ${hex(ioc.type)}, ${ioc.nr}, ${ioc.size})` };
    }
    const table = opTableFor(def, s);
    if (table) {
      const n = opNumber(table, args[s.arg] ?? 0n);
      const op = table.ops.get(n);
      if (op) return { kind: 'known', name: op.name, op };
      return { kind: 'unknown', what: `${def.name} operation ${n} (${hex(n)})` };
    }
  }
  return { kind: 'none' };
}

/**
 * What replay does with this particular call. Unknown ops and ops marked 'unsupported' make
 * the call unsupported, unless the call failed: the kernel rejects what it does not do before
 * writing anything, so replaying the error is exact.
 */
export function replayActionFor(
  def: SyscallDef, args: readonly bigint[], ret?: bigint,
): ReplayAction {
  const failed = ret !== undefined && isErrorResult(ret);
  if (!failed && setsStackLimit(def, args)) return 'execute';
  const found = lookupOp(def, args);
  const opReplay =
    found.kind === 'unknown' ? 'unsupported'
      : found.kind === 'known' ? (found.op?.replay ?? found.ioctl?.replay)
        : undefined;
  if (opReplay === undefined) return def.replay;
  if (opReplay === 'unsupported' && failed) return def.replay;
  return opReplay;
}

const RLIMIT_STACK = 3n;

/**
 * A new RLIMIT_STACK decides how far the stack can grow, and so where a deep recursion faults:
 * replay must set it for real, not just return the recorded result.
 */
function setsStackLimit(def: SyscallDef, args: readonly bigint[]): boolean {
  if (def.name === 'setrlimit') return args[0] === RLIMIT_STACK;
  if (def.name === 'prlimit64') return args[0] === 0n && args[1] === RLIMIT_STACK && args[2] !== 0n;
  return false;
}

/** Whether this particular call can block (F_SETLKW yes, F_GETFL no; FUTEX_WAIT yes...). */
export function mayBlockFor(def: SyscallDef, args: readonly bigint[]): boolean {
  const found = lookupOp(def, args);
  if (found.kind === 'known' && found.op) return found.op.mayBlock ?? false;
  if (found.kind === 'known' && found.ioctl) return found.ioctl.mayBlock ?? false;
  return def.mayBlock ?? false;
}

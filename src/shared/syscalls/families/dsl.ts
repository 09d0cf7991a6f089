/**
 * Small constructors that keep the family tables one line per syscall. A family module exports
 * a list of `FamilyDef`s (a SyscallDef without its number); table.ts gives each its number from
 * numbers.ts and checks that every syscall is described exactly once.
 */
import type { ArgFormat, Outparam, Scatter, Size, SyscallDef } from '../types';
import type { SyscallName } from '../numbers';

export type FamilyDef = Omit<SyscallDef, 'nr' | 'name'> & { name: SyscallName };

/** Everything but name, replay and args. */
type Extra = Omit<SyscallDef, 'nr' | 'name' | 'replay' | 'args'>;

/** Replay sets the recorded result and writes the recorded outparams. */
export function emulate(name: SyscallName, args: ArgFormat[], extra: Extra = {}): FamilyDef {
  return { name, replay: 'emulate', args, ...extra };
}

/** Replay runs the call for real and checks the result. */
export function execute(name: SyscallName, args: ArgFormat[], extra: Extra = {}): FamilyDef {
  return { name, replay: 'execute', args, ...extra };
}

/** Hand-written handler `handler` in recorder and replayer. */
export function special(
  name: SyscallName, handler: string, args: ArgFormat[], extra: Extra = {},
): FamilyDef {
  return { name, replay: 'special', special: handler, args, ...extra };
}

/** Effects not described: recording goes on, replay stops here. */
export function unsupported(name: SyscallName, args: ArgFormat[] = []): FamilyDef {
  return { name, replay: 'unsupported', args };
}

/**
 * The recorder does not run the call; the tracee sees -errno (ENOSYS: programs fall back, as
 * they must on kernels where the feature is missing or disabled). Replay does the same through
 * the generic 'denied' handler, without running the call.
 */
export function deny(name: SyscallName, errno: number, args: ArgFormat[] = []): FamilyDef {
  return { name, replay: 'special', special: 'denied', record: 'deny', denyErrno: errno, args };
}

/** Calls that do not exist on x86-64 kernels (sys_ni_syscall): always -ENOSYS, nothing written. */
export const notImplemented = (name: SyscallName): FamilyDef => emulate(name, []);

// Outparam and Size shorthands.

export const fixed = (bytes: number): Size => ({ kind: 'fixed', bytes });
export const fromArg = (arg: number, scale?: number): Size =>
  scale === undefined ? { kind: 'arg', arg } : { kind: 'arg', arg, scale };
export const fromRet = (scale?: number, capArg?: number): Size => {
  const s: Size = { kind: 'ret' };
  if (scale !== undefined) s.scale = scale;
  if (capArg !== undefined) s.capArg = capArg;
  return s;
};
export const lenAt = (arg: number): Size => ({ kind: 'lenAt', arg });
export const fdset = (arg: number): Size => ({ kind: 'fdset', arg });

export interface OutOptions {
  /** false: also written when the call fails (remaining time of an interrupted sleep) */
  onlyOnSuccess?: boolean;
  offset?: number;
}

export function out(arg: number, size: Size, opts: OutOptions = {}): Outparam {
  const o: Outparam = { arg, size };
  if (opts.onlyOnSuccess !== undefined) o.onlyOnSuccess = opts.onlyOnSuccess;
  if (opts.offset !== undefined) o.offset = opts.offset;
  return o;
}

/** Also written when the call fails. */
export const outAlways = (arg: number, size: Size): Outparam => out(arg, size, { onlyOnSuccess: false });

export const scatter = (kind: Scatter['kind'], arg: number, countArg?: number): Scatter =>
  countArg === undefined ? { kind, arg } : { kind, arg, countArg };

/**
 * Feature negotiation. What we advertise in the `qSupported` reply is computed from the
 * capabilities the target actually has (never a fixed string), and what gdb announced is kept in
 * one typed object instead of scattered flags.
 */
import { PeerFeatures } from './requests';
import { GdbTarget, WatchKind } from './target';

/** Which optional capabilities a target has, as plain data for the parsers. */
export interface TargetCapabilities {
  readonly breakpoints: boolean;
  readonly hwBreakpoints: boolean;
  readonly watchKinds: ReadonlySet<WatchKind>;
  readonly reverseContinue: boolean;
  readonly reverseStep: boolean;
  readonly auxv: boolean;
  readonly execFile: boolean;
  readonly siginfo: boolean;
  readonly hostIo: boolean;
  readonly monitor: boolean;
}

export function capabilitiesOf(target: GdbTarget): TargetCapabilities {
  const reverse = target.reverse?.actions ?? [];
  return {
    breakpoints: target.breakpoints !== undefined,
    hwBreakpoints: target.hwBreakpoints !== undefined,
    watchKinds: new Set(target.watchpoints?.kinds ?? []),
    reverseContinue: reverse.includes('continue'),
    reverseStep: reverse.includes('step'),
    auxv: target.auxv !== undefined,
    execFile: target.execFile !== undefined,
    siginfo: target.siginfo !== undefined,
    hostIo: target.hostIo !== undefined,
    monitor: target.monitor !== undefined,
  };
}

/** Protocol options both sides agreed on for this connection. */
export interface Negotiated {
  /** Thread ids as `pPID.TID`, `process:` in exit replies. */
  readonly multiprocess: boolean;
  /** Report `swbreak:` in stop replies (gdb then trusts our pc and does not adjust it). */
  readonly swbreak: boolean;
  /** Report `hwbreak:` in stop replies. */
  readonly hwbreak: boolean;
}

export const DEFAULT_NEGOTIATED: Negotiated = { multiprocess: false, swbreak: false, hwbreak: false };

/**
 * Build the `qSupported` reply and the negotiated options from gdb's announced features.
 * `packetSize` is the largest packet body we accept, advertised in hex as the protocol requires.
 */
export function negotiate(
  caps: TargetCapabilities,
  peer: PeerFeatures,
  packetSize: number,
): { reply: string; negotiated: Negotiated } {
  const negotiated: Negotiated = {
    multiprocess: peer.get('multiprocess') === true,
    swbreak: caps.breakpoints && peer.get('swbreak') === true,
    hwbreak: caps.hwBreakpoints && peer.get('hwbreak') === true,
  };
  const features = [
    `PacketSize=${packetSize.toString(16)}`,
    'QStartNoAckMode+',
    'QPassSignals+',
    'qXfer:features:read+',
    'qXfer:threads:read+',
    'multiprocess+',
    'vContSupported+',
  ];
  if (caps.auxv) features.push('qXfer:auxv:read+');
  if (caps.execFile) features.push('qXfer:exec-file:read+');
  if (caps.siginfo) features.push('qXfer:siginfo:read+');
  if (caps.breakpoints) features.push('swbreak+');
  if (caps.hwBreakpoints) features.push('hwbreak+');
  if (caps.reverseContinue) features.push('ReverseContinue+');
  if (caps.reverseStep) features.push('ReverseStep+');
  return { reply: features.join(';'), negotiated };
}

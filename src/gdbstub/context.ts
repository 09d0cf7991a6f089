/**
 * What request handlers see of a connection: the target, negotiated options, thread selection and
 * the hooks into the session's state machine. {@link ./session} implements it; handlers never
 * touch the socket.
 */
import { hexByte } from './encoding';
import { Negotiated, TargetCapabilities } from './features';
import { HostIoSession } from './hostIo';
import { GdbLogger } from './logger';
import { PointType } from './requests';
import { GdbTarget, ResumeRequest, StopReason, TargetError } from './target';
import { ThreadSelector } from './threadIds';

/** A reply body: text, or bytes whose binary fields are already escaped. */
export type ReplyBody = string | Buffer;

/** What the session does once the reply (if any) is on the wire. */
export type AfterReply = 'none' | 'startNoAck' | 'detach' | 'kill';

export interface Outcome {
  /** `null`: this request gets no reply at all (only `k`). */
  readonly reply: ReplyBody | null;
  /** Run-length encode the reply (hex dumps). */
  readonly rle?: boolean;
  readonly after?: AfterReply;
}

export interface DispatchContext {
  readonly target: GdbTarget;
  readonly caps: TargetCapabilities;
  readonly logger: GdbLogger;
  /** Largest packet body we accept, and the budget for data in one reply. */
  readonly packetSize: number;
  readonly hostIo: HostIoSession | undefined;

  negotiated: Negotiated;
  extendedMode: boolean;
  /** gdb signal numbers gdb handles itself (QPassSignals): continue through their stops. */
  passSignals: ReadonlySet<number>;
  /** Thread for register/memory queries (`Hg`). */
  queryThread: ThreadSelector;
  /** Thread for resumes (`Hc`). */
  continueThread: ThreadSelector;
  /** Thread of the last stop reported to gdb, if known. */
  lastStopTid: number | undefined;

  /**
   * Run `target.resume` with the session in the `running` state, delivering gdb's interrupts to
   * the target while it is pending. `interrupted` tells whether one was delivered.
   */
  runTarget(request: ResumeRequest): Promise<{ stop: StopReason; interrupted: boolean }>;
  /** Send an intermediate packet (console output) before the final reply. */
  sendIntermediate(body: ReplyBody): void;
  /** Record Z/z results so leftovers can be removed when the connection ends. */
  notePoint(op: 'insert' | 'remove', type: PointType, addr: bigint, length: number): void;
}

export function reply(body: ReplyBody, extra: Omit<Outcome, 'reply'> = {}): Outcome {
  return { reply: body, ...extra };
}

export const OK = reply('OK');
/** The empty reply: "this packet is not supported". */
export const UNSUPPORTED = reply('');

/** `Enn` for a failure; TargetError carries its own errno. */
export function errorReply(err: unknown): Outcome {
  const errno = err instanceof TargetError ? err.errno : 1;
  return reply(`E${hexByte(errno || 1)}`);
}

/** True for errors that must end the session. */
export function isFatal(err: unknown): boolean {
  return err instanceof TargetError && err.fatal;
}

/** Human-readable message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Bytes of console text per O packet. */
const CONSOLE_CHUNK = 1024;

/** Show text on gdb's console (O packets) while a reply is still to come. */
export function sendConsole(ctx: { sendIntermediate(packet: string): void }, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += CONSOLE_CHUNK) ctx.sendIntermediate('O' + bytes.subarray(i, i + CONSOLE_CHUNK).toString('hex'));
}

/**
 * Every packet gdb can send, decoded into one discriminated union. {@link ./commands} produces
 * these; {@link ./dispatcher} consumes them with an exhaustive switch, so adding a kind here is a
 * compile error until it is handled. Numbers are already validated and converted: addresses are
 * bigints, binary fields unescaped, hex strings decoded, signal numbers still gdb's (the
 * dispatcher converts them for the target).
 */
import { ThreadSelector } from './threadIds';
import { AddressRange, Direction } from './target';

/** One `vCont` action (or the single action of `c`/`s`/`C`/`S`/`bc`/`bs`). */
export interface ResumeAction {
  /** `stop` is vCont's `t`; in all-stop mode it leaves that thread stopped. */
  readonly action: 'continue' | 'step' | 'stop';
  /** The thread the action applies to; absent = every thread without its own action. */
  readonly thread?: ThreadSelector;
  /** gdb signal number to deliver (C, S, vCont;C/S). */
  readonly signal?: number;
  /** vCont `r`: step while pc is in the range. */
  readonly range?: AddressRange;
}

/** Z/z packet types, by number: 0 software, 1 hardware, 2 write, 3 read, 4 access. */
export type PointType = 'sw' | 'hw' | 'write' | 'read' | 'access';

/** qSupported features gdb announced: `name+` → true, `name-` → false, `name=value` → value. */
export type PeerFeatures = ReadonlyMap<string, boolean | string>;

export type GdbRequest =
  | { readonly kind: 'haltReason' }
  | { readonly kind: 'readRegisters' }
  | { readonly kind: 'writeRegisters'; readonly data: Buffer }
  | { readonly kind: 'readRegister'; readonly regnum: number }
  | { readonly kind: 'writeRegister'; readonly regnum: number; readonly value: Buffer }
  | { readonly kind: 'readMemory'; readonly addr: bigint; readonly length: number }
  | { readonly kind: 'writeMemory'; readonly addr: bigint; readonly data: Buffer }
  | {
      readonly kind: 'point';
      readonly op: 'insert' | 'remove';
      readonly type: PointType;
      readonly addr: bigint;
      /** Breakpoint kind (instruction length) or watched length. */
      readonly length: number;
    }
  | {
      readonly kind: 'resume';
      readonly direction: Direction;
      readonly actions: readonly ResumeAction[];
      /** `c ADDR` / `s ADDR`: resume at this address instead of the current pc. */
      readonly addr?: bigint;
    }
  | { readonly kind: 'vContQuery' }
  | { readonly kind: 'setThread'; readonly op: 'g' | 'c'; readonly thread: ThreadSelector }
  | { readonly kind: 'threadAlive'; readonly thread: ThreadSelector }
  | { readonly kind: 'currentThread' }
  | { readonly kind: 'threadList'; readonly first: boolean }
  | { readonly kind: 'threadExtraInfo'; readonly thread: ThreadSelector }
  | { readonly kind: 'supported'; readonly features: PeerFeatures }
  | { readonly kind: 'startNoAck' }
  | { readonly kind: 'passSignals'; readonly signals: readonly number[] }
  | { readonly kind: 'attached'; readonly pid?: number }
  | {
      readonly kind: 'xferRead';
      readonly object: string;
      readonly annex: string;
      readonly offset: number;
      readonly length: number;
    }
  | { readonly kind: 'monitor'; readonly command: string }
  | { readonly kind: 'symbol' }
  | { readonly kind: 'extendedMode' }
  | { readonly kind: 'detach'; readonly pid?: number }
  /** `k` (no reply expected) or `vKill;PID` (replied OK). */
  | { readonly kind: 'kill'; readonly pid?: number; readonly reply: boolean }
  /** vRun / vAttach: starting or attaching processes, which a replay cannot do. */
  | { readonly kind: 'spawn'; readonly via: 'vRun' | 'vAttach' }
  | { readonly kind: 'fileSetFs'; readonly pid: number }
  | { readonly kind: 'fileOpen'; readonly path: string; readonly flags: number; readonly mode: number }
  | { readonly kind: 'filePread'; readonly fd: number; readonly count: number; readonly offset: number }
  | { readonly kind: 'filePwrite'; readonly fd: number; readonly offset: number; readonly data: Buffer }
  | { readonly kind: 'fileClose'; readonly fd: number }
  | { readonly kind: 'fileFstat'; readonly fd: number }
  | { readonly kind: 'fileReadlink'; readonly path: string }
  /** A packet this stub does not implement (or whose capability the target lacks): empty reply. */
  | { readonly kind: 'unknown'; readonly packet: string }
  /** A recognised packet with bad arguments: error reply. */
  | { readonly kind: 'malformed'; readonly packet: string; readonly reason: string };

export type RequestKind = GdbRequest['kind'];

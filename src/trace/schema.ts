/**
 * TypeScript shapes of the messages in proto/trace.proto, and the loaded protobufjs types.
 * 64-bit integer fields arrive as numbers: every one of them fits a double (see the schema).
 */
import * as path from 'path';
import * as protobuf from 'protobufjs';

export interface Header {
  version: number;
  rrtsVersion: string;
  argv: string[];
  env: string[];
  cwd: string;
  exePath: string;
  stackLimit: number;
  startTimeMs: number;
  ticks: string;
  stubPage: number;
  pid: number;
  hostname: string;
}

export interface MemWrite { addr: number; data: Uint8Array }
export interface SavedFile { originalPath: string; name: string; size: number }
export interface Mapping { start: number; end: number; perms: string; offset: number; path: string; file?: SavedFile }

export interface SyscallEvent {
  nr: number;
  regs: Uint8Array;
  result: number;
  writes: MemWrite[];
  stdioFd?: number;
  stdioData?: Uint8Array;
  mappedFile?: SavedFile;
  unsupported?: boolean;
  denied?: boolean;
  interrupted?: boolean;
  mappedFileId?: string;
  fileWrite?: { fileId: string; offset: number; data: Uint8Array };
}
export interface SignalEvent { signo: number; siginfo: Uint8Array; regs: Uint8Array; fault?: boolean; atEvent?: boolean }
export interface ExecEvent { regs: Uint8Array; stackTop: number; stack: Uint8Array; maps: Mapping[]; exe: string; exeFile?: SavedFile }
export interface RdtscEvent { rdtscp?: boolean; tsc: Uint8Array; aux: number; regs: Uint8Array }
export interface ExitEvent { code: number; signal: number; core?: boolean }
export interface EndEvent { reason: string }

/** One event; exactly one of the kind fields is set. */
export interface TraceEvent {
  tid: number;
  syscall?: SyscallEvent;
  signal?: SignalEvent;
  exec?: ExecEvent;
  rdtsc?: RdtscEvent;
  exit?: ExitEvent;
  end?: EndEvent;
}

export type EventKind = 'syscall' | 'signal' | 'exec' | 'rdtsc' | 'exit' | 'end';
const KINDS: EventKind[] = ['syscall', 'signal', 'exec', 'rdtsc', 'exit', 'end'];

export function eventKind(e: TraceEvent): EventKind {
  for (const k of KINDS) if (e[k] !== undefined && e[k] !== null) return k;
  throw new Error('event without a kind');
}

export const PROTO_FILE = path.resolve(__dirname, '..', '..', '..', 'proto', 'trace.proto');

let root: protobuf.Root | undefined;
export function messages(): { Header: protobuf.Type; Event: protobuf.Type } {
  root ??= protobuf.loadSync(PROTO_FILE);
  return { Header: root.lookupType('rrts.trace.Header'), Event: root.lookupType('rrts.trace.Event') };
}

/**
 * protobufjs decodes 64-bit fields as Long; our values fit a double. `defaults`: a field that is
 * 0 (syscall 0 is read) must come back as 0, not undefined; unset messages come back null.
 */
export function toPlain<T>(type: protobuf.Type, msg: protobuf.Message): T {
  return type.toObject(msg, { longs: Number, defaults: true, arrays: true }) as T;
}

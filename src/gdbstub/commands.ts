/**
 * Packet recognition: a declarative table from packet name to parser, producing {@link GdbRequest}.
 *
 * A table entry matches either the whole payload (`exact`) or its start (`prefix`); the longest
 * matching name wins, so `vCont?` beats `vCont;` beats nothing. An entry may require a target
 * capability: without it the packet is not recognised at all and gdb gets the empty "unsupported"
 * reply, exactly as if this stub had never heard of it. Parsers are pure and total: they return a
 * request, a string (the reason the packet is malformed → `E` reply), or `null` (not actually this
 * packet → empty reply).
 */
import { fromHex, hexToText, parseHexInt, parseHexU64 } from './encoding';
import { TargetCapabilities } from './features';
import { unescapeBinary } from './packet';
import { GdbRequest, PointType, ResumeAction } from './requests';
import { ThreadSelector, parseThreadId } from './threadIds';
import { WatchKind } from './target';

type ParseResult = GdbRequest | string | null;

interface CommandEntry {
  readonly name: string;
  readonly match: 'exact' | 'prefix';
  /** Capability check; the packet is unknown to targets for which this returns false. */
  readonly requires?: (caps: TargetCapabilities) => boolean;
  /** `args` is the payload after `name` (always '' for exact entries). */
  readonly parse: (args: string, caps: TargetCapabilities) => ParseResult;
}

const MAX_LENGTH = 0x7fffffff;

/** Split `text` at the first `sep`; `null` if absent. */
function cut(text: string, sep: string): [string, string] | null {
  const i = text.indexOf(sep);
  return i < 0 ? null : [text.slice(0, i), text.slice(i + sep.length)];
}

/** Parse `ADDR,LENGTH`. */
function addrLength(text: string): { addr: bigint; length: number } | string {
  const parts = cut(text, ',');
  if (!parts) return 'expected ADDR,LENGTH';
  const addr = parseHexU64(parts[0]);
  const length = parseHexInt(parts[1], MAX_LENGTH);
  if (addr === null) return 'bad address';
  if (length === null) return 'bad length';
  return { addr, length };
}

/** `[ADDR]` argument of c/s, or `SIG[;ADDR]` of C/S. */
function resumePacket(action: 'continue' | 'step', withSignal: boolean, args: string): ParseResult {
  let signal: number | undefined;
  let rest = args;
  if (withSignal) {
    const parts = cut(args, ';') ?? [args, ''];
    const sig = parseHexInt(parts[0], 0xff);
    if (sig === null) return 'bad signal number';
    signal = sig;
    rest = parts[1];
  }
  let addr: bigint | undefined;
  if (rest !== '') {
    const parsed = parseHexU64(rest);
    if (parsed === null) return 'bad resume address';
    addr = parsed;
  }
  const act: ResumeAction = signal ? { action, signal } : { action };
  return { kind: 'resume', direction: 'forward', actions: [act], ...(addr !== undefined ? { addr } : {}) };
}

function parseVContAction(text: string): ResumeAction | string {
  const parts = cut(text, ':');
  const head = parts ? parts[0] : text;
  let thread: ThreadSelector | undefined;
  if (parts) {
    const parsed = parseThreadId(parts[1]);
    if (!parsed) return `bad thread id in vCont action '${text}'`;
    thread = parsed;
  }
  const withThread = <T extends object>(a: T) => (thread ? { ...a, thread } : a);
  const op = head[0];
  const arg = head.slice(1);
  switch (op) {
    case 'c':
    case 's':
    case 't':
      if (arg !== '') return `unexpected argument to vCont ${op}`;
      return withThread({ action: op === 'c' ? 'continue' : op === 's' ? 'step' : 'stop' } as const);
    case 'C':
    case 'S': {
      const signal = parseHexInt(arg, 0xff);
      if (signal === null) return `bad signal in vCont ${op}`;
      return withThread({ action: op === 'C' ? 'continue' : 'step', signal } as const);
    }
    case 'r': {
      const range = cut(arg, ',');
      const start = range && parseHexU64(range[0]);
      const end = range && parseHexU64(range[1]);
      if (start === null || end === null || !range) return 'bad vCont range';
      return withThread({ action: 'step', range: { start, end } } as const);
    }
    default:
      return `unsupported vCont action '${head}'`;
  }
}

function parseVCont(args: string): ParseResult {
  if (args === '') return 'vCont without actions';
  const actions: ResumeAction[] = [];
  for (const text of args.split(';')) {
    const action = parseVContAction(text);
    if (typeof action === 'string') return action;
    actions.push(action);
  }
  return { kind: 'resume', direction: 'forward', actions };
}

const POINT_TYPES: readonly PointType[] = ['sw', 'hw', 'write', 'read', 'access'];
const WATCH_KIND: Partial<Record<PointType, WatchKind>> = { write: 'write', read: 'read', access: 'access' };

function pointSupported(type: PointType, caps: TargetCapabilities): boolean {
  if (type === 'sw') return caps.breakpoints;
  if (type === 'hw') return caps.hwBreakpoints;
  return caps.watchKinds.has(WATCH_KIND[type]!);
}

function parsePoint(op: 'insert' | 'remove', args: string, caps: TargetCapabilities): ParseResult {
  const fields = args.split(',');
  const typeNum = parseHexInt(fields[0] ?? '', 0xff);
  if (typeNum === null) return 'bad breakpoint type';
  const type = POINT_TYPES[typeNum];
  if (type === undefined || !pointSupported(type, caps)) return null;
  if (fields.length !== 3) return 'expected TYPE,ADDR,KIND (target-side conditions are not supported)';
  const addr = parseHexU64(fields[1]);
  const length = parseHexInt(fields[2], MAX_LENGTH);
  if (addr === null) return 'bad address';
  if (length === null) return 'bad kind/length';
  return { kind: 'point', op, type, addr, length };
}

function parseSupported(args: string): ParseResult {
  if (args !== '' && !args.startsWith(':')) return null;
  const features = new Map<string, boolean | string>();
  for (const item of args.slice(1).split(';')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq >= 0) features.set(item.slice(0, eq), item.slice(eq + 1));
    else if (item.endsWith('+')) features.set(item.slice(0, -1), true);
    else if (item.endsWith('-') || item.endsWith('?')) features.set(item.slice(0, -1), false);
    else features.set(item, true);
  }
  return { kind: 'supported', features };
}

const XFER_REQUIRES: Record<string, (caps: TargetCapabilities) => boolean> = {
  features: () => true,
  threads: () => true,
  auxv: (c) => c.auxv,
  'exec-file': (c) => c.execFile,
  siginfo: (c) => c.siginfo,
};

function parseXfer(args: string, caps: TargetCapabilities): ParseResult {
  // OBJECT:read:ANNEX:OFFSET,LENGTH (annexes never contain ':')
  const fields = args.split(':');
  if (fields.length < 2) return 'expected qXfer:OBJECT:OP:...';
  const [object, op] = fields;
  const requires = Object.prototype.hasOwnProperty.call(XFER_REQUIRES, object) ? XFER_REQUIRES[object] : undefined;
  if (op !== 'read' || !requires || !requires(caps)) return null;
  if (fields.length !== 4) return 'expected qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH';
  const range = cut(fields[3], ',');
  const offset = range && parseHexInt(range[0], MAX_LENGTH);
  const length = range && parseHexInt(range[1], MAX_LENGTH);
  if (offset === null || length === null || !range) return 'bad qXfer offset/length';
  return { kind: 'xferRead', object, annex: fields[2], offset, length };
}

function parsePid(text: string): number | string {
  const pid = parseHexInt(text);
  return pid === null ? 'bad pid' : pid;
}

function threadArg(kind: 'threadAlive' | 'threadExtraInfo', args: string): ParseResult {
  const thread = parseThreadId(args);
  return thread ? { kind, thread } : 'bad thread id';
}

/** vFile:OP:ARG,ARG,... with hex arguments. */
function fileArgs(args: string, count: number): number[] | string {
  const fields = args.split(',');
  if (fields.length !== count) return `expected ${count} arguments`;
  const values = fields.map((f) => parseHexInt(f, Number.MAX_SAFE_INTEGER));
  return values.some((v) => v === null) ? 'bad numeric argument' : (values as number[]);
}

const hostIo = (c: TargetCapabilities) => c.hostIo;

const TABLE: readonly CommandEntry[] = [
  { name: '?', match: 'exact', parse: () => ({ kind: 'haltReason' }) },
  { name: 'g', match: 'exact', parse: () => ({ kind: 'readRegisters' }) },
  {
    name: 'G', match: 'prefix',
    parse: (args) => {
      const data = fromHex(args);
      return data ? { kind: 'writeRegisters', data } : 'register data is not hex';
    },
  },
  {
    name: 'p', match: 'prefix',
    parse: (args) => {
      const regnum = parseHexInt(args, 0xffff);
      return regnum === null ? 'bad register number' : { kind: 'readRegister', regnum };
    },
  },
  {
    name: 'P', match: 'prefix',
    parse: (args) => {
      const parts = cut(args, '=');
      const regnum = parts && parseHexInt(parts[0], 0xffff);
      const value = parts && fromHex(parts[1]);
      if (regnum === null || !parts) return 'bad register number';
      return value && value.length > 0 ? { kind: 'writeRegister', regnum, value } : 'register value is not hex';
    },
  },
  {
    name: 'm', match: 'prefix',
    parse: (args) => {
      const r = addrLength(args);
      return typeof r === 'string' ? r : { kind: 'readMemory', ...r };
    },
  },
  {
    name: 'M', match: 'prefix',
    parse: (args) => {
      const parts = cut(args, ':');
      if (!parts) return 'expected ADDR,LENGTH:DATA';
      const r = addrLength(parts[0]);
      if (typeof r === 'string') return r;
      const data = fromHex(parts[1]);
      if (!data || data.length !== r.length) return 'data does not match length';
      return { kind: 'writeMemory', addr: r.addr, data };
    },
  },
  {
    name: 'X', match: 'prefix',
    parse: (args) => {
      const parts = cut(args, ':');
      if (!parts) return 'expected ADDR,LENGTH:DATA';
      const r = addrLength(parts[0]);
      if (typeof r === 'string') return r;
      const data = unescapeBinary(Buffer.from(parts[1], 'latin1'));
      if (!data || data.length !== r.length) return 'data does not match length';
      return { kind: 'writeMemory', addr: r.addr, data };
    },
  },
  { name: 'Z', match: 'prefix', parse: (args, caps) => parsePoint('insert', args, caps) },
  { name: 'z', match: 'prefix', parse: (args, caps) => parsePoint('remove', args, caps) },
  { name: 'c', match: 'prefix', parse: (args) => resumePacket('continue', false, args) },
  { name: 'C', match: 'prefix', parse: (args) => resumePacket('continue', true, args) },
  { name: 's', match: 'prefix', parse: (args) => resumePacket('step', false, args) },
  { name: 'S', match: 'prefix', parse: (args) => resumePacket('step', true, args) },
  {
    name: 'bc', match: 'exact', requires: (c) => c.reverseContinue,
    parse: () => ({ kind: 'resume', direction: 'backward', actions: [{ action: 'continue' }] }),
  },
  {
    name: 'bs', match: 'exact', requires: (c) => c.reverseStep,
    parse: () => ({ kind: 'resume', direction: 'backward', actions: [{ action: 'step' }] }),
  },
  { name: 'vCont?', match: 'exact', parse: () => ({ kind: 'vContQuery' }) },
  { name: 'vCont;', match: 'prefix', parse: parseVCont },
  {
    name: 'H', match: 'prefix',
    parse: (args) => {
      const op = args[0];
      if (op !== 'g' && op !== 'c') return null;
      const thread = parseThreadId(args.slice(1));
      return thread ? { kind: 'setThread', op, thread } : 'bad thread id';
    },
  },
  { name: 'T', match: 'prefix', parse: (args) => threadArg('threadAlive', args) },
  { name: 'qThreadExtraInfo,', match: 'prefix', parse: (args) => threadArg('threadExtraInfo', args) },
  { name: 'qC', match: 'exact', parse: () => ({ kind: 'currentThread' }) },
  { name: 'qfThreadInfo', match: 'exact', parse: () => ({ kind: 'threadList', first: true }) },
  { name: 'qsThreadInfo', match: 'exact', parse: () => ({ kind: 'threadList', first: false }) },
  { name: 'qSupported', match: 'prefix', parse: parseSupported },
  { name: 'QStartNoAckMode', match: 'exact', parse: () => ({ kind: 'startNoAck' }) },
  {
    name: 'QPassSignals:', match: 'prefix',
    parse: (args) => {
      const signals = args === '' ? [] : args.split(';').filter((s) => s !== '').map((s) => parseHexInt(s, 0xff));
      return signals.some((s) => s === null) ? 'bad signal number' : { kind: 'passSignals', signals: signals as number[] };
    },
  },
  {
    name: 'qAttached', match: 'prefix',
    parse: (args) => {
      if (args === '') return { kind: 'attached' };
      if (!args.startsWith(':')) return null;
      const pid = parsePid(args.slice(1));
      return typeof pid === 'string' ? pid : { kind: 'attached', pid };
    },
  },
  { name: 'qXfer:', match: 'prefix', parse: parseXfer },
  {
    name: 'qRcmd,', match: 'prefix', requires: (c) => c.monitor,
    parse: (args) => {
      const command = hexToText(args);
      return command === null ? 'command is not hex' : { kind: 'monitor', command };
    },
  },
  { name: 'qSymbol:', match: 'prefix', parse: () => ({ kind: 'symbol' }) },
  { name: '!', match: 'exact', parse: () => ({ kind: 'extendedMode' }) },
  {
    name: 'D', match: 'prefix',
    parse: (args) => {
      if (args === '') return { kind: 'detach' };
      if (!args.startsWith(';')) return 'expected D or D;PID';
      const pid = parsePid(args.slice(1));
      return typeof pid === 'string' ? pid : { kind: 'detach', pid };
    },
  },
  { name: 'k', match: 'exact', parse: () => ({ kind: 'kill', reply: false }) },
  {
    name: 'vKill;', match: 'prefix',
    parse: (args) => {
      const pid = parsePid(args);
      return typeof pid === 'string' ? pid : { kind: 'kill', pid, reply: true };
    },
  },
  { name: 'vRun;', match: 'prefix', parse: () => ({ kind: 'spawn', via: 'vRun' }) },
  { name: 'vAttach;', match: 'prefix', parse: () => ({ kind: 'spawn', via: 'vAttach' }) },
  {
    name: 'vFile:setfs:', match: 'prefix', requires: hostIo,
    parse: (args) => {
      const pid = parsePid(args);
      return typeof pid === 'string' ? pid : { kind: 'fileSetFs', pid };
    },
  },
  {
    name: 'vFile:open:', match: 'prefix', requires: hostIo,
    parse: (args) => {
      const fields = args.split(',');
      if (fields.length !== 3) return 'expected PATH,FLAGS,MODE';
      const path = hexToText(fields[0]);
      const flags = parseHexInt(fields[1]);
      const mode = parseHexInt(fields[2]);
      if (path === null || flags === null || mode === null) return 'bad vFile:open argument';
      return { kind: 'fileOpen', path, flags, mode };
    },
  },
  {
    name: 'vFile:pread:', match: 'prefix', requires: hostIo,
    parse: (args) => {
      const v = fileArgs(args, 3);
      return typeof v === 'string' ? v : { kind: 'filePread', fd: v[0], count: v[1], offset: v[2] };
    },
  },
  {
    name: 'vFile:pwrite:', match: 'prefix', requires: hostIo,
    parse: (args) => {
      // FD,OFFSET,DATA where DATA is escaped binary and may itself contain commas.
      const first = cut(args, ',');
      const second = first && cut(first[1], ',');
      if (!first || !second) return 'expected FD,OFFSET,DATA';
      const fd = parseHexInt(first[0]);
      const offset = parseHexInt(second[0], Number.MAX_SAFE_INTEGER);
      const data = unescapeBinary(Buffer.from(second[1], 'latin1'));
      if (fd === null || offset === null || data === null) return 'bad vFile:pwrite argument';
      return { kind: 'filePwrite', fd, offset, data };
    },
  },
  {
    name: 'vFile:close:', match: 'prefix', requires: hostIo,
    parse: (args) => {
      const v = fileArgs(args, 1);
      return typeof v === 'string' ? v : { kind: 'fileClose', fd: v[0] };
    },
  },
  {
    name: 'vFile:fstat:', match: 'prefix', requires: hostIo,
    parse: (args) => {
      const v = fileArgs(args, 1);
      return typeof v === 'string' ? v : { kind: 'fileFstat', fd: v[0] };
    },
  },
  {
    name: 'vFile:readlink:', match: 'prefix', requires: hostIo,
    parse: (args) => {
      const path = hexToText(args);
      return path === null ? 'path is not hex' : { kind: 'fileReadlink', path };
    },
  },
];

/** Entries by descending name length, so the most specific prefix is tried first. */
const BY_SPECIFICITY = [...TABLE].sort((a, b) => b.name.length - a.name.length);

/** Names of every packet the table knows (for documentation and tests). */
export const KNOWN_PACKETS: readonly string[] = TABLE.map((e) => e.name);

/** A short printable rendering of a payload for logs and error kinds. */
export function describePayload(payload: Buffer | string): string {
  const text = typeof payload === 'string' ? payload : payload.toString('latin1');
  const clipped = text.length > 64 ? text.slice(0, 64) : text;
  const printable = clipped.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return text.length > 64 ? printable + '…' : printable;
}

/** Decode one packet payload (RLE already expanded) into a request. Never throws. */
export function parseCommand(payload: Buffer, caps: TargetCapabilities): GdbRequest {
  const text = payload.toString('latin1');
  for (const entry of BY_SPECIFICITY) {
    const matches = entry.match === 'exact' ? text === entry.name : text.startsWith(entry.name);
    if (!matches) continue;
    if (entry.requires && !entry.requires(caps)) break;
    const result = entry.parse(text.slice(entry.name.length), caps);
    if (result === null) break;
    if (typeof result === 'string') return { kind: 'malformed', packet: describePayload(text), reason: result };
    return result;
  }
  return { kind: 'unknown', packet: describePayload(text) };
}

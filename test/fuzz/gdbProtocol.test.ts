/**
 * Protocol fuzzing: thousands of valid, mutated and garbage packets from a seeded PRNG, sent to a
 * real server over TCP against the fake target. Afterwards the server must still answer, and the
 * target's memory may differ from its initial state only where a well-formed, correctly
 * checksummed M or X packet asked for it. That oracle parses the bytes actually sent, with its own
 * small scanner, independently of the server's codec.
 *
 * Reproduce a failure with FUZZ_SEED=<seed printed in the failure>.
 */
import { strict as assert } from 'assert';
import { GdbServer } from '../../src/gdbstub/server';
import { SessionEnd } from '../../src/gdbstub/session';
import { DATA, FakeTarget, RODATA, STACK, TEXT } from '../unit/gdbstub/fakeTarget';
import { GdbTestClient, frame } from '../unit/gdbstub/gdbClient';

const PACKETS = 5000;
const TIME_BUDGET_MS = 10000;
const SYNC_EVERY = 25;

type Random = () => number;

function rng(seed: number): Random {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (r: Random, n: number) => Math.floor(r() * n);
const pick = <T>(r: Random, items: readonly T[]): T => items[int(r, items.length)];
const hexBytes = (r: Random, n: number) => Buffer.from(Array.from({ length: n }, () => int(r, 256))).toString('hex');
const h = (v: number | bigint) => v.toString(16);

function address(r: Random): bigint {
  const base = pick(r, [TEXT, DATA, DATA, STACK, RODATA, 0n, 0xffffffffffff0000n]);
  return base + BigInt(int(r, 0x1100));
}

function escape(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) out += [0x23, 0x24, 0x7d, 0x2a].includes(b) ? '}' + String.fromCharCode(b ^ 0x20) : String.fromCharCode(b);
  return out;
}

const THREADS = ['p4d2.4d2', 'p4d2.4d3', 'p4d2.-1', '-1', '0', 'p0.0', '4d2', 'p4d2.99', 'p7.1'];

/** A syntactically plausible packet body, valid most of the time. */
function validBody(r: Random): string {
  const roll = int(r, 40);
  switch (roll) {
    case 0: return '?';
    case 1: return 'g';
    case 2: return 'qC';
    case 3: return pick(r, ['qfThreadInfo', 'qsThreadInfo', 'vCont?', 'qTStatus', 'vMustReplyEmpty', 'qOffsets']);
    case 4: return 'qSupported:' + pick(r, ['multiprocess+;swbreak+;hwbreak+', 'swbreak+', '', 'xmlRegisters=i386']);
    case 5: return 'QStartNoAckMode';
    case 6: return `qXfer:${pick(r, ['features', 'threads', 'auxv', 'exec-file', 'siginfo', 'libraries'])}:read:${pick(r, ['', 'target.xml', '4d2'])}:${h(int(r, 0x2000))},${h(int(r, 0x2000))}`;
    case 7: return `p${h(int(r, 80))}`;
    case 8: return `P${h(int(r, 80))}=${hexBytes(r, pick(r, [4, 8, 10, 16]))}`;
    case 9: return `G${hexBytes(r, int(r, 820))}`;
    case 10: case 11: return `m${h(address(r))},${h(int(r, 0x300))}`;
    case 12: case 13: case 14: {
      const n = int(r, 48);
      return `M${h(address(r))},${h(n)}:${hexBytes(r, r() < 0.9 ? n : int(r, 48))}`;
    }
    case 15: case 16: {
      const data = Buffer.from(hexBytes(r, int(r, 48)), 'hex');
      return `X${h(address(r))},${h(r() < 0.9 ? data.length : int(r, 48))}:${escape(data)}`;
    }
    case 17: case 18: return `${pick(r, ['Z', 'z'])}${int(r, 6)},${h(pick(r, [TEXT + BigInt(4 * int(r, 64)), address(r)]))},${h(pick(r, [1, 4, 8]))}`;
    case 19: return pick(r, ['c', 's', 'vCont;c', 'vCont;s:p4d2.4d2;c', `vCont;r${h(TEXT)},${h(TEXT + 0x40n)}:p4d2.4d2;c`, 'C05', 'S0b', 'vCont;C1e:p4d2.4d3;c']);
    case 20: return pick(r, ['bc', 'bs', `c${h(TEXT + BigInt(4 * int(r, 64)))}`, 'vCont;t']);
    case 21: return `H${pick(r, ['g', 'c'])}${pick(r, THREADS)}`;
    case 22: return `T${pick(r, THREADS)}`;
    case 23: return `qThreadExtraInfo,${pick(r, THREADS)}`;
    case 24: return `qRcmd,${Buffer.from(pick(r, ['echo fuzz', 'when', 'big', 'fail', 'nonsense'])).toString('hex')}`;
    case 25: return `vFile:open:${Buffer.from(pick(r, ['/fake/bin/prog', '/etc/passwd', ''])).toString('hex')},${h(int(r, 0x1000))},${h(int(r, 0o777))}`;
    case 26: return pick(r, [`vFile:pread:${h(int(r, 6))},${h(int(r, 0x1000))},0`, `vFile:close:${h(int(r, 6))}`, `vFile:fstat:${h(int(r, 6))}`, 'vFile:setfs:0']);
    case 27: return `QPassSignals:${Array.from({ length: int(r, 4) }, () => h(int(r, 64))).join(';')}`;
    case 28: return pick(r, ['qAttached', 'qAttached:4d2', 'qSymbol::', '!', 'vRun;', 'vAttach;4d2']);
    case 29: return r() < 0.1 ? pick(r, ['D', 'k', 'vKill;4d2', 'D;4d2']) : 'qC';
    default: return pick(r, ['m401000,10', `m${h(DATA)},20`, 'p10', 'qC', '?', 'g']);
  }
}

function mutate(r: Random, body: string): string {
  const chars = [...body];
  const rounds = 1 + int(r, 3);
  for (let i = 0; i < rounds; i++) {
    const at = int(r, chars.length + 1);
    switch (int(r, 6)) {
      case 0: if (chars.length) chars[Math.min(at, chars.length - 1)] = String.fromCharCode(int(r, 256)); break;
      case 1: chars.splice(at, 0, ...Array.from({ length: 1 + int(r, 4) }, () => String.fromCharCode(int(r, 256)))); break;
      case 2: chars.splice(at, 1 + int(r, 4)); break;
      case 3: chars.splice(at, 0, ...chars.slice(at, at + int(r, 8))); break;
      case 4: {
        const j = int(r, chars.length);
        if (chars.length) [chars[Math.min(at, chars.length - 1)], chars[j]] = [chars[j], chars[Math.min(at, chars.length - 1)]];
        break;
      }
      case 5: chars.splice(at, 0, pick(r, ['*', '}', ',', ':', ';', '=', '-1', 'ffffffffffffffffff'])); break;
    }
  }
  return chars.join('');
}

function checksumHex(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum = (sum + body.charCodeAt(i)) & 0xff;
  return sum.toString(16).padStart(2, '0');
}

/** One unit of traffic: a valid frame, a mutated one, garbage, or a lone control byte. */
function generate(r: Random): string {
  const roll = r();
  if (roll < 0.55) {
    const body = validBody(r);
    return `$${body}#${checksumHex(body)}`;
  }
  if (roll < 0.85) {
    const original = validBody(r);
    const body = mutate(r, original);
    const sum = pick(r, [checksumHex(body), checksumHex(body), checksumHex(original), hexBytes(r, 1), 'zz']);
    const framed = `$${body}#${sum}`;
    return r() < 0.1 ? framed.slice(int(r, 2), framed.length - int(r, 3)) : framed;
  }
  if (roll < 0.93) return Array.from({ length: 1 + int(r, 40) }, () => String.fromCharCode(int(r, 256))).join('');
  return pick(r, ['\x03', '+', '-', '\x03\x03', '++']);
}

/** Oracle: the M/X writes any checksum-valid frame in `stream` could have asked for. */
function allowedWrites(stream: string): Set<string> {
  const allowed = new Set<string>();
  for (const m of stream.matchAll(/\$([^$#]*)#([0-9a-fA-F]{2})/g)) {
    if (checksumHex(m[1]) !== m[2].toLowerCase()) continue;
    const body = expandRle(m[1]);
    if (body === null) continue;
    const mm = /^M([0-9a-fA-F]+),([0-9a-fA-F]+):([0-9a-fA-F]*)$/.exec(body);
    if (mm) allowed.add(`${BigInt('0x' + mm[1]).toString(16)}:${mm[3].toLowerCase()}`);
    const mx = /^X([0-9a-fA-F]+),([0-9a-fA-F]+):([\s\S]*)$/.exec(body);
    if (mx) {
      const bytes: number[] = [];
      for (let i = 0; i < mx[3].length; i++) {
        const c = mx[3].charCodeAt(i);
        bytes.push(c === 0x7d ? mx[3].charCodeAt(++i) ^ 0x20 : c);
      }
      allowed.add(`${BigInt('0x' + mx[1]).toString(16)}:${Buffer.from(bytes).toString('hex')}`);
    }
  }
  return allowed;
}

function expandRle(body: string): string | null {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== '*') {
      out += body[i];
      continue;
    }
    if (!out || i + 1 >= body.length) return null;
    const n = body.charCodeAt(++i) - 29;
    if (n < 1 || n > 255) return null;
    out += out[out.length - 1].repeat(n);
  }
  return out;
}

describe('gdb protocol fuzz', function () {
  this.timeout(60000);

  it(`keeps answering and leaves the target intact over ${PACKETS} random and mutated packets`, async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 0x5eed);
    const r = rng(seed);
    const target = new FakeTarget();
    const ends: SessionEnd[] = [];
    const errors: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (m: string) => errors.push(m) };
    const server = new GdbServer(target, { logger, onSessionEnd: (e) => ends.push(e) });
    const port = await server.listen();
    const memoryBefore = target.snapshotMemory();
    const streams: string[] = [];
    let client: GdbTestClient | undefined;
    let stream = '';
    let sent = 0;
    let syncs = 0;
    let reconnects = 0;

    const connect = async (): Promise<GdbTestClient> => {
      for (let attempt = 0; ; attempt++) {
        const c = await GdbTestClient.connect(port);
        c.ackMode = false;
        // A refused connection (previous session still open on the server) is closed at once.
        await new Promise((resolve) => setTimeout(resolve, 2));
        if (!c.isClosed) return c;
        assert.ok(attempt < 200, 'server never accepted a new connection');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    /** Wait until the server has answered everything sent so far (an m of a known length). */
    const sync = async (c: GdbTestClient): Promise<boolean> => {
      const length = (syncs++ % 15) + 1;
      const expected = target.regions.find((reg) => reg.start === RODATA)!.data.subarray(0, length).toString('hex');
      const body = `m${h(RODATA)},${h(length)}`;
      c.send(body);
      stream += frame(body).toString('latin1');
      for (;;) {
        let reply: string;
        try {
          reply = await c.next(3000);
        } catch (err) {
          if (c.isClosed) return false;
          throw new Error(`seed ${seed}: server stopped answering after ${sent} packets (${(err as Error).message})`);
        }
        if (reply === expected) return true;
      }
    };
    const fail = (msg: string) => `seed ${seed}: ${msg}`;

    try {
      const deadline = Date.now() + TIME_BUDGET_MS;
      while (sent < PACKETS && Date.now() < deadline) {
        if (!client || client.isClosed) {
          if (client) {
            streams.push(stream);
            reconnects++;
          }
          stream = '';
          client = await connect();
        }
        const bytes = generate(r);
        client.sendRaw(bytes);
        stream += bytes;
        sent++;
        if (sent % SYNC_EVERY === 0) await sync(client);
      }
      assert.ok(sent >= PACKETS / 5, fail(`only ${sent} packets in the time budget`));

      // The server must still be fully functional, on this connection or a fresh one.
      if (client && !client.isClosed && !(await sync(client))) client = undefined;
      if (!client || client.isClosed) {
        if (client) streams.push(stream);
        stream = '';
        client = await connect();
      }
      client.send('qSupported:multiprocess+;swbreak+');
      stream += frame('qSupported:multiprocess+;swbreak+').toString('latin1');
      let features = await client.next();
      while (!features.startsWith('PacketSize=')) features = await client.next();
      const halt = await client.request('?');
      stream += frame('?').toString('latin1');
      assert.match(halt, /^(T[0-9a-f]{2}(\w+:[0-9a-z.-]*;)*|W[0-9a-f]{2}(;process:[0-9a-f]+)?|X[0-9a-f]{2}.*)$/, fail(`bad ? reply ${halt}`));
      const qc = await client.request('qC');
      stream += frame('qC').toString('latin1');
      assert.match(qc, /^QCp4d2\.[0-9a-f]+$/, fail(`bad qC reply ${qc}`));
      streams.push(stream);
      await client.close();
      await new Promise<void>((resolve) => {
        const check = () => (server.state === 'disconnected' ? resolve() : setTimeout(check, 5));
        check();
      });
    } finally {
      client?.socket.destroy();
      await server.close();
    }

    // Every write the target saw was asked for by a valid M/X frame on the wire.
    const allowed = new Set(streams.flatMap((s) => [...allowedWrites(s)]));
    for (const w of target.memoryWrites) {
      const key = `${w.addr.toString(16)}:${w.data.toString('hex')}`;
      assert.ok(allowed.has(key), fail(`unexpected memory write ${key}`));
    }
    // Memory outside those writes is byte-identical to the start.
    for (const region of target.regions) {
      const before = memoryBefore.get(region.start)!;
      const touched = new Uint8Array(region.data.length);
      for (const w of target.memoryWrites) {
        for (let i = 0; i < w.data.length; i++) {
          const off = Number(w.addr - region.start) + i;
          if (off >= 0 && off < touched.length) touched[off] = 1;
        }
      }
      for (let i = 0; i < region.data.length; i++) {
        if (!touched[i]) assert.equal(region.data[i], before[i], fail(`byte at 0x${(region.start + BigInt(i)).toString(16)} changed`));
      }
    }
    assert.deepEqual(target.regions.find((reg) => reg.start === RODATA)!.data, memoryBefore.get(RODATA));
    // Breakpoints and watchpoints the sessions left behind were removed when they ended.
    assert.equal(target.swBreaks.size + target.hwBreaks.size + target.watches.length, 0, fail('leftover breakpoints'));
    assert.deepEqual(errors, [], fail('server logged errors'));
    assert.ok(target.memoryWrites.length > 10, fail('the fuzzer exercised too few writes'));
    assert.ok(syncs > PACKETS / SYNC_EVERY / 5, fail('too few sync points'));
    console.log(`      fuzz seed ${seed}: ${sent} packets, ${syncs} syncs, ${reconnects} reconnects, ${ends.length} sessions, ${target.memoryWrites.length} writes, ${target.resumes.length} resumes`);
  });
});

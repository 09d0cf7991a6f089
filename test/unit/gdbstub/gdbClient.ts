/**
 * A tiny gdb-side client for tests. Its frame decoder is written independently of
 * src/gdbstub/packet.ts (so a bug shared by encoder and decoder cannot hide), verifies every
 * checksum it receives, and expands run-length encoding the way gdb's read_frame does.
 */
import * as net from 'net';

export function frame(body: string | Buffer): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return Buffer.concat([Buffer.from('$'), bytes, Buffer.from('#' + sum.toString(16).padStart(2, '0'))]);
}

export function hex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

export class GdbTestClient {
  /** Packets received and not yet consumed, RLE-expanded, as latin1 strings. */
  private readonly inbox: string[] = [];
  private waiter: (() => void) | undefined;
  private buffer = Buffer.alloc(0);
  private ended = false;
  /** Acks and naks the server sent us. */
  acks = 0;
  naks = 0;
  /** Send '+' for every packet received (gdb does until QStartNoAckMode). */
  ackMode = true;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        this.waiter?.();
        resolve();
      });
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<GdbTestClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => resolve(new GdbTestClient(socket)));
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.ended;
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      let i = 0;
      while (i < this.buffer.length && this.buffer[i] !== 0x24) {
        if (this.buffer[i] === 0x2b) this.acks++;
        else if (this.buffer[i] === 0x2d) this.naks++;
        i++;
      }
      const hash = this.buffer.indexOf(0x23, i);
      if (i >= this.buffer.length || hash < 0 || hash + 2 >= this.buffer.length) {
        this.buffer = this.buffer.subarray(i);
        break;
      }
      const raw = this.buffer.subarray(i + 1, hash);
      const sent = parseInt(this.buffer.subarray(hash + 1, hash + 3).toString('latin1'), 16);
      let sum = 0;
      for (const b of raw) sum = (sum + b) & 0xff;
      if (sum !== sent) throw new Error(`server sent a bad checksum for ${raw.toString('latin1')}`);
      this.buffer = this.buffer.subarray(hash + 3);
      if (this.ackMode) this.socket.write('+');
      this.inbox.push(expandRle(raw).toString('latin1'));
      this.waiter?.();
    }
  }

  sendRaw(bytes: Buffer | string): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  send(body: string | Buffer): void {
    this.sendRaw(frame(body));
  }

  interrupt(): void {
    this.sendRaw(Buffer.from([3]));
  }

  /** The next packet from the server (waiting up to `timeoutMs`). */
  async next(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      if (this.ended) throw new Error('connection closed while waiting for a packet');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a packet');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.inbox.shift()!;
  }

  /** True if a packet is already waiting. */
  get hasPending(): boolean {
    return this.inbox.length > 0;
  }

  async request(body: string | Buffer, timeoutMs?: number): Promise<string> {
    this.send(body);
    return this.next(timeoutMs);
  }

  /** Send a request and collect console (`O`) packets until the final reply. */
  async requestWithConsole(body: string): Promise<{ console: string; reply: string }> {
    this.send(body);
    let console = '';
    for (;;) {
      const p = await this.next();
      if (p.startsWith('O') && p !== 'OK') console += Buffer.from(p.slice(1), 'hex').toString('utf8');
      else return { console, reply: p };
    }
  }

  /** Negotiate like gdb 13 does at connection time. */
  async handshake(noAck = true): Promise<string> {
    this.sendRaw('+');
    const features = await this.request(
      'qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;' +
        'exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;xmlRegisters=i386',
    );
    if (noAck) {
      const ok = await this.request('QStartNoAckMode');
      if (ok !== 'OK') throw new Error(`QStartNoAckMode → ${ok}`);
      this.ackMode = false;
    }
    return features;
  }

  close(): Promise<void> {
    this.socket.end();
    return this.closed;
  }
}

/** gdb's RLE expansion: `X*c` → X repeated (c - 29) more times. */
function expandRle(raw: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x2a && out.length > 0 && i + 1 < raw.length) {
      const n = raw[++i] - 29;
      for (let k = 0; k < n; k++) out.push(out[out.length - 1]);
    } else {
      out.push(raw[i]);
    }
  }
  return Buffer.from(out);
}

/** Unescape binary data (`}` + byte^0x20). */
export function unescape(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(bytes[i] === 0x7d ? bytes[++i] ^ 0x20 : bytes[i]);
  return Buffer.from(out);
}

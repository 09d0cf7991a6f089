/**
 * Shared fixture for the server tests: a GdbServer on an ephemeral 127.0.0.1 port over a fresh
 * FakeTarget, test clients that are cleaned up afterwards, and stop-reply helpers.
 */
import { strict as assert } from 'assert';
import { GdbServer } from '../../../src/gdbstub/server';
import { SessionEnd } from '../../../src/gdbstub/session';
import { FakeOptions, FakeTarget } from './fakeTarget';
import { GdbTestClient } from './gdbClient';

export interface Fixture {
  server: GdbServer;
  target: FakeTarget;
  port: number;
  ends: SessionEnd[];
  connect(): Promise<GdbTestClient>;
}

export async function withServer(options: FakeOptions, body: (f: Fixture) => Promise<void>): Promise<void> {
  const target = new FakeTarget(options);
  const ends: SessionEnd[] = [];
  const server = new GdbServer(target, { onSessionEnd: (end) => ends.push(end) });
  const port = await server.listen();
  const clients: GdbTestClient[] = [];
  try {
    await body({
      server, target, port, ends,
      connect: async () => {
        const c = await GdbTestClient.connect(port);
        clients.push(c);
        return c;
      },
    });
  } finally {
    for (const c of clients) c.socket.destroy();
    await server.close();
  }
}

/** Connect and negotiate like gdb (multiprocess, swbreak, no-ack). */
export async function gdb(f: Fixture): Promise<GdbTestClient> {
  const c = await f.connect();
  await c.handshake();
  return c;
}

export function le64(value: bigint): string {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(value);
  return b.toString('hex');
}

/** Parse a T stop reply into its signal and fields. */
export function parseStop(reply: string): { signal: number; fields: Map<string, string> } {
  assert.match(reply, /^T[0-9a-f]{2}/);
  const fields = new Map<string, string>();
  for (const part of reply.slice(3).split(';').filter(Boolean)) {
    const i = part.indexOf(':');
    fields.set(part.slice(0, i), part.slice(i + 1));
  }
  return { signal: parseInt(reply.slice(1, 3), 16), fields };
}

export async function until(cond: () => boolean, what: string, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * One gdb connection: the transport state machine between the socket and the dispatcher.
 *
 *   idle ──(resume packet)──▶ running ──(0x03)──▶ interrupted
 *    ▲                          │                     │
 *    └────(target.resume settles: stop reply sent)◀───┘
 *   any state ──(socket closed / detach / kill / fatal)──▶ disconnected
 *
 * Bytes are decoded as they arrive, even while a resume is pending, so an interrupt reaches the
 * target at once. Packets are acknowledged on receipt (until no-ack mode) and executed strictly
 * one at a time, in order. Nothing here throws to the socket: a failing handler becomes an `Exx`
 * reply; only a fatal TargetError (or a protocol flood) closes the connection.
 */
import { Duplex } from 'stream';
import { parseCommand, describePayload } from './commands';
import {
  AfterReply, DispatchContext, ReplyBody, errorMessage, errorReply, isFatal,
} from './context';
import { dispatch } from './dispatcher';
import { DEFAULT_NEGOTIATED, Negotiated, TargetCapabilities, capabilitiesOf } from './features';
import { HostIoSession } from './hostIo';
import { GdbLogger } from './logger';
import { PacketDecoder, PacketEvent, encodePacket } from './packet';
import { PointType } from './requests';
import { GdbTarget, ResumeRequest, StopReason } from './target';
import { ANY_THREAD, ThreadSelector } from './threadIds';

export type SessionState = 'idle' | 'running' | 'interrupted' | 'disconnected';

/** Why a session ended. `disconnect`: gdb went away without detaching or killing. */
export interface SessionEnd {
  readonly reason: 'detach' | 'kill' | 'disconnect' | 'fatal' | 'closed';
  readonly error?: Error;
}

export interface SessionOptions {
  readonly logger: GdbLogger;
  readonly packetSize: number;
}

type QueueItem = { readonly payload: Buffer } | { readonly corrupt: string };

/** Stop reading the socket when this many packets wait (never while running: Ctrl-C must get in). */
const PAUSE_QUEUE = 1024;
const RESUME_QUEUE = 64;
/** A peer that queues this many packets is not gdb; drop it. */
const MAX_QUEUE = 65536;
/** Consecutive NAKs of the same packet before we stop retransmitting it. */
const MAX_RETRANSMITS = 3;
/** How long a hung-up connection may take to flush its last reply before it is destroyed. */
const HANGUP_GRACE_MS = 1000;

export class GdbSession implements DispatchContext {
  readonly caps: TargetCapabilities;
  readonly hostIo: HostIoSession | undefined;
  readonly logger: GdbLogger;
  readonly packetSize: number;
  /** Resolves once the connection is gone and per-connection cleanup is done. */
  readonly ended: Promise<SessionEnd>;

  negotiated: Negotiated = DEFAULT_NEGOTIATED;
  extendedMode = false;
  passSignals: ReadonlySet<number> = new Set();
  queryThread: ThreadSelector = ANY_THREAD;
  continueThread: ThreadSelector = ANY_THREAD;
  lastStopTid: number | undefined;

  private stateValue: SessionState = 'idle';
  private readonly decoder: PacketDecoder;
  private readonly queue: QueueItem[] = [];
  private pumping = false;
  private paused = false;
  private noAck = false;
  private lastFrame: Buffer | undefined;
  private retransmits = 0;
  /** Ctrl-C that arrived while earlier packets were still queued: meant for a resume among them. */
  private interruptPending = false;
  private interruptDelivered = false;
  private closed = false;
  private finishing = false;
  private endReason: SessionEnd['reason'] = 'disconnect';
  private endError: Error | undefined;
  /** Breakpoints/watchpoints gdb inserted and has not removed, keyed `type:addr:length`. */
  private readonly points = new Map<string, { type: PointType; addr: bigint; length: number }>();
  private resolveEnded!: (end: SessionEnd) => void;

  constructor(private readonly socket: Duplex, readonly target: GdbTarget, options: SessionOptions) {
    this.logger = options.logger;
    this.packetSize = options.packetSize;
    this.caps = capabilitiesOf(target);
    this.hostIo = target.hostIo ? new HostIoSession(target.hostIo, target.pid) : undefined;
    this.decoder = new PacketDecoder(options.packetSize);
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onDisconnect());
    socket.on('close', () => this.onDisconnect());
    socket.on('error', (err) => {
      this.logger.warn(`gdb connection error: ${err.message}`);
      this.onDisconnect();
    });
  }

  get state(): SessionState {
    return this.stateValue;
  }

  /** End the session from the outside (server shutdown). */
  close(): void {
    if (this.closed) return;
    this.endReason = 'closed';
    this.socket.destroy();
    this.onDisconnect();
  }

  // ---- DispatchContext hooks ----

  async runTarget(request: ResumeRequest): Promise<{ stop: StopReason; interrupted: boolean }> {
    // Nobody would see the stop: do not move the debuggee for a gdb that already left.
    if (this.closed) throw new Error('gdb disconnected before the resume started');
    this.stateValue = 'running';
    this.interruptDelivered = false;
    // Ctrl-C must get through while the target runs, whatever is still queued.
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    let pending: Promise<StopReason>;
    try {
      pending = Promise.resolve(this.target.resume(request));
    } catch (err) {
      pending = Promise.reject(err);
    }
    // An interrupt that was queued behind this resume stops it at once.
    if (this.interruptPending) {
      this.interruptPending = false;
      this.deliverInterrupt();
    }
    try {
      const stop = await pending;
      return { stop, interrupted: this.interruptDelivered };
    } finally {
      if (!this.closed) this.stateValue = 'idle';
    }
  }

  sendIntermediate(body: ReplyBody): void {
    this.sendPacket(body, false);
  }

  notePoint(op: 'insert' | 'remove', type: PointType, addr: bigint, length: number): void {
    const key = `${type}:${addr.toString(16)}:${length}`;
    if (op === 'insert') this.points.set(key, { type, addr, length });
    else this.points.delete(key);
  }

  // ---- input ----

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    for (const event of this.decoder.feed(chunk)) this.onEvent(event);
    if (this.queue.length > MAX_QUEUE) {
      this.fail(new Error(`peer queued more than ${MAX_QUEUE} packets`));
      return;
    }
    if (!this.paused && this.queue.length > PAUSE_QUEUE && this.stateValue === 'idle') {
      this.paused = true;
      this.socket.pause();
    }
    void this.pump();
  }

  private onEvent(event: PacketEvent): void {
    switch (event.type) {
      case 'packet':
        if (!this.noAck) this.write(Buffer.from('+'));
        this.queue.push({ payload: event.payload });
        break;
      case 'corrupt':
        this.logger.warn(`rejected a frame (${event.reason === 'overflow' ? 'too long' : `bad ${event.reason}`})`);
        // With acks gdb retransmits on '-'. Without them it still waits for an answer, so the
        // frame gets an error reply in its turn rather than being executed on corrupt input.
        if (!this.noAck) this.write(Buffer.from('-'));
        else this.queue.push({ corrupt: event.reason });
        break;
      case 'interrupt':
        this.onInterrupt();
        break;
      case 'ack':
        this.retransmits = 0;
        break;
      case 'nak':
        this.retransmit();
        break;
      case 'garbage':
        this.logger.debug(`skipped ${event.length} bytes outside any packet`);
        break;
    }
  }

  private onInterrupt(): void {
    if (this.stateValue === 'running') {
      this.deliverInterrupt();
    } else if (this.stateValue === 'interrupted') {
      this.logger.debug('repeated interrupt while the target is stopping');
    } else if (this.pumping || this.queue.length > 0) {
      this.interruptPending = true;
    } else {
      this.logger.debug('interrupt while stopped: nothing to do');
    }
  }

  private deliverInterrupt(): void {
    this.stateValue = this.closed ? 'disconnected' : 'interrupted';
    this.interruptDelivered = true;
    try {
      this.target.interrupt();
    } catch (err) {
      this.logger.warn(`target.interrupt failed: ${errorMessage(err)}`);
    }
  }

  private retransmit(): void {
    if (this.noAck || !this.lastFrame) return;
    if (++this.retransmits > MAX_RETRANSMITS) {
      this.logger.warn('gdb keeps rejecting our last packet; not retransmitting again');
      return;
    }
    this.write(this.lastFrame);
  }

  // ---- execution ----

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const item = this.queue.shift()!;
        if (this.paused && this.queue.length < RESUME_QUEUE) {
          this.paused = false;
          this.socket.resume();
        }
        try {
          await this.execute(item);
        } catch (err) {
          // execute() already turns handler failures into replies; this is a bug, not gdb's fault.
          this.logger.error(`internal error while serving a packet: ${errorMessage(err)}`);
        }
      }
    } finally {
      this.pumping = false;
      this.interruptPending = false;
      if (this.closed) void this.finish();
    }
  }

  private async execute(item: QueueItem): Promise<void> {
    if ('corrupt' in item) {
      this.sendPacket('E01', false);
      return;
    }
    const request = parseCommand(item.payload, this.caps);
    this.logger.debug(`<- ${describePayload(item.payload)} (${request.kind})`);
    let after: AfterReply = 'none';
    try {
      const outcome = await dispatch(request, this);
      if (outcome.reply !== null) this.sendPacket(outcome.reply, outcome.rle ?? false);
      after = outcome.after ?? 'none';
    } catch (err) {
      if (isFatal(err)) {
        this.sendPacket('E01', false);
        this.fail(err as Error);
        return;
      }
      this.logger.warn(`${request.kind} failed: ${errorMessage(err)}`);
      const outcome = errorReply(err);
      this.sendPacket(outcome.reply!, false);
    }
    this.afterReply(after);
  }

  private afterReply(after: AfterReply): void {
    switch (after) {
      case 'none':
        return;
      case 'startNoAck':
        this.noAck = true;
        return;
      case 'detach':
        this.endReason = 'detach';
        this.logger.info('gdb detached');
        this.hangUp();
        return;
      case 'kill':
        this.endReason = 'kill';
        this.logger.info('gdb killed the debuggee');
        // In extended mode gdb stays connected (and may try vRun); otherwise the session is over.
        if (!this.extendedMode) this.hangUp();
        return;
    }
  }

  /** Close our side once the last reply is flushed; gdb needs nothing more from us. */
  private hangUp(): void {
    if (!this.socket.writableEnded) this.socket.end(() => this.socket.destroy());
    // A peer that stops reading must not keep the session alive.
    setTimeout(() => this.socket.destroy(), HANGUP_GRACE_MS).unref();
  }

  // ---- output ----

  private sendPacket(body: ReplyBody, rle: boolean): void {
    let frame: Buffer;
    try {
      frame = encodePacket(body, { rle });
    } catch (err) {
      this.logger.error(`internal error formatting a reply: ${errorMessage(err)}`);
      frame = encodePacket('E01');
    }
    this.logger.debug(`-> ${describePayload(frame)}`);
    this.lastFrame = frame;
    this.retransmits = 0;
    this.write(frame);
  }

  private write(bytes: Buffer): void {
    if (this.closed || this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.write(bytes);
  }

  // ---- teardown ----

  private fail(err: Error): void {
    this.logger.error(`closing gdb session: ${err.message}`);
    this.endReason = 'fatal';
    this.endError = err;
    // Let the error reply already written reach gdb, but stop serving at once.
    this.hangUp();
    this.onDisconnect(false);
  }

  private onDisconnect(destroy = true): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    if (this.stateValue === 'running') this.deliverInterrupt();
    this.stateValue = 'disconnected';
    if (destroy && !this.socket.destroyed) this.socket.destroy();
    if (!this.pumping) void this.finish();
  }

  /** Undo what this connection left behind in the target, then report the end. */
  private async finish(): Promise<void> {
    if (this.finishing) return;
    this.finishing = true;
    this.stateValue = 'disconnected';
    for (const p of this.points.values()) {
      try {
        await this.removePoint(p.type, p.addr, p.length);
      } catch (err) {
        this.logger.warn(`could not remove leftover ${p.type} point at 0x${p.addr.toString(16)}: ${errorMessage(err)}`);
      }
    }
    this.points.clear();
    await this.hostIo?.closeAll();
    this.logger.info(`gdb session ended (${this.endReason})`);
    this.resolveEnded({ reason: this.endReason, ...(this.endError ? { error: this.endError } : {}) });
  }

  private async removePoint(type: PointType, addr: bigint, length: number): Promise<void> {
    const t = this.target;
    if (type === 'sw') await t.breakpoints?.remove(addr, length);
    else if (type === 'hw') await t.hwBreakpoints?.remove(addr, length);
    else await t.watchpoints?.remove(type, addr, length);
  }
}

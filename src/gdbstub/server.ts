/**
 * The gdb server: accepts connections and serves them one at a time against a single target.
 *
 * The caller (the replayer) owns the debuggee and the event loop; the server only reacts to gdb.
 * Typical use:
 *
 *   const server = new GdbServer(target, { logger, onSessionEnd: (end) => … });
 *   const port = await server.listen();          // 127.0.0.1, ephemeral port
 *   … gdb -ex "target remote 127.0.0.1:PORT" …
 *   await server.close();
 *
 * After a session ends (detach, kill, disconnect) the next connection is served; the target keeps
 * its state between sessions, minus the breakpoints the departed gdb left inserted.
 */
import * as net from 'net';
import { Duplex } from 'stream';
import { DEFAULT_MAX_FRAME } from './packet';
import { GdbLogger, nullLogger } from './logger';
import { GdbSession, SessionEnd, SessionState } from './session';
import { GdbTarget } from './target';

export interface GdbServerOptions {
  readonly logger?: GdbLogger;
  /** Largest packet body accepted (advertised as PacketSize). Default 128 KiB. */
  readonly packetSize?: number;
  /** Called after each session has ended and cleaned up. */
  readonly onSessionEnd?: (end: SessionEnd) => void;
}

export class GdbServer {
  private readonly logger: GdbLogger;
  private readonly packetSize: number;
  private listener: net.Server | undefined;
  private current: GdbSession | undefined;
  /** A connection that arrived while the previous session was still winding down. */
  private waiting: Duplex | undefined;

  constructor(private readonly target: GdbTarget, private readonly options: GdbServerOptions = {}) {
    this.logger = options.logger ?? nullLogger;
    this.packetSize = options.packetSize ?? DEFAULT_MAX_FRAME;
  }

  /** State of the current session; `disconnected` when no gdb is connected. */
  get state(): SessionState {
    return this.current?.state ?? 'disconnected';
  }

  /**
   * Serve one already-connected stream until the session ends. Rejects if another session is
   * active: the protocol has one debugger per debuggee.
   */
  serve(socket: Duplex): Promise<SessionEnd> {
    if (this.current) return Promise.reject(new Error('a gdb session is already active'));
    if (socket instanceof net.Socket) socket.setNoDelay(true); // tiny request/reply packets
    const session = new GdbSession(socket, this.target, { logger: this.logger, packetSize: this.packetSize });
    this.current = session;
    return session.ended.then((end) => {
      this.current = undefined;
      try {
        this.options.onSessionEnd?.(end);
      } catch (err) {
        this.logger.warn(`onSessionEnd threw: ${(err as Error).message}`);
      }
      const next = this.waiting;
      this.waiting = undefined;
      if (next && !next.destroyed) void this.serve(next);
      return end;
    });
  }

  /** Listen for gdb on `host:port` (port 0 = any free port); resolves with the bound port. */
  listen(host = '127.0.0.1', port = 0): Promise<number> {
    if (this.listener) return Promise.reject(new Error('already listening'));
    const listener = net.createServer((socket) => this.onConnection(socket));
    this.listener = listener;
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, host, () => {
        listener.off('error', reject);
        listener.on('error', (err) => this.logger.error(`gdb listener: ${err.message}`));
        const address = listener.address() as net.AddressInfo;
        this.logger.info(`listening for gdb on ${host}:${address.port}`);
        resolve(address.port);
      });
    });
  }

  /** Stop listening and end the current session (if any); resolves when both are done. */
  async close(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    this.waiting?.destroy();
    this.waiting = undefined;
    const session = this.current;
    session?.close();
    await Promise.all([
      listener ? new Promise<void>((resolve) => listener.close(() => resolve())) : undefined,
      session?.ended,
    ]);
  }

  private onConnection(socket: net.Socket): void {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    if (!this.current) {
      this.logger.info(`gdb connected from ${peer}`);
      void this.serve(socket);
    } else if (this.current.state === 'disconnected' && !this.waiting) {
      this.logger.info(`gdb connected from ${peer}; serving it once the previous session has ended`);
      this.waiting = socket;
    } else {
      this.logger.warn(`refusing gdb connection from ${peer}: another debugger is connected`);
      socket.destroy();
    }
  }
}

/** Public surface of the gdb remote-protocol server. See docs/gdbstub.md. */
export { GdbServer, GdbServerOptions } from './server';
export { SessionEnd, SessionState } from './session';
export { GdbLogger, nullLogger } from './logger';
export * from './target';

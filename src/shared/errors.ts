/**
 * The kinds of failure in rrts:
 * - ErrnoError: the kernel said no (an expected failure the caller may handle);
 * - InvariantError: rrts's own assumption broke; carries where (task, event) and why;
 * - UserError: bad input from the user; the CLI prints its message and exits with `exitCode`.
 */
import * as os from 'os';

export class ErrnoError extends Error {
  constructor(readonly errno: number, readonly what: string) {
    super(`${what}: ${errnoName(errno)} (${errno})`);
    this.name = 'ErrnoError';
  }
}

export class InvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantError';
  }
}

export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}

export function assert(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new InvariantError(typeof message === 'string' ? message : message());
}

const ERRNO_NAMES = new Map<number, string>(
  Object.entries(os.constants.errno).map(([name, n]) => [n as number, name]),
);

export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

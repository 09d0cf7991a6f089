/** Why a replay cannot go on. Both are user-facing: the CLI prints the message as it is. */
import { UserError } from '../shared/errors';

/** The replayed program did something the recording did not: the first difference, named. */
export class DivergenceError extends UserError {
  constructor(readonly event: number, what: string, detail: string) {
    super(`rrts: divergence at event ${event} (${what}): ${detail}`, 1);
    this.name = 'DivergenceError';
  }
}

/** The recording holds a call whose effects replay cannot reproduce. */
export class UnsupportedSyscallError extends UserError {
  constructor(detail: string) {
    super(`rrts: ${detail}`, 1);
    this.name = 'UnsupportedSyscallError';
  }
}

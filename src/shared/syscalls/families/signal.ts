/**
 * Signals. Dispositions, the mask, the alternate stack and sigreturn are executed: replay
 * delivers the recorded signals for real, so the kernel must hold the same handlers and mask,
 * and rt_sigreturn restores registers from the frame in (replayed) memory. Sending signals is
 * emulated: a signal the tracee sends itself arrives in the trace as its own event.
 */
import { STRUCT_SIZES as S } from '../structs';
import { FamilyDef, emulate, execute, fixed, fromArg, out } from './dsl';

export const SIGNAL_SYSCALLS: FamilyDef[] = [
  execute('rt_sigaction', ['signal', 'ptr', 'ptr', 'size'], {
    outparams: [out(2, fixed(S.ksigaction))],
  }),
  execute('rt_sigprocmask', ['int', 'ptr', 'ptr', 'size'], { outparams: [out(2, fromArg(3))] }),
  execute('rt_sigreturn', []),
  execute('sigaltstack', ['ptr', 'ptr'], { outparams: [out(1, fixed(S.stackT))] }),

  emulate('rt_sigpending', ['ptr', 'size'], { outparams: [out(0, fromArg(1))] }),
  emulate('rt_sigtimedwait', ['ptr', 'ptr', 'ptr', 'size'], {
    outparams: [out(1, fixed(S.siginfo))], mayBlock: true,
  }),
  emulate('rt_sigsuspend', ['ptr', 'size'], { mayBlock: true }),
  emulate('pause', [], { mayBlock: true }),

  emulate('kill', ['int', 'signal']),
  emulate('tkill', ['int', 'signal']),
  emulate('tgkill', ['int', 'int', 'signal']),
  emulate('rt_sigqueueinfo', ['int', 'signal', 'ptr']),
  emulate('rt_tgsigqueueinfo', ['int', 'int', 'signal', 'ptr']),
  emulate('pidfd_send_signal', ['fd', 'signal', 'ptr', 'flags']),

  // Reads from a signalfd return struct signalfd_siginfo through read(), already covered.
  emulate('signalfd', ['fd', 'ptr', 'size']),
  emulate('signalfd4', ['fd', 'ptr', 'size', 'flags']),
];

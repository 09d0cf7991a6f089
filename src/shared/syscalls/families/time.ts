/**
 * Clocks, sleeps and timers. All emulated: replay hands back recorded times, and timer
 * signals arrive from the trace, so no timer needs to exist in replay. Interrupted sleeps
 * write the remaining time even though they fail with EINTR.
 */
import { STRUCT_SIZES as S } from '../structs';
import { FamilyDef, emulate, fixed, out, outAlways } from './dsl';

export const TIME_SYSCALLS: FamilyDef[] = [
  emulate('clock_gettime', ['int', 'ptr'], { outparams: [out(1, fixed(S.timespec))] }),
  emulate('clock_getres', ['int', 'ptr'], { outparams: [out(1, fixed(S.timespec))] }),
  emulate('clock_settime', ['int', 'ptr']),
  emulate('clock_adjtime', ['int', 'ptr'], { outparams: [out(1, fixed(S.timex))] }),
  emulate('adjtimex', ['ptr'], { outparams: [out(0, fixed(S.timex))] }),
  emulate('gettimeofday', ['ptr', 'ptr'], {
    outparams: [out(0, fixed(S.timeval)), out(1, fixed(S.timezone))],
  }),
  emulate('settimeofday', ['ptr', 'ptr']),
  emulate('time', ['ptr'], { outparams: [out(0, fixed(8))] }),

  emulate('nanosleep', ['ptr', 'ptr'], {
    outparams: [outAlways(1, fixed(S.timespec))], mayBlock: true,
  }),
  emulate('clock_nanosleep', ['int', 'flags', 'ptr', 'ptr'], {
    outparams: [outAlways(3, fixed(S.timespec))], mayBlock: true,
  }),

  emulate('alarm', ['int']),
  emulate('getitimer', ['int', 'ptr'], { outparams: [out(1, fixed(S.itimerval))] }),
  emulate('setitimer', ['int', 'ptr', 'ptr'], { outparams: [out(2, fixed(S.itimerval))] }),
  // The kernel's timer_t is an int.
  emulate('timer_create', ['int', 'ptr', 'ptr'], { outparams: [out(2, fixed(4))] }),
  emulate('timer_settime', ['int', 'flags', 'ptr', 'ptr'], {
    outparams: [out(3, fixed(S.itimerspec))],
  }),
  emulate('timer_gettime', ['int', 'ptr'], { outparams: [out(1, fixed(S.itimerspec))] }),
  emulate('timer_getoverrun', ['int']),
  emulate('timer_delete', ['int']),
  emulate('timerfd_create', ['int', 'flags']),
  emulate('timerfd_settime', ['fd', 'flags', 'ptr', 'ptr'], {
    outparams: [out(3, fixed(S.itimerspec))],
  }),
  emulate('timerfd_gettime', ['fd', 'ptr'], { outparams: [out(1, fixed(S.itimerspec))] }),
];

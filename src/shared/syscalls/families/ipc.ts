/**
 * System V IPC and POSIX message queues. Attaching shared memory is special: another process
 * can change a shared segment at any time, so the replayer maps recorded contents instead,
 * and must then detach that mapping itself (a real shmdt would not recognise it).
 */
import { STRUCT_SIZES as S } from '../structs';
import { FamilyDef, emulate, fixed, fromRet, out, scatter, special } from './dsl';

/** struct msgbuf starts with a long mtype; the text follows it. */
const MTYPE = 8;

export const IPC_SYSCALLS: FamilyDef[] = [
  emulate('shmget', ['int', 'size', 'flags']),
  special('shmat', 'shmat', ['int', 'ptr', 'flags']),
  special('shmdt', 'shmdt', ['ptr']),
  emulate('shmctl', ['int', 'int', 'ptr'], { scatter: [scatter('byOp', 1)] }),
  emulate('semget', ['int', 'int', 'flags']),
  emulate('semop', ['int', 'ptr', 'size'], { mayBlock: true }),
  emulate('semtimedop', ['int', 'ptr', 'size', 'ptr'], { mayBlock: true }),
  emulate('semctl', ['int', 'int', 'int', 'hex'], { scatter: [scatter('byOp', 2)] }),
  emulate('msgget', ['int', 'flags']),
  emulate('msgsnd', ['int', 'ptr', 'size', 'flags'], { mayBlock: true }),
  // mtype, then ret bytes of text (never more than msgsz).
  emulate('msgrcv', ['int', 'ptr', 'size', 'int', 'flags'], {
    outparams: [out(1, fixed(MTYPE)), out(1, fromRet(1, 2), { offset: MTYPE })],
    mayBlock: true,
  }),
  emulate('msgctl', ['int', 'int', 'ptr'], { scatter: [scatter('byOp', 1)] }),

  emulate('mq_open', ['str', 'flags', 'hex', 'ptr']),
  emulate('mq_unlink', ['str']),
  emulate('mq_timedsend', ['fd', 'ptr', 'size', 'int', 'ptr'], { mayBlock: true }),
  emulate('mq_timedreceive', ['fd', 'ptr', 'size', 'ptr', 'ptr'], {
    outparams: [out(1, fromRet()), out(3, fixed(4))], mayBlock: true,
  }),
  emulate('mq_notify', ['fd', 'ptr']),
  emulate('mq_getsetattr', ['fd', 'ptr', 'ptr'], { outparams: [out(2, fixed(S.mqAttr))] }),
];

/**
 * Sockets. Addresses come back as (buffer, socklen_t *len) pairs: the kernel stores the real
 * address length in *len and copies at most the caller's length, so the address outparam is
 * sized by `lenAt` (see outparams.ts for how the caller's length is honoured).
 */
import { STRUCT_SIZES as S } from '../structs';
import { FamilyDef, emulate, fixed, fromRet, lenAt, out, scatter } from './dsl';

const SOCKLEN = 4;

/** accept, getsockname...: the address at `addr`, its length at `len`. */
const sockaddrOut = (addr: number, len: number) => [out(addr, lenAt(len)), out(len, fixed(SOCKLEN))];

export const NET_SYSCALLS: FamilyDef[] = [
  emulate('socket', ['int', 'int', 'int']),
  emulate('socketpair', ['int', 'int', 'int', 'ptr'], { outparams: [out(3, fixed(8))] }),
  emulate('bind', ['fd', 'ptr', 'int']),
  emulate('listen', ['fd', 'int']),
  emulate('connect', ['fd', 'ptr', 'int'], { mayBlock: true }),
  emulate('accept', ['fd', 'ptr', 'ptr'], { outparams: sockaddrOut(1, 2), mayBlock: true }),
  emulate('accept4', ['fd', 'ptr', 'ptr', 'flags'], {
    outparams: sockaddrOut(1, 2), mayBlock: true,
  }),
  emulate('getsockname', ['fd', 'ptr', 'ptr'], { outparams: sockaddrOut(1, 2) }),
  emulate('getpeername', ['fd', 'ptr', 'ptr'], { outparams: sockaddrOut(1, 2) }),
  emulate('getsockopt', ['fd', 'int', 'int', 'ptr', 'ptr'], { scatter: [scatter('sockopt', 3, 4)] }),
  emulate('setsockopt', ['fd', 'int', 'int', 'ptr', 'int']),
  emulate('shutdown', ['fd', 'int']),

  emulate('sendto', ['fd', 'ptr', 'size', 'flags', 'ptr', 'int'], { mayBlock: true }),
  // With MSG_TRUNC a datagram socket returns the real length, which can exceed the buffer.
  emulate('recvfrom', ['fd', 'ptr', 'size', 'flags', 'ptr', 'ptr'], {
    outparams: [out(1, fromRet(1, 2)), ...sockaddrOut(4, 5)], mayBlock: true,
  }),
  emulate('sendmsg', ['fd', 'ptr', 'flags'], { mayBlock: true }),
  emulate('recvmsg', ['fd', 'ptr', 'flags'], { scatter: [scatter('msghdr', 1)], mayBlock: true }),
  // The kernel stores msg_len in each of the first ret entries; saving the entries whole is
  // exact enough (the rest of each entry is the caller's, unchanged).
  emulate('sendmmsg', ['fd', 'ptr', 'int', 'flags'], {
    outparams: [out(1, fromRet(S.mmsghdr))], mayBlock: true,
  }),
  // The timeout is updated with the time left, on success.
  emulate('recvmmsg', ['fd', 'ptr', 'int', 'flags', 'ptr'], {
    scatter: [scatter('mmsghdr', 1, 2)], outparams: [out(4, fixed(S.timespec))], mayBlock: true,
  }),
];

/**
 * Reading and writing file descriptors, waiting on many of them (poll, select, epoll), moving
 * data between them (sendfile, splice), and the asynchronous I/O interfaces we refuse to
 * emulate (aio, io_uring: the kernel writes completions into tracee memory on its own time).
 */
import { STRUCT_SIZES as S } from '../structs';
import {
  FamilyDef, deny, emulate, fdset, fixed, fromArg, fromRet, notImplemented, out, outAlways, scatter,
  unsupported,
} from './dsl';

const ENOSYS = 38;

export const IO_SYSCALLS: FamilyDef[] = [
  emulate('read', ['fd', 'ptr', 'size'], { outparams: [out(1, fromRet())], mayBlock: true }),
  emulate('write', ['fd', 'ptr', 'size'], { stdioWrite: { arg: 1, fdArg: 0 }, mayBlock: true }),
  // pread/pwrite on a pipe or socket fail with ESPIPE, so they never wait for a peer.
  emulate('pread64', ['fd', 'ptr', 'size', 'int'], { outparams: [out(1, fromRet())] }),
  emulate('pwrite64', ['fd', 'ptr', 'size', 'int'], { stdioWrite: { arg: 1, fdArg: 0 } }),
  emulate('readv', ['fd', 'ptr', 'int'], { scatter: [scatter('iovec', 1, 2)], mayBlock: true }),
  emulate('writev', ['fd', 'ptr', 'int'], {
    stdioWrite: { arg: 1, iovec: true, fdArg: 0 }, mayBlock: true,
  }),
  emulate('preadv', ['fd', 'ptr', 'int', 'int', 'int'], { scatter: [scatter('iovec', 1, 2)] }),
  emulate('pwritev', ['fd', 'ptr', 'int', 'int', 'int'], {
    stdioWrite: { arg: 1, iovec: true, fdArg: 0 },
  }),
  // With offset -1 these use the file position, so they work (and wait) on pipes and sockets.
  emulate('preadv2', ['fd', 'ptr', 'int', 'int', 'int', 'flags'], {
    scatter: [scatter('iovec', 1, 2)], mayBlock: true,
  }),
  emulate('pwritev2', ['fd', 'ptr', 'int', 'int', 'int', 'flags'], {
    stdioWrite: { arg: 1, iovec: true, fdArg: 0 }, mayBlock: true,
  }),

  emulate('pipe', ['ptr'], { outparams: [out(0, fixed(8))] }),
  emulate('pipe2', ['ptr', 'flags'], { outparams: [out(0, fixed(8))] }),

  // The kernel copies revents back even when interrupted (-EINTR), so the whole pollfd array is
  // saved whatever the result; it is the caller's own nfds-sized array.
  emulate('poll', ['ptr', 'int', 'int'], {
    outparams: [outAlways(0, fromArg(1, S.pollfd))], mayBlock: true,
  }),
  // The remaining time is written back on any return, including -EINTR.
  emulate('ppoll', ['ptr', 'int', 'ptr', 'ptr', 'size'], {
    outparams: [outAlways(0, fromArg(1, S.pollfd)), outAlways(2, fixed(S.timespec))],
    mayBlock: true,
  }),
  // fd_sets are written on success only; Linux updates the timeout on any return.
  emulate('select', ['int', 'ptr', 'ptr', 'ptr', 'ptr'], {
    outparams: [
      out(1, fdset(0)), out(2, fdset(0)), out(3, fdset(0)), outAlways(4, fixed(S.timeval)),
    ],
    mayBlock: true,
  }),
  emulate('pselect6', ['int', 'ptr', 'ptr', 'ptr', 'ptr', 'ptr'], {
    outparams: [
      out(1, fdset(0)), out(2, fdset(0)), out(3, fdset(0)), outAlways(4, fixed(S.timespec)),
    ],
    mayBlock: true,
  }),

  emulate('epoll_create', ['int']),
  emulate('epoll_create1', ['flags']),
  emulate('epoll_ctl', ['fd', 'int', 'fd', 'ptr']),
  emulate('epoll_wait', ['fd', 'ptr', 'int', 'int'], {
    outparams: [out(1, fromRet(S.epollEvent))], mayBlock: true,
  }),
  emulate('epoll_pwait', ['fd', 'ptr', 'int', 'int', 'ptr', 'size'], {
    outparams: [out(1, fromRet(S.epollEvent))], mayBlock: true,
  }),
  emulate('epoll_pwait2', ['fd', 'ptr', 'int', 'ptr', 'ptr', 'size'], {
    outparams: [out(1, fromRet(S.epollEvent))], mayBlock: true,
  }),
  notImplemented('epoll_ctl_old'),
  notImplemented('epoll_wait_old'),

  emulate('eventfd', ['int']),
  emulate('eventfd2', ['int', 'flags']),

  emulate('sendfile', ['fd', 'fd', 'ptr', 'size'], {
    outparams: [out(2, fixed(8))], mayBlock: true,
  }),
  emulate('splice', ['fd', 'ptr', 'fd', 'ptr', 'size', 'flags'], {
    outparams: [out(1, fixed(8)), out(3, fixed(8))], mayBlock: true,
  }),
  emulate('tee', ['fd', 'fd', 'size', 'flags'], { mayBlock: true }),
  emulate('copy_file_range', ['fd', 'ptr', 'fd', 'ptr', 'size', 'flags'], {
    outparams: [out(1, fixed(8)), out(3, fixed(8))],
  }),
  // Reads memory into a pipe, or (on a read end) fills memory from it: which one depends on
  // the fd, and the iovecs may point at read-only memory when it only reads.
  unsupported('vmsplice', ['fd', 'ptr', 'int', 'flags']),

  emulate('ioctl', ['fd', 'hex', 'hex'], { scatter: [scatter('ioctl', 1)], mayBlock: true }),

  emulate('inotify_init', []),
  emulate('inotify_init1', ['flags']),
  emulate('inotify_add_watch', ['fd', 'str', 'hex']),
  emulate('inotify_rm_watch', ['fd', 'int']),
  emulate('fanotify_init', ['flags', 'flags']),
  emulate('fanotify_mark', ['fd', 'flags', 'hex', 'fd', 'str']),

  // aio: io_setup maps a completion ring into the tracee that the kernel fills asynchronously.
  unsupported('io_setup', ['int', 'ptr']),
  unsupported('io_destroy', ['hex']),
  unsupported('io_getevents', ['hex', 'int', 'int', 'ptr', 'ptr']),
  unsupported('io_submit', ['hex', 'int', 'ptr']),
  unsupported('io_cancel', ['hex', 'ptr', 'ptr']),
  unsupported('io_pgetevents', ['hex', 'int', 'int', 'ptr', 'ptr', 'ptr']),
  // io_uring: shared rings the kernel reads and writes behind our back. Denied like rr does;
  // programs fall back to ordinary syscalls (io_uring is often disabled by sysctl anyway).
  deny('io_uring_setup', ENOSYS, ['int', 'ptr']),
  unsupported('io_uring_enter', ['fd', 'int', 'int', 'flags', 'ptr', 'size']),
  unsupported('io_uring_register', ['fd', 'int', 'ptr', 'int']),
];

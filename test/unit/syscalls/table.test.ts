import { strict as assert } from 'assert';
import * as fs from 'fs';
import type { Size, SyscallDef } from '../../../src/shared/syscalls/types';
import {
  FAMILIES, SYS, SYSCALLS, mayBlockFor, replayActionFor, syscallByName, syscallByNr,
} from '../../../src/shared/syscalls/table';
import { HEADER_MAX_NR } from '../../../src/shared/syscalls/numbers';
import { BY_OP_TABLES } from '../../../src/shared/syscalls/ops';

const HEADER = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';
const ENOSYS = 38;
const neg = (errno: number): bigint => BigInt.asUintN(64, BigInt(-errno));
const def = (name: string): SyscallDef => {
  const d = syscallByName(name);
  assert.ok(d, `no syscall ${name}`);
  return d;
};

describe('syscall table', () => {
  describe('count check against the kernel headers', function () {
    let header: Map<number, string>;
    before(function () {
      if (!fs.existsSync(HEADER)) this.skip();
      header = new Map();
      for (const m of fs.readFileSync(HEADER, 'utf8').matchAll(/#define __NR_(\w+) (\d+)/g)) {
        header.set(Number(m[2]), m[1]);
      }
    });

    it('classifies every number in asm/unistd_64.h, under the same name', () => {
      assert.ok(header.size > 350, `only ${header.size} syscalls parsed`);
      const wrong: string[] = [];
      for (const [nr, name] of header) {
        const d = syscallByNr(nr);
        if (d.name !== name) wrong.push(`${nr}: header ${name}, table ${d.name}`);
        if ((SYS as Record<string, number>)[name] !== nr) wrong.push(`SYS.${name} !== ${nr}`);
        if (!SYSCALLS.includes(d)) wrong.push(`${name} missing from SYSCALLS`);
      }
      assert.deepEqual(wrong, []);
    });

    it('knows the header ends where numbers.ts says', () => {
      assert.equal(Math.max(...header.keys()), HEADER_MAX_NR);
    });

    it('has no entry between 0 and the header maximum that the header lacks', () => {
      for (const d of SYSCALLS) {
        if (d.nr <= HEADER_MAX_NR) assert.equal(header.get(d.nr), d.name, `${d.nr}`);
      }
    });
  });

  it('SYS gives numbers by name', () => {
    assert.equal(SYS.read, 0);
    assert.equal(SYS.write, 1);
    assert.equal(SYS.mmap, 9);
    assert.equal(SYS.ioctl, 16);
    assert.equal(SYS.clone, 56);
    assert.equal(SYS.execve, 59);
    assert.equal(SYS.exit, 60);
    assert.equal(SYS.arch_prctl, 158);
    assert.equal(SYS.futex, 202);
    assert.equal(SYS.exit_group, 231);
    assert.equal(SYS.openat, 257);
    assert.equal(SYS.rseq, 334);
    assert.equal(SYS.clone3, 435);
    assert.equal(SYS.set_mempolicy_home_node, 450);
    assert.equal(SYS.cachestat, 451);
    assert.equal(SYS.fchmodat2, 452);
    assert.equal(SYS.file_setattr, 469);
  });

  it('SYSCALLS is sorted with unique numbers and names, and lookups agree', () => {
    for (let i = 1; i < SYSCALLS.length; i++) assert.ok(SYSCALLS[i - 1].nr < SYSCALLS[i].nr);
    assert.equal(new Set(SYSCALLS.map((d) => d.name)).size, SYSCALLS.length);
    assert.equal(SYSCALLS.length, Object.keys(SYS).length);
    for (const d of SYSCALLS) {
      assert.equal(syscallByNr(d.nr), d);
      assert.equal(syscallByName(d.name), d);
    }
    const familyTotal = Object.values(FAMILIES).reduce((n, f) => n + f.length, 0);
    assert.equal(familyTotal, SYSCALLS.length);
  });

  it('gives unknown numbers an unsupported syscall_N', () => {
    for (const nr of [335, 400, 423, 999, -1]) {
      const d = syscallByNr(nr);
      assert.equal(d.name, `syscall_${nr}`);
      assert.equal(d.replay, 'unsupported');
      assert.equal(d.nr, nr);
    }
    assert.equal(syscallByName('no_such_call'), undefined);
  });

  describe('every entry is well formed', () => {
    const argOk = (d: SyscallDef, i: number | undefined, what: string): void => {
      assert.ok(i !== undefined && Number.isInteger(i) && i >= 0 && i < (d.args?.length ?? 0),
        `${d.name}: ${what} refers to argument ${i} of ${d.args?.length}`);
    };
    const sizeOk = (d: SyscallDef, s: Size): void => {
      switch (s.kind) {
        case 'fixed': assert.ok(s.bytes > 0, `${d.name}: empty fixed size`); break;
        case 'arg': argOk(d, s.arg, 'arg size'); assert.ok((s.scale ?? 1) > 0); break;
        case 'ret': if (s.capArg !== undefined) argOk(d, s.capArg, 'capArg'); break;
        case 'lenAt': argOk(d, s.arg, 'lenAt'); break;
        case 'fdset': argOk(d, s.arg, 'fdset'); break;
      }
    };
    for (const d of SYSCALLS) {
      it(`${d.nr} ${d.name}`, () => {
        assert.ok(['emulate', 'execute', 'special', 'unsupported'].includes(d.replay));
        assert.ok(d.args, `${d.name}: no argument formats`);
        assert.ok(d.args.length <= 6);
        assert.equal(d.replay === 'special', d.special !== undefined, `${d.name}: special handler`);
        if (d.record === 'deny') {
          assert.ok(d.denyErrno && d.denyErrno > 0, `${d.name}: deny without errno`);
          assert.equal(d.special, 'denied');
        } else {
          assert.equal(d.denyErrno, undefined);
        }
        if (d.replay === 'unsupported') {
          assert.equal(d.outparams, undefined, `${d.name}: unsupported yet described`);
          assert.equal(d.scatter, undefined);
        }
        for (const o of d.outparams ?? []) {
          argOk(d, o.arg, 'outparam');
          sizeOk(d, o.size);
          assert.ok(d.args[o.arg] === 'ptr', `${d.name}: outparam at non-pointer argument ${o.arg}`);
        }
        for (const s of d.scatter ?? []) {
          argOk(d, s.arg, `scatter ${s.kind}`);
          if (['iovec', 'mmsghdr', 'sockopt'].includes(s.kind)) argOk(d, s.countArg, `${s.kind} countArg`);
          if (s.kind === 'byOp') assert.ok(BY_OP_TABLES[d.name], `${d.name}: byOp without a table`);
        }
        if (d.stdioWrite) {
          argOk(d, d.stdioWrite.arg, 'stdioWrite');
          argOk(d, d.stdioWrite.fdArg, 'stdioWrite fd');
          assert.equal(d.args[d.stdioWrite.fdArg], 'fd');
        }
      });
    }
  });

  describe('classification the replayer relies on', () => {
    const expectAll = (names: string[], check: (d: SyscallDef) => void): void => {
      for (const n of names) check(def(n));
    };

    it('executes what changes state replay needs', () => {
      expectAll([
        'munmap', 'mprotect', 'madvise', 'brk', 'arch_prctl', 'rt_sigaction', 'rt_sigprocmask',
        'rt_sigreturn', 'sigaltstack', 'set_tid_address', 'set_robust_list', 'pkey_mprotect',
      ], (d) => assert.equal(d.replay, 'execute', d.name));
    });

    it('has special handlers for mappings, exec, clone and exit', () => {
      const handlers: Record<string, string> = {
        mmap: 'mmap', mremap: 'mremap', execve: 'execve', execveat: 'execve', clone: 'clone',
        clone3: 'clone3', fork: 'fork', vfork: 'vfork', exit: 'exit', exit_group: 'exit_group',
        shmat: 'shmat', shmdt: 'shmdt', restart_syscall: 'restart_syscall',
      };
      for (const [name, handler] of Object.entries(handlers)) {
        assert.equal(def(name).replay, 'special', name);
        assert.equal(def(name).special, handler, name);
      }
    });

    it('denies rseq with ENOSYS, like rr', () => {
      const d = def('rseq');
      assert.equal(d.record, 'deny');
      assert.equal(d.denyErrno, ENOSYS);
      assert.equal(d.replay, 'special');
    });

    it('emulates what glibc programs and coreutils use', () => {
      expectAll([
        'read', 'pread64', 'readv', 'preadv', 'preadv2', 'write', 'pwrite64', 'writev', 'pwritev',
        'pwritev2', 'open', 'openat', 'openat2', 'close', 'close_range', 'stat', 'fstat', 'lstat',
        'newfstatat', 'statx', 'statfs', 'fstatfs', 'getdents64', 'getdents', 'lseek', 'ioctl',
        'clock_gettime', 'gettimeofday', 'time', 'clock_getres', 'clock_nanosleep', 'nanosleep',
        'getrandom', 'uname', 'getpid', 'getppid', 'gettid', 'getuid', 'geteuid', 'getgid',
        'getegid', 'getgroups', 'getresuid', 'getresgid', 'getpgrp', 'getpgid', 'getsid',
        'rt_sigpending', 'rt_sigtimedwait', 'pipe', 'pipe2', 'socket', 'socketpair', 'bind',
        'listen', 'accept', 'accept4', 'connect', 'getsockname', 'getpeername', 'getsockopt',
        'setsockopt', 'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg',
        'shutdown', 'poll', 'ppoll', 'select', 'pselect6', 'epoll_create', 'epoll_create1',
        'epoll_ctl', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'eventfd', 'eventfd2',
        'timerfd_create', 'timerfd_settime', 'timerfd_gettime', 'signalfd', 'signalfd4',
        'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'readlink',
        'readlinkat', 'getcwd', 'fcntl', 'dup', 'dup2', 'dup3', 'access', 'faccessat',
        'faccessat2', 'prlimit64', 'getrlimit', 'setrlimit', 'getrusage', 'times', 'sysinfo',
        'sched_getaffinity', 'sched_yield', 'sched_getparam', 'sched_getscheduler', 'futex',
        'unlink', 'unlinkat', 'mkdir', 'mkdirat', 'rmdir', 'rename', 'renameat', 'renameat2',
        'link', 'linkat', 'symlink', 'symlinkat', 'chmod', 'fchmod', 'fchmodat', 'chown',
        'fchown', 'lchown', 'fchownat', 'truncate', 'ftruncate', 'fsync', 'fdatasync', 'sync',
        'utimensat', 'umask', 'chdir', 'fchdir', 'flock', 'fallocate', 'copy_file_range',
        'sendfile', 'splice', 'tee', 'wait4', 'waitid', 'kill', 'tgkill', 'tkill',
        'rt_sigqueueinfo', 'alarm', 'setitimer', 'getitimer', 'timer_create', 'timer_settime',
        'timer_gettime', 'timer_delete', 'capget', 'personality', 'mincore', 'msync',
        'memfd_create', 'mlock', 'munlock', 'mlockall', 'getpriority', 'setpriority', 'setsid',
        'setpgid', 'setuid', 'setgid', 'sched_setaffinity', 'ioprio_get', 'ioprio_set',
        'pidfd_open', 'membarrier', 'prctl',
      ], (d) => assert.equal(d.replay, 'emulate', d.name));
    });

    it('marks the calls that can wait', () => {
      expectAll([
        'read', 'readv', 'recvfrom', 'recvmsg', 'recvmmsg', 'accept', 'accept4', 'connect',
        'poll', 'ppoll', 'select', 'pselect6', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2',
        'futex', 'wait4', 'waitid', 'nanosleep', 'clock_nanosleep', 'pause', 'rt_sigsuspend',
        'rt_sigtimedwait', 'msgrcv', 'semop', 'flock', 'write',
      ], (d) => assert.equal(d.mayBlock, true, d.name));
      expectAll(['getpid', 'close', 'fstat', 'mmap', 'pread64'], (d) => assert.ok(!d.mayBlock, d.name));
    });

    it('stdio writes name their buffer', () => {
      assert.deepEqual(def('write').stdioWrite, { arg: 1, fdArg: 0 });
      assert.deepEqual(def('writev').stdioWrite, { arg: 1, iovec: true, fdArg: 0 });
      assert.deepEqual(def('pwritev2').stdioWrite, { arg: 1, iovec: true, fdArg: 0 });
    });
  });

  describe('per-call refinement of multiplexed syscalls', () => {
    const PR_SET_NAME = 15n;
    const PR_GET_NAME = 16n;
    const PR_SET_TSC = 26n;

    it('prctl: by option', () => {
      const prctl = def('prctl');
      assert.equal(replayActionFor(prctl, [PR_SET_NAME, 0x1000n], 0n), 'execute');
      assert.equal(replayActionFor(prctl, [PR_GET_NAME, 0x1000n], 0n), 'emulate');
      assert.equal(replayActionFor(prctl, [PR_SET_TSC, 2n], 0n), 'unsupported');
      assert.equal(replayActionFor(prctl, [PR_SET_TSC, 2n], neg(22)), 'emulate');
      // An option nobody knows: fine if the kernel rejected it, unsupported if it did not.
      assert.equal(replayActionFor(prctl, [0x7777n], neg(22)), 'emulate');
      assert.equal(replayActionFor(prctl, [0x7777n], 0n), 'unsupported');
      assert.equal(replayActionFor(prctl, [0x7777n]), 'unsupported');
    });

    it('ioctl: known, _IOC-decodable, and unknown legacy requests', () => {
      const ioctl = def('ioctl');
      assert.equal(replayActionFor(ioctl, [1n, 0x5401n, 0x1000n], 0n), 'emulate');
      assert.equal(replayActionFor(ioctl, [1n, 0x80187801n, 0x1000n], 0n), 'emulate');
      assert.equal(replayActionFor(ioctl, [1n, 0x4d01n, 0x1000n], 0n), 'unsupported');
      assert.equal(replayActionFor(ioctl, [1n, 0x4d01n, 0x1000n], neg(25)), 'emulate');
      assert.equal(replayActionFor(ioctl, [1n, 0x541cn, 0x1000n], 0n), 'unsupported');
      assert.equal(mayBlockFor(ioctl, [1n, 0x5409n, 1n]), true);
      assert.equal(mayBlockFor(ioctl, [1n, 0x5401n, 0x1000n]), false);
    });

    it('fcntl and futex: blocking by operation', () => {
      assert.equal(mayBlockFor(def('fcntl'), [3n, 7n, 0x1000n]), true);
      assert.equal(mayBlockFor(def('fcntl'), [3n, 3n]), false);
      const FUTEX_WAIT_PRIVATE = 128n;
      const FUTEX_WAKE_PRIVATE = 129n;
      assert.equal(mayBlockFor(def('futex'), [0x1000n, FUTEX_WAIT_PRIVATE]), true);
      assert.equal(mayBlockFor(def('futex'), [0x1000n, FUTEX_WAKE_PRIVATE]), false);
      assert.equal(mayBlockFor(def('getpid'), []), false);
      assert.equal(replayActionFor(def('arch_prctl'), [0x1002n, 0x7000n], 0n), 'execute');
      assert.equal(replayActionFor(def('arch_prctl'), [0x2003n, 0x7000n], 0x1000n), 'unsupported');
    });
  });
});

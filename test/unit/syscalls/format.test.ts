import { strict as assert } from 'assert';
import { formatSyscall } from '../../../src/shared/syscalls/outparams';
import { syscallByName, syscallByNr } from '../../../src/shared/syscalls/table';
import type { SyscallDef } from '../../../src/shared/syscalls/types';

const neg = (errno: number): bigint => BigInt.asUintN(64, BigInt(-errno));
const def = (name: string): SyscallDef => syscallByName(name) as SyscallDef;
const O_CLOEXEC = 0o2000000n;

describe('formatSyscall', () => {
  it('prints the strace-like line rrts dump shows', () => {
    assert.equal(
      formatSyscall(def('openat'), [neg(100), 0x7ffc1000n, O_CLOEXEC, 0n], 3n),
      'openat(AT_FDCWD, 0x7ffc1000, O_RDONLY|O_CLOEXEC, 0x0) = 3',
    );
  });

  it('prints errors as -1 and the errno name', () => {
    assert.equal(
      formatSyscall(def('openat'), [neg(100), 0x7ffc1000n, 0o101n, 0o644n], neg(2)),
      'openat(AT_FDCWD, 0x7ffc1000, O_WRONLY|O_CREAT, 0x1a4) = -1 ENOENT',
    );
    assert.match(formatSyscall(def('read'), [0n, 0x1000n, 10n], neg(512)), /= -1 ERESTARTSYS$/);
    assert.match(formatSyscall(def('ioctl'), [0n, 0x5401n, 0x1000n], neg(95)), /= -1 EOPNOTSUPP$/);
  });

  it('prints addresses in hex, NULL pointers, signals and mmap flags', () => {
    assert.equal(
      formatSyscall(def('mmap'), [0n, 4096n, 3n, 0x22n, 0xffffffffn, 0n], 0x7f1234560000n),
      'mmap(0x0, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0) = 0x7f1234560000',
    );
    assert.equal(formatSyscall(def('kill'), [1234n, 15n], 0n), 'kill(1234, SIGTERM) = 0');
    assert.equal(formatSyscall(def('gettimeofday'), [0x1000n, 0n], 0n), 'gettimeofday(0x1000, NULL) = 0');
    assert.equal(
      formatSyscall(def('clone'), [0x1200011n, 0n, 0n, 0x7f00n, 0n], 99n),
      'clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, 0x0, NULL, 0x7f00, 0x0) = 99',
    );
  });

  it('prints unknown syscalls with six hex arguments, and unfinished calls with ?', () => {
    assert.equal(formatSyscall(syscallByNr(400), [1n, 2n], neg(38)),
      'syscall_400(0x1, 0x2, 0x0, 0x0, 0x0, 0x0) = -1 ENOSYS');
    assert.equal(formatSyscall(def('exit_group'), [0n]), 'exit_group(0) = ?');
  });
});

import { strict as assert } from 'assert';
import {
  CollectResult, MAX_OUTPARAM_BYTES, MemWrite, SnapshotReader, collectOutparams, entryReads,
} from '../../../src/shared/syscalls/outparams';
import { syscallByName } from '../../../src/shared/syscalls/table';
import type { SyscallDef } from '../../../src/shared/syscalls/types';
import { FakeMemory } from './fakeMemory';

const neg = (errno: number): bigint => BigInt.asUintN(64, BigInt(-errno));
const EINTR = 4;
const ENOENT = 2;
const ERANGE = 34;
const ETIMEDOUT = 110;

function def(name: string): SyscallDef {
  const d = syscallByName(name);
  assert.ok(d, name);
  return d;
}

/** The collected regions as [address, length] pairs, for compact comparisons. */
const regions = (r: CollectResult): Array<[bigint, number]> => r.writes.map((w) => [w.addr, w.data.length]);

/** Each write must hold exactly the bytes memory holds there. */
function assertFaithful(mem: FakeMemory, writes: MemWrite[]): void {
  for (const w of writes) assert.ok(w.data.equals(mem.bytes(w.addr, w.data.length)));
}

function collect(name: string, args: bigint[], ret: bigint, mem: FakeMemory, before?: SnapshotReader) {
  const r = collectOutparams(def(name), args, ret, mem, before);
  assertFaithful(mem, r.writes);
  return r;
}

const BUF = 0x10000n;
const BUF2 = 0x20000n;
const BUF3 = 0x30000n;
const HDR = 0x40000n;
const IOV = 0x50000n;
const LEN = 0x60000n;

function memory(): FakeMemory {
  const mem = new FakeMemory();
  for (const a of [BUF, BUF2, BUF3, HDR, IOV, LEN]) mem.map(a, 0x1000);
  return mem;
}

describe('collectOutparams', () => {
  it('read: ret bytes of the buffer', () => {
    const r = collect('read', [3n, BUF, 100n], 5n, memory());
    assert.deepEqual(regions(r), [[BUF, 5]]);
    assert.equal(r.problem, undefined);
  });

  it('failed calls write nothing', () => {
    assert.deepEqual(regions(collect('read', [3n, BUF, 100n], neg(11), memory())), []);
    assert.deepEqual(regions(collect('stat', [BUF, BUF2], neg(ENOENT), memory())), []);
    assert.deepEqual(regions(collect('wait4', [-1n, BUF, 0n, BUF2], neg(10), memory())), []);
  });

  it('skips NULL pointers', () => {
    const mem = memory();
    assert.deepEqual(regions(collect('gettimeofday', [BUF, 0n], 0n, mem)), [[BUF, 16]]);
    assert.deepEqual(regions(collect('read', [3n, 0n, 100n], 5n, mem)), []);
    assert.deepEqual(regions(collect('wait4', [-1n, BUF, 0n, 0n], 42n, mem)), [[BUF, 4]]);
  });

  it('wait4: status and rusage', () => {
    const r = collect('wait4', [-1n, BUF, 0n, BUF2], 42n, memory());
    assert.deepEqual(regions(r), [[BUF, 4], [BUF2, 144]]);
  });

  it('stat family: fixed structs at the right argument', () => {
    const mem = memory();
    assert.deepEqual(regions(collect('fstat', [3n, BUF], 0n, mem)), [[BUF, 144]]);
    assert.deepEqual(regions(collect('newfstatat', [neg(100), BUF, BUF2, 0n], 0n, mem)), [[BUF2, 144]]);
    assert.deepEqual(regions(collect('statx', [neg(100), BUF, 0n, 0xfffn, BUF3], 0n, mem)), [[BUF3, 256]]);
  });

  it('readv: fills iovecs in order up to ret (short read)', () => {
    const mem = memory().iovecs(IOV, [[BUF, 4], [BUF2, 8], [BUF3, 16]]);
    const r = collect('readv', [3n, IOV, 3n], 10n, mem);
    assert.deepEqual(regions(r), [[BUF, 4], [BUF2, 6]]);
    assert.equal(r.problem, undefined);
  });

  it('readv: skips NULL/empty iovecs, and ret larger than the vector stops at its end', () => {
    const mem = memory().iovecs(IOV, [[BUF, 0], [0n, 0], [BUF2, 8]]);
    assert.deepEqual(regions(collect('readv', [3n, IOV, 3n], 100n, mem)), [[BUF2, 8]]);
  });

  it('recvmsg: msghdr, name as long as written, iovecs up to ret, control as long as written', () => {
    const mem = memory().iovecs(IOV, [[BUF3, 4], [BUF3 + 0x100n, 100]]);
    mem.u64(HDR, BUF) // msg_name
      .u32(HDR + 8n, 16) // msg_namelen after the call
      .u64(HDR + 16n, IOV)
      .u64(HDR + 24n, 2n)
      .u64(HDR + 32n, BUF2) // msg_control
      .u64(HDR + 40n, 24n) // msg_controllen after the call
      .u32(HDR + 48n, 0);
    const r = collect('recvmsg', [3n, HDR, 0n], 7n, mem);
    assert.deepEqual(regions(r), [[HDR, 56], [BUF, 16], [BUF3, 4], [BUF3 + 0x100n, 3], [BUF2, 24]]);
    assert.equal(r.problem, undefined);

    // The caller's msg_namelen before the call caps the name (the kernel reports the full length).
    const before = new SnapshotReader([{ addr: HDR + 8n, data: Buffer.from([8, 0, 0, 0]) }]);
    const capped = collect('recvmsg', [3n, HDR, 0n], 7n, mem, before);
    assert.deepEqual(regions(capped)[1], [BUF, 8]);
    assert.deepEqual(entryReads(def('recvmsg'), [3n, HDR, 0n]), [{ addr: HDR + 8n, len: 4 }]);
  });

  it('recvmmsg: ret entries, each with its own msg_len', () => {
    const mem = memory();
    const vec = HDR;
    // entry 0: one iovec of 10 bytes at BUF, received 6; entry 1: 8 bytes at BUF2, received 8.
    mem.iovecs(IOV, [[BUF, 10]]).iovecs(IOV + 0x100n, [[BUF2, 8]]);
    for (const [i, iov, len] of [[0, IOV, 6], [1, IOV + 0x100n, 8]] as const) {
      const e = vec + BigInt(64 * i);
      mem.u64(e, 0n).u32(e + 8n, 0).u64(e + 16n, iov).u64(e + 24n, 1n).u64(e + 32n, 0n)
        .u64(e + 40n, 0n).u32(e + 56n, len);
    }
    const r = collect('recvmmsg', [3n, vec, 4n, 0n, 0n], 2n, mem);
    assert.deepEqual(regions(r), [[vec, 64], [BUF, 6], [vec + 64n, 64], [BUF2, 8]]);
  });

  it('ioctl TCGETS writes the kernel termios (36 bytes); TIOCGWINSZ 8; TCSETS nothing', () => {
    const mem = memory();
    assert.deepEqual(regions(collect('ioctl', [0n, 0x5401n, BUF], 0n, mem)), [[BUF, 36]]);
    assert.deepEqual(regions(collect('ioctl', [1n, 0x5413n, BUF], 0n, mem)), [[BUF, 8]]);
    assert.deepEqual(regions(collect('ioctl', [0n, 0x5402n, BUF], 0n, mem)), []);
    assert.deepEqual(regions(collect('ioctl', [0n, 0x5401n, BUF], neg(25), mem)), []);
  });

  it('ioctl: unknown requests follow their _IOC encoding', () => {
    const mem = memory();
    // _IOR('x', 1, 24 bytes), _IOWR('x', 2, 12 bytes), _IOW('x', 3, 16 bytes)
    assert.deepEqual(regions(collect('ioctl', [3n, 0x80187801n, BUF], 0n, mem)), [[BUF, 24]]);
    assert.deepEqual(regions(collect('ioctl', [3n, 0xc00c7802n, BUF], 0n, mem)), [[BUF, 12]]);
    assert.deepEqual(regions(collect('ioctl', [3n, 0x40107803n, BUF], 0n, mem)), []);
    // Upper bits of the register are not part of the request.
    assert.deepEqual(regions(collect('ioctl', [3n, 0xffffffff80187801n, BUF], 0n, mem)), [[BUF, 24]]);
  });

  it('ioctl: an unlisted request without direction bits is a problem, unless it failed', () => {
    const mem = memory();
    const r = collect('ioctl', [3n, 0x4d01n, BUF], 0n, mem);
    assert.deepEqual(regions(r), []);
    assert.match(r.problem ?? '', /0x4d01/);
    assert.equal(collect('ioctl', [3n, 0x4d01n, BUF], neg(25), mem).problem, undefined);
  });

  it('ioctl layouts: SIOCGIFCONF and FS_IOC_FIEMAP walk their pointers', () => {
    const mem = memory();
    mem.u32(HDR, 80).u64(HDR + 8n, BUF);
    assert.deepEqual(regions(collect('ioctl', [3n, 0x8912n, HDR], 0n, mem)), [[HDR, 16], [BUF, 80]]);
    mem.u32(BUF2 + 20n, 3).u32(BUF2 + 24n, 10);
    assert.deepEqual(
      regions(collect('ioctl', [3n, 0xc020660bn, BUF2], 0n, mem)), [[BUF2, 32], [BUF2 + 32n, 3 * 56]],
    );
  });

  it('poll: the pollfd array, also when interrupted', () => {
    const mem = memory();
    assert.deepEqual(regions(collect('poll', [BUF, 3n, 1000n], 1n, mem)), [[BUF, 24]]);
    assert.deepEqual(regions(collect('poll', [BUF, 3n, 1000n], neg(EINTR), mem)), [[BUF, 24]]);
    assert.deepEqual(
      regions(collect('ppoll', [BUF, 2n, BUF2, 0n, 8n], neg(EINTR), mem)), [[BUF, 16], [BUF2, 16]],
    );
  });

  it('epoll_wait: ret packed 12-byte events', () => {
    assert.deepEqual(regions(collect('epoll_wait', [4n, BUF, 64n, -1n], 2n, memory())), [[BUF, 24]]);
    assert.deepEqual(regions(collect('epoll_pwait2', [4n, BUF, 64n, 0n, 0n, 8n], 0n, memory())), []);
  });

  it('select: fd_sets sized by nfds, NULL sets skipped, timeout even on EINTR', () => {
    const mem = memory();
    const r = collect('select', [65n, BUF, 0n, BUF2, BUF3], 1n, mem);
    assert.deepEqual(regions(r), [[BUF, 16], [BUF2, 16], [BUF3, 16]]);
    const i = collect('select', [65n, BUF, 0n, BUF2, BUF3], neg(EINTR), mem);
    assert.deepEqual(regions(i), [[BUF3, 16]]);
    assert.deepEqual(regions(collect('pselect6', [1n, BUF, 0n, 0n, 0n, 0n], 1n, mem)), [[BUF, 8]]);
  });

  it('getsockopt: optlen always, optval as long as the kernel said and the caller allowed', () => {
    const mem = memory().u32(LEN, 4);
    assert.deepEqual(regions(collect('getsockopt', [3n, 1n, 7n, BUF, LEN], 0n, mem)), [[LEN, 4], [BUF, 4]]);
    // ERANGE (SO_PEERSEC) reports the size needed in optlen only.
    mem.u32(LEN, 300);
    assert.deepEqual(regions(collect('getsockopt', [3n, 1n, 31n, BUF, LEN], neg(ERANGE), mem)), [[LEN, 4]]);
    const before = new SnapshotReader([{ addr: LEN, data: Buffer.from([16, 0, 0, 0]) }]);
    assert.deepEqual(
      regions(collect('getsockopt', [3n, 1n, 7n, BUF, LEN], 0n, mem, before)), [[LEN, 4], [BUF, 16]],
    );
  });

  it('accept: address sized by the length word, capped by the caller length or 128', () => {
    const mem = memory().u32(LEN, 110);
    assert.deepEqual(regions(collect('accept', [3n, BUF, LEN], 5n, mem)), [[BUF, 110], [LEN, 4]]);
    const reads = entryReads(def('accept'), [3n, BUF, LEN]);
    assert.deepEqual(reads, [{ addr: LEN, len: 4 }]);
    const before = new SnapshotReader([{ addr: LEN, data: Buffer.from([16, 0, 0, 0]) }]);
    assert.deepEqual(regions(collect('accept', [3n, BUF, LEN], 5n, mem, before)), [[BUF, 16], [LEN, 4]]);
    mem.u32(LEN, 5000);
    assert.deepEqual(regions(collect('getsockname', [3n, BUF, LEN], 0n, mem)), [[BUF, 128], [LEN, 4]]);
    assert.deepEqual(regions(collect('accept', [3n, 0n, 0n], 5n, mem)), []);
  });

  it('recvfrom: ret bytes, but never past the buffer (MSG_TRUNC)', () => {
    const mem = memory().u32(LEN, 16);
    const MSG_TRUNC = 0x20n;
    assert.deepEqual(
      regions(collect('recvfrom', [3n, BUF, 10n, MSG_TRUNC, BUF2, LEN], 100n, mem)),
      [[BUF, 10], [BUF2, 16], [LEN, 4]],
    );
  });

  it('getgroups: nothing when only counting (size 0)', () => {
    const mem = memory();
    assert.deepEqual(regions(collect('getgroups', [0n, BUF], 7n, mem)), []);
    assert.deepEqual(regions(collect('getgroups', [16n, BUF], 7n, mem)), [[BUF, 28]]);
  });

  it('msgrcv: mtype, then the text after it', () => {
    const r = collect('msgrcv', [1n, BUF, 64n, 0n, 0n], 5n, memory());
    assert.deepEqual(regions(r), [[BUF, 8], [BUF + 8n, 5]]);
  });

  it('nanosleep: the remaining time is written when interrupted', () => {
    const mem = memory();
    assert.deepEqual(regions(collect('nanosleep', [BUF, BUF2], neg(EINTR), mem)), [[BUF2, 16]]);
    assert.deepEqual(regions(collect('clock_nanosleep', [1n, 0n, BUF, 0n], 0n, mem)), []);
  });

  it('mincore: one byte per page, rounded up', () => {
    assert.deepEqual(regions(collect('mincore', [0x7000n, 3n * 4096n + 1n, BUF], 0n, memory())), [[BUF, 4]]);
  });

  it('socketpair and pipe2: int[2]', () => {
    assert.deepEqual(regions(collect('socketpair', [1n, 1n, 0n, BUF], 0n, memory())), [[BUF, 8]]);
    assert.deepEqual(regions(collect('pipe2', [BUF, 0n], 0n, memory())), [[BUF, 8]]);
  });

  it('sendmmsg: the first ret entries (msg_len written back)', () => {
    assert.deepEqual(regions(collect('sendmmsg', [3n, HDR, 5n, 0n], 2n, memory())), [[HDR, 128]]);
  });

  it('futex: common ops write nothing; PI ops write the word even on failure; WAKE_OP uaddr2', () => {
    const mem = memory();
    const FUTEX_WAIT_PRIVATE = 128n;
    const FUTEX_LOCK_PI_PRIVATE = 134n;
    const FUTEX_WAKE_OP = 5n;
    // FUTEX_WAIT leaves uaddr2 as garbage: it must not be read.
    assert.deepEqual(regions(collect('futex', [BUF, FUTEX_WAIT_PRIVATE, 0n, 0n, 0xdeadn, 0n], 0n, mem)), []);
    assert.deepEqual(
      regions(collect('futex', [BUF, FUTEX_LOCK_PI_PRIVATE, 0n, BUF2, 0n, 0n], neg(ETIMEDOUT), mem)),
      [[BUF, 4]],
    );
    assert.deepEqual(regions(collect('futex', [BUF, FUTEX_WAKE_OP, 1n, 1n, BUF3, 0n], 1n, mem)), [[BUF3, 4]]);
  });

  it('fcntl: F_GETLK writes a struct flock; unknown commands are a problem', () => {
    const mem = memory();
    assert.deepEqual(regions(collect('fcntl', [3n, 5n, BUF], 0n, mem)), [[BUF, 32]]);
    assert.deepEqual(regions(collect('fcntl', [3n, 3n, 0n], 2n, mem)), []);
    assert.match(collect('fcntl', [3n, 999n, BUF], 0n, mem).problem ?? '', /999/);
  });

  it('prctl: PR_GET_NAME writes 16 bytes, PR_GET_DUMPABLE nothing', () => {
    const mem = memory();
    assert.deepEqual(regions(collect('prctl', [16n, BUF, 0n, 0n, 0n], 0n, mem)), [[BUF, 16]]);
    assert.deepEqual(regions(collect('prctl', [3n, 0n, 0n, 0n, 0n], 1n, mem)), []);
    assert.match(collect('prctl', [26n, 2n, 0n, 0n, 0n], 0n, mem).problem ?? '', /PR_SET_TSC/);
  });

  it('arch_prctl: ARCH_GET_FS stores the base; ARCH_SET_FS reads nothing', () => {
    const mem = memory();
    assert.deepEqual(regions(collect('arch_prctl', [0x1003n, BUF], 0n, mem)), [[BUF, 8]]);
    assert.deepEqual(regions(collect('arch_prctl', [0x1002n, BUF], 0n, mem)), []);
  });

  it('reports a short read at an unmapped page', () => {
    const mem = new FakeMemory().map(BUF, 4096);
    const r = collectOutparams(def('read'), [3n, BUF + 4000n, 200n], 200n, mem);
    assert.deepEqual(regions(r), [[BUF + 4000n, 96]]);
    assert.match(r.problem ?? '', /96 of 200/);
  });

  it('caps huge sizes instead of trying to read them', () => {
    const mem = new FakeMemory();
    const huge = BigInt(MAX_OUTPARAM_BYTES) * 2n;
    const r = collectOutparams(def('read'), [3n, BUF, huge], huge, mem);
    assert.deepEqual(r.writes, []);
    assert.match(r.problem ?? '', /cap/);
    assert.ok(mem.reads.every((x) => x.len <= MAX_OUTPARAM_BYTES));
  });

  it('never throws on garbage', () => {
    const mem = memory();
    const junk = [0xffffffffffffffffn, 0x8000000000000000n, 1n, 0n, 0x7fffffffffffn, 42n];
    for (const d of [
      'read', 'readv', 'recvmsg', 'recvmmsg', 'ioctl', 'getsockopt', 'select', 'poll', 'fcntl',
      'prctl', 'futex', 'semctl', 'accept', 'msgrcv', 'mincore', 'syslog',
    ]) {
      for (const ret of [0n, 1n, 0x7fffffffn, neg(EINTR)]) {
        assert.doesNotThrow(() => collectOutparams(def(d), junk, ret, mem), d);
      }
    }
  });
});

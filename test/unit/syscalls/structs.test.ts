import { strict as assert } from 'assert';
import { MMSGHDR_MSG_LEN, MSGHDR, STRUCT_SIZES, StructName } from '../../../src/shared/syscalls/structs';
import { FIEMAP, IFCONF } from '../../../src/shared/syscalls/ioctls';
import { haveGcc, probe, program } from './cprobe';

/** STRUCT_SIZES entries measured through glibc's headers (where glibc matches the kernel). */
const GLIBC: Partial<Record<StructName, string>> = {
  stat: 'struct stat', statx: 'struct statx', statfs: 'struct statfs',
  timespec: 'struct timespec', timeval: 'struct timeval', timezone: 'struct timezone',
  itimerval: 'struct itimerval', itimerspec: 'struct itimerspec', timex: 'struct timex',
  rusage: 'struct rusage', tms: 'struct tms', rlimit: 'struct rlimit', sysinfo: 'struct sysinfo',
  utsname: 'struct utsname', termio: 'struct termio', winsize: 'struct winsize',
  epollEvent: 'struct epoll_event', siginfo: 'siginfo_t', stackT: 'stack_t',
  sigevent: 'struct sigevent', flock: 'struct flock', fOwnerEx: 'struct f_owner_ex',
  pollfd: 'struct pollfd', msghdr: 'struct msghdr', mmsghdr: 'struct mmsghdr',
  iovec: 'struct iovec', sockaddrStorage: 'struct sockaddr_storage', ucred: 'struct ucred',
  schedParam: 'struct sched_param', mqAttr: 'struct mq_attr', shmidDs: 'struct shmid_ds',
  shminfo: 'struct shminfo', shmInfo: 'struct shm_info', semidDs: 'struct semid_ds',
  seminfo: 'struct seminfo', msqidDs: 'struct msqid_ds', msginfo: 'struct msginfo',
  ifreq: 'struct ifreq', ifconf: 'struct ifconf',
};
const GLIBC_HEADERS = [
  'stddef.h', 'sys/stat.h', 'sys/statfs.h', 'sys/time.h', 'sys/timex.h', 'sys/resource.h',
  'sys/times.h', 'sys/sysinfo.h', 'sys/utsname.h', 'sys/ioctl.h', 'sys/epoll.h', 'signal.h',
  'fcntl.h', 'poll.h', 'sys/socket.h', 'sys/uio.h', 'sched.h', 'mqueue.h', 'sys/shm.h',
  'sys/sem.h', 'sys/msg.h', 'net/if.h', 'time.h',
];

/** Entries whose kernel layout differs from glibc's, or which glibc does not have. */
const KERNEL: Partial<Record<StructName, string>> = {
  ktermios: 'struct termios', termios2: 'struct termios2', ksigset: 'sigset_t',
  ksigaction: 'struct sigaction', signalfdSiginfo: 'struct signalfd_siginfo',
  capHeader: 'struct __user_cap_header_struct', capData: 'struct __user_cap_data_struct',
  robustListHead: 'struct robust_list_head', userDesc: 'struct user_desc',
  fiemap: 'struct fiemap', fiemapExtent: 'struct fiemap_extent',
  seccompNotifSizes: 'struct seccomp_notif_sizes', rseq: 'struct rseq',
  cloneArgs: 'struct clone_args', openHow: 'struct open_how', schedAttr: 'struct sched_attr',
  // Mirrors of kernel definitions our headers lack (written out in KERNEL_PRELUDE).
  ustat: 'struct mirror_ustat', cachestat: 'struct mirror_cachestat',
};
const KERNEL_HEADERS = [
  'stddef.h', 'asm/termbits.h', 'asm/signal.h', 'linux/signalfd.h', 'linux/capability.h',
  'linux/futex.h', 'asm/ldt.h', 'linux/fiemap.h', 'linux/seccomp.h', 'linux/rseq.h',
  'linux/sched.h', 'linux/sched/types.h', 'linux/openat2.h', 'linux/types.h',
];
/** include/linux/types.h (kernel-internal) and include/uapi/linux/mman.h (6.5). */
const KERNEL_PRELUDE = `
struct mirror_ustat { int f_tfree; unsigned long f_tinode; char f_fname[6]; char f_fpack[6]; };
struct mirror_cachestat { __u64 nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted; };
`;

const sizes = (table: Partial<Record<StructName, string>>) =>
  Object.entries(table).map(([k, t]) => [k, `sizeof(${t})`] as const);

describe('syscall struct sizes (measured with gcc)', function () {
  before(function () {
    if (!haveGcc()) this.skip();
  });

  it('every STRUCT_SIZES entry has a C type to measure', () => {
    const covered = new Set([...Object.keys(GLIBC), ...Object.keys(KERNEL)]);
    const missing = Object.keys(STRUCT_SIZES).filter((k) => !covered.has(k));
    assert.deepEqual(missing, []);
  });

  it('match glibc', function () {
    this.timeout(30000);
    const offsets = [
      ...Object.keys(MSGHDR).map((f) => [`msghdr.${f}`, `offsetof(struct msghdr, msg_${f})`] as const),
      ['mmsghdr.msg_len', 'offsetof(struct mmsghdr, msg_len)'] as const,
      ['ifconf.len', 'offsetof(struct ifconf, ifc_len)'] as const,
      ['ifconf.buf', 'offsetof(struct ifconf, ifc_buf)'] as const,
    ];
    const got = probe(program(GLIBC_HEADERS, [...sizes(GLIBC), ...offsets]));
    for (const [k] of sizes(GLIBC)) {
      assert.equal(Number(got.get(k)), STRUCT_SIZES[k as StructName], `sizeof ${GLIBC[k as StructName]}`);
    }
    for (const [f, off] of Object.entries(MSGHDR)) assert.equal(Number(got.get(`msghdr.${f}`)), off, f);
    assert.equal(Number(got.get('mmsghdr.msg_len')), MMSGHDR_MSG_LEN);
    assert.equal(Number(got.get('ifconf.len')), IFCONF.len);
    assert.equal(Number(got.get('ifconf.buf')), IFCONF.buf);
  });

  it('match the kernel headers (termios is 36 bytes, sigset 8, sigaction 32)', function () {
    this.timeout(30000);
    const offsets = [
      ['fiemap.mapped', 'offsetof(struct fiemap, fm_mapped_extents)'] as const,
      ['fiemap.count', 'offsetof(struct fiemap, fm_extent_count)'] as const,
      ['fiemap.extents', 'offsetof(struct fiemap, fm_extents)'] as const,
    ];
    const src = program(KERNEL_HEADERS, [...sizes(KERNEL), ...offsets])
      .replace('int main(void)', `${KERNEL_PRELUDE}\nint main(void)`);
    const got = probe(src);
    for (const [k] of sizes(KERNEL)) {
      assert.equal(Number(got.get(k)), STRUCT_SIZES[k as StructName], `sizeof ${KERNEL[k as StructName]}`);
    }
    assert.equal(STRUCT_SIZES.ktermios, 36);
    assert.equal(Number(got.get('fiemap.mapped')), FIEMAP.mappedExtents);
    assert.equal(Number(got.get('fiemap.count')), FIEMAP.extentCount);
    assert.equal(Number(got.get('fiemap.extents')), FIEMAP.extents);
  });
});

/**
 * Sizes in bytes of the kernel structures syscalls write, as the x86-64 kernel lays them out.
 * Each one was measured with gcc on the build machine, and test/unit/syscalls/structs.test.ts
 * measures them again at test time, so a wrong number here fails a test rather than silently
 * corrupting a replay. Where glibc's type differs from the kernel's (termios, sigaction,
 * sigset_t), the kernel's is the one that counts: it is what the syscall writes.
 */
export const STRUCT_SIZES = {
  stat: 144,
  statx: 256,
  statfs: 120,
  /** struct ustat: not in glibc headers any more; the test mirrors the kernel's definition */
  ustat: 32,
  timespec: 16,
  timeval: 16,
  timezone: 8,
  /** struct itimerval and struct itimerspec are both two 16-byte times */
  itimerval: 32,
  itimerspec: 32,
  timex: 208,
  rusage: 144,
  tms: 32,
  rlimit: 16,
  sysinfo: 112,
  /** struct new_utsname: 6 fields of 65 bytes */
  utsname: 390,
  /** the kernel's struct termios (asm/termbits.h, what TCGETS writes), not glibc's 60-byte one */
  ktermios: 36,
  termios2: 44,
  /** struct termio (TCGETA) */
  termio: 18,
  winsize: 8,
  /** packed on x86-64 (__EPOLL_PACKED) */
  epollEvent: 12,
  siginfo: 128,
  /** the kernel's sigset_t (_NSIG / 8), not glibc's 128-byte one */
  ksigset: 8,
  /** the kernel's struct sigaction: handler, flags, restorer, 8-byte mask */
  ksigaction: 32,
  stackT: 24,
  signalfdSiginfo: 128,
  sigevent: 64,
  flock: 32,
  fOwnerEx: 8,
  pollfd: 8,
  msghdr: 56,
  /** struct msghdr + unsigned msg_len, padded */
  mmsghdr: 64,
  iovec: 16,
  sockaddrStorage: 128,
  ucred: 12,
  schedParam: 4,
  /** SCHED_ATTR_SIZE_VER1 */
  schedAttr: 56,
  /** struct __user_cap_header_struct */
  capHeader: 8,
  /** struct __user_cap_data_struct; _LINUX_CAPABILITY_VERSION_2/3 use two of them */
  capData: 12,
  robustListHead: 24,
  userDesc: 16,
  mqAttr: 64,
  /** struct shmid64_ds, what IPC_STAT writes on x86-64 */
  shmidDs: 112,
  /** struct shminfo64 (IPC_INFO) */
  shminfo: 72,
  /** struct shm_info (SHM_INFO) */
  shmInfo: 48,
  semidDs: 104,
  seminfo: 40,
  msqidDs: 120,
  msginfo: 32,
  ifreq: 40,
  ifconf: 16,
  fiemap: 32,
  fiemapExtent: 56,
  seccompNotifSizes: 6,
  /** struct cachestat (6.5): five u64 counters; not in our 6.1 headers, the test mirrors it */
  cachestat: 40,
  /** struct rseq (the registration the kernel would update; rrts denies rseq) */
  rseq: 32,
  cloneArgs: 88,
  openHow: 24,
} as const;

export type StructName = keyof typeof STRUCT_SIZES;

/** Offsets in struct msghdr (x86-64) that the scatter collector reads. */
export const MSGHDR = {
  name: 0,
  namelen: 8,
  iov: 16,
  iovlen: 24,
  control: 32,
  controllen: 40,
  flags: 48,
} as const;

/** Offset of msg_len in struct mmsghdr. */
export const MMSGHDR_MSG_LEN = 56;

/** The kernel never reports a socket address longer than sizeof(struct sockaddr_storage). */
export const SOCKADDR_MAX = 128;

/** UIO_MAXIOV: the kernel rejects longer iovec arrays (and vlen is capped to it in recvmmsg). */
export const UIO_MAXIOV = 1024;

export const PAGE_SIZE = 4096;

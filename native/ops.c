/*
 * rrts_run(): interpret a program of ptrace operations (see rrts_native.h) in one native call.
 *
 * Every ptrace request must come from the thread that attached the tracee; rrts calls this only
 * from Node's main thread, synchronously. A failing operation ends the program: its output
 * record carries -errno and nothing after it runs.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>

#include "rrts_native.h"

#define ALIGN8(n) (((n) + 7u) & ~7u)

/* ---- /proc/TID/mem, cached: the fallback for pages process_vm_* refuses (read-only, vDSO) */
enum { MEM_CACHE = 64 };
static struct { int tid, fd; } mem_cache[MEM_CACHE];

static int mem_fd(int tid) {
  for (int i = 0; i < MEM_CACHE; i++)
    if (mem_cache[i].tid == tid && mem_cache[i].fd > 0) return mem_cache[i].fd;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", tid);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return -errno;
  for (int i = 0; i < MEM_CACHE; i++) {
    if (mem_cache[i].fd <= 0) {
      mem_cache[i].tid = tid, mem_cache[i].fd = fd;
      return fd;
    }
  }
  close(mem_cache[0].fd); /* table full: evict the oldest slot */
  mem_cache[0].tid = tid, mem_cache[0].fd = fd;
  return fd;
}

static void mem_forget(int tid) {
  for (int i = 0; i < MEM_CACHE; i++) {
    if (mem_cache[i].tid == tid && mem_cache[i].fd > 0) {
      close(mem_cache[i].fd);
      mem_cache[i].fd = 0, mem_cache[i].tid = 0;
    }
  }
}

/* Read up to len bytes; returns bytes read (short at an unmapped page) or -errno. */
static int64_t mem_read(int tid, uint64_t addr, void *buf, uint64_t len) {
  struct iovec local = {buf, len}, remote = {(void *)addr, len};
  ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
  if (n == (ssize_t)len) return n;
  int fd = mem_fd(tid);
  if (fd < 0) return n > 0 ? n : fd;
  uint64_t done = 0;
  while (done < len) {
    ssize_t r = pread(fd, (char *)buf + done, len - done, (off_t)(addr + done));
    if (r <= 0) break;
    done += (uint64_t)r;
  }
  if (done == 0 && len > 0) return -EIO;
  return (int64_t)done;
}

static int64_t mem_write(int tid, uint64_t addr, const void *buf, uint64_t len) {
  struct iovec local = {(void *)buf, len}, remote = {(void *)addr, len};
  if (process_vm_writev(tid, &local, 1, &remote, 1, 0) == (ssize_t)len) return (int64_t)len;
  int fd = mem_fd(tid);
  if (fd < 0) return fd;
  uint64_t done = 0;
  while (done < len) {
    ssize_t r = pwrite(fd, (const char *)buf + done, len - done, (off_t)(addr + done));
    if (r <= 0) return r < 0 ? -errno : -EIO;
    done += (uint64_t)r;
  }
  return (int64_t)done;
}

/* ---- waiting with a timeout: a per-thread POSIX timer interrupts waitpid with EINTR, so the
 * Node event loop (gdb's Ctrl-C, SIGTERM) gets a turn while the tracee runs for a long time. */
static int timer_ready;
static timer_t wait_timer;
static void on_timer(int sig) { (void)sig; }

static int timer_setup(void) {
  if (timer_ready) return 0;
  int sig = SIGRTMAX - 3;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_timer; /* no SA_RESTART: waitpid must return EINTR */
  if (sigaction(sig, &sa, NULL) < 0) return -errno;
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = sig;
  sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
  if (timer_create(CLOCK_MONOTONIC, &sev, &wait_timer) < 0) return -errno;
  timer_ready = 1;
  return 0;
}

static void timer_arm(int ms) {
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  its.it_value.tv_sec = ms / 1000;
  its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
  timer_settime(wait_timer, 0, &its, NULL);
}

static int do_wait(int tid, int timeout_ms, struct rrts_stop *st) {
  memset(st, 0, sizeof *st);
  int status = 0;
  pid_t got;
  if (timeout_ms >= 0) {
    int e = timer_setup();
    if (e < 0) return e;
    timer_arm(timeout_ms > 0 ? timeout_ms : 1);
    got = waitpid(tid, &status, __WALL);
    int saved = errno;
    timer_arm(0);
    if (got < 0 && saved == EINTR) {
      got = waitpid(tid, &status, __WALL | WNOHANG); /* it may have stopped meanwhile */
      if (got == 0) return 0;                         /* timeout: st->tid stays 0 */
    } else if (got < 0) {
      return -saved;
    }
  } else {
    do got = waitpid(tid, &status, __WALL);
    while (got < 0 && errno == EINTR);
  }
  if (got < 0) return -errno;
  st->tid = got;
  st->status = status;
  if (!WIFSTOPPED(status)) {
    mem_forget(got);
    return 0;
  }
  struct user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, got, 0, &regs) == 0) {
    memcpy(st->regs, &regs, sizeof regs);
    st->has_regs = 1;
  }
  int sig = WSTOPSIG(status);
  int event = (status >> 16) & 0xff;
  if (event) {
    unsigned long msg = 0;
    ptrace(PTRACE_GETEVENTMSG, got, 0, &msg);
    st->eventmsg = msg;
    if (event == PTRACE_EVENT_EXEC) mem_forget(got);
  } else if (sig == (SIGTRAP | 0x80)) {
    struct __ptrace_syscall_info info;
    if (ptrace(PTRACE_GET_SYSCALL_INFO, got, sizeof info, &info) > 0) st->syscall_op = info.op;
  } else {
    ptrace(PTRACE_GETSIGINFO, got, 0, st->siginfo); /* fails for group-stops: siginfo stays 0 */
    if (sig == SIGTRAP)
      st->dr6 = (uint64_t)ptrace(PTRACE_PEEKUSER, got, offsetof(struct user, u_debugreg[6]), 0);
  }
  return 0;
}

/* Run one syscall in the tracee: registers point at stub_ip (`syscall; int3`), the tracee runs
 * until the int3, and its registers are put back. A signal that arrives meanwhile is held back
 * and reported in the second output word, for the caller to deliver. */
static int64_t remote_syscall(int tid, uint64_t stub_ip, int64_t nr, const int64_t *args,
                              int64_t *result, int64_t *held_signal) {
  struct user_regs_struct saved, r;
  if (ptrace(PTRACE_GETREGS, tid, 0, &saved) < 0) return -errno;
  r = saved;
  r.rip = stub_ip;
  r.rax = (uint64_t)nr;
  r.orig_rax = (uint64_t)-1;
  r.rdi = (uint64_t)args[0], r.rsi = (uint64_t)args[1], r.rdx = (uint64_t)args[2];
  r.r10 = (uint64_t)args[3], r.r8 = (uint64_t)args[4], r.r9 = (uint64_t)args[5];
  if (ptrace(PTRACE_SETREGS, tid, 0, &r) < 0) return -errno;
  *held_signal = 0;
  int sig = 0;
  for (;;) {
    if (ptrace(PTRACE_CONT, tid, 0, sig) < 0) return -errno;
    sig = 0;
    int status;
    if (waitpid(tid, &status, __WALL) < 0) return -errno;
    if (!WIFSTOPPED(status)) return -ESRCH;
    int s = WSTOPSIG(status);
    if ((status >> 16) != 0) continue; /* a seccomp or other event stop: carry on */
    if (s == SIGTRAP) {
      if (ptrace(PTRACE_GETREGS, tid, 0, &r) < 0) return -errno;
      if (r.rip == stub_ip + 3) break;
      continue;
    }
    *held_signal = s;
  }
  *result = (int64_t)r.rax;
  if (ptrace(PTRACE_SETREGS, tid, 0, &saved) < 0) return -errno;
  return 0;
}

/* The uprobe PMU's type number, from sysfs (it is assigned at boot). */
static int uprobe_type(void) {
  static int type = -1;
  if (type >= 0) return type;
  FILE *f = fopen("/sys/bus/event_source/devices/uprobe/type", "r");
  if (!f) return -ENOENT;
  if (fscanf(f, "%d", &type) != 1) type = -1;
  fclose(f);
  return type >= 0 ? type : -ENOENT;
}

static int uprobe_open(int tid, const char *path, uint64_t offset, uint64_t period, int sig) {
  int type = uprobe_type();
  if (type < 0) return type;
  struct perf_event_attr a;
  memset(&a, 0, sizeof a);
  a.size = sizeof a;
  a.type = (uint32_t)type;
  a.config1 = (uint64_t)(uintptr_t)path;
  a.config2 = offset;
  if (period) a.sample_period = period, a.wakeup_events = 1;
  int fd = (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) return -errno;
  if (period) {
    struct f_owner_ex o = {F_OWNER_TID, tid};
    if (fcntl(fd, F_SETOWN_EX, &o) < 0 || fcntl(fd, F_SETSIG, sig) < 0 ||
        fcntl(fd, F_SETFL, O_ASYNC | O_NONBLOCK) < 0) {
      int e = errno;
      close(fd);
      return -e;
    }
  }
  return fd;
}

/* With a period, the counter queues `sig` to tid at the period-th event (fcntl O_ASYNC). */
static int counter_signal(int fd, int tid, int sig) {
  struct f_owner_ex o = {F_OWNER_TID, tid};
  if (fcntl(fd, F_SETOWN_EX, &o) < 0 || fcntl(fd, F_SETSIG, sig) < 0 || fcntl(fd, F_SETFL, O_ASYNC | O_NONBLOCK) < 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

static int watch_open(int tid, uint64_t addr, uint64_t len, uint64_t period, int bp_type, int sig) {
  struct perf_event_attr a;
  memset(&a, 0, sizeof a);
  a.size = sizeof a;
  a.type = PERF_TYPE_BREAKPOINT;
  a.bp_type = (uint32_t)bp_type;
  a.bp_addr = addr;
  a.bp_len = len;
  a.exclude_kernel = 1;
  a.exclude_hv = 1;
  if (period) a.sample_period = period, a.wakeup_events = 1;
  int fd = (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) return -errno;
  return period ? counter_signal(fd, tid, sig) : fd;
}

int64_t rrts_debugreg_offset(void) { return offsetof(struct user, u_debugreg); }
int32_t rrts_abi_version(void) { return RRTS_NATIVE_ABI; }

/* Interpret `cmd`; returns the number of bytes written to `out`, or -ENOSPC when out is full. */
int64_t rrts_run(const uint8_t *cmd, int64_t cmd_len, uint8_t *out, int64_t out_cap) {
  int64_t ip = 0, op_out = 0;
  while (ip + (int64_t)sizeof(struct rrts_cmd) <= cmd_len) {
    const struct rrts_cmd *c = (const struct rrts_cmd *)(cmd + ip);
    const uint8_t *p = cmd + ip + sizeof *c;
    ip += sizeof *c + ALIGN8(c->len);
    struct rrts_out *o = (struct rrts_out *)(out + op_out);
    uint8_t *data = out + op_out + sizeof *o;
    int64_t room = out_cap - op_out - (int64_t)sizeof *o;
    if (room < 0) return -ENOSPC;
    o->op = c->op, o->ret = 0, o->len = 0, o->pad = 0;
    int tid = c->tid;
    long r = 0;
    switch (c->op) {
      case OP_GETREGS:
        if (room < (int64_t)sizeof(struct user_regs_struct)) return -ENOSPC;
        r = ptrace(PTRACE_GETREGS, tid, 0, data);
        if (r == 0) o->len = sizeof(struct user_regs_struct);
        break;
      case OP_SETREGS: r = ptrace(PTRACE_SETREGS, tid, 0, p); break;
      case OP_READ: {
        uint64_t addr, len;
        memcpy(&addr, p, 8), memcpy(&len, p + 8, 8);
        if ((int64_t)len > room) return -ENOSPC;
        int64_t n = mem_read(tid, addr, data, len);
        if (n < 0) o->ret = (int32_t)n;
        else o->len = (uint32_t)n, o->ret = (int32_t)n;
        r = n < 0 ? -1 : 0;
        if (n < 0) errno = (int)-n;
        break;
      }
      case OP_WRITE: {
        uint64_t addr;
        memcpy(&addr, p, 8);
        int64_t n = mem_write(tid, addr, p + 8, c->len - 8);
        if (n < 0) r = -1, errno = (int)-n;
        break;
      }
      case OP_RESUME: {
        int32_t req, sig;
        memcpy(&req, p, 4), memcpy(&sig, p + 4, 4);
        r = ptrace((enum __ptrace_request)req, tid, 0, (long)sig);
        break;
      }
      case OP_WAIT: {
        int32_t timeout;
        memcpy(&timeout, p, 4);
        if (room < (int64_t)sizeof(struct rrts_stop)) return -ENOSPC;
        int e = do_wait(tid, timeout, (struct rrts_stop *)data);
        if (e < 0) r = -1, errno = -e;
        else o->len = sizeof(struct rrts_stop);
        break;
      }
      case OP_SYSCALL: {
        uint64_t stub;
        int64_t nr, args[6], res[2] = {0, 0};
        memcpy(&stub, p, 8), memcpy(&nr, p + 8, 8), memcpy(args, p + 16, 48);
        int64_t e = remote_syscall(tid, stub, nr, args, &res[0], &res[1]);
        if (e < 0) r = -1, errno = (int)-e;
        memcpy(data, res, 16), o->len = 16;
        break;
      }
      case OP_PEEKUSER: {
        uint64_t off;
        memcpy(&off, p, 8);
        errno = 0;
        long v = ptrace(PTRACE_PEEKUSER, tid, off, 0);
        if (errno) r = -1;
        memcpy(data, &v, 8), o->len = 8;
        break;
      }
      case OP_POKEUSER: {
        uint64_t off, v;
        memcpy(&off, p, 8), memcpy(&v, p + 8, 8);
        r = ptrace(PTRACE_POKEUSER, tid, off, v);
        break;
      }
      case OP_KILL: {
        int32_t sig;
        memcpy(&sig, p, 4);
        r = syscall(SYS_tgkill, tid, tid, sig);
        break;
      }
      case OP_GETFPREGS: {
        struct iovec iov = {data, room > 16384 ? 16384 : (size_t)room};
        r = ptrace(PTRACE_GETREGSET, tid, NT_X86_XSTATE, &iov);
        if (r == 0) o->len = (uint32_t)iov.iov_len, o->ret = (int32_t)iov.iov_len;
        break;
      }
      case OP_SETFPREGS: {
        struct iovec iov = {(void *)p, c->len};
        r = ptrace(PTRACE_SETREGSET, tid, NT_X86_XSTATE, &iov);
        break;
      }
      case OP_KCMP_FILE: {
        int32_t tfd, ofd;
        memcpy(&tfd, p, 4), memcpy(&ofd, p + 4, 4);
        long k = syscall(SYS_kcmp, tid, getpid(), KCMP_FILE, tfd, ofd);
        o->ret = (int32_t)(k < 0 ? -errno : k); /* a verdict, not a failure */
        break;
      }
      case OP_RDTSC: {
        unsigned aux = 0;
        uint64_t v[2];
        v[0] = __rdtscp(&aux);
        v[1] = aux;
        memcpy(data, v, 16), o->len = 16;
        break;
      }
      case OP_FORGET: mem_forget(tid); break;
      case OP_SETOPTIONS: {
        uint64_t opts;
        memcpy(&opts, p, 8);
        r = ptrace(PTRACE_SETOPTIONS, tid, 0, opts);
        break;
      }
      case OP_GETSIGINFO:
        r = ptrace(PTRACE_GETSIGINFO, tid, 0, data);
        if (r == 0) o->len = 128;
        break;
      case OP_SETSIGINFO: r = ptrace(PTRACE_SETSIGINFO, tid, 0, p); break;
      case OP_UPROBE_OPEN: {
        uint64_t off, period;
        int32_t sig;
        memcpy(&off, p, 8), memcpy(&period, p + 8, 8), memcpy(&sig, p + 16, 4);
        int fd = uprobe_open(tid, (const char *)(p + 24), off, period, sig);
        if (fd < 0) r = -1, errno = -fd;
        else o->ret = fd;
        break;
      }
      case OP_WATCH_OPEN: {
        uint64_t addr, len, period;
        int32_t type, sig;
        memcpy(&addr, p, 8), memcpy(&len, p + 8, 8), memcpy(&period, p + 16, 8);
        memcpy(&type, p + 24, 4), memcpy(&sig, p + 28, 4);
        int fd = watch_open(tid, addr, len, period, type, sig);
        if (fd < 0) r = -1, errno = -fd;
        else o->ret = fd;
        break;
      }
      case OP_COUNTER_READ: {
        int32_t fd;
        memcpy(&fd, p, 4);
        uint64_t v = 0;
        if (read(fd, &v, 8) != 8) r = -1;
        memcpy(data, &v, 8), o->len = 8;
        break;
      }
      case OP_COUNTER_CLOSE: {
        int32_t fd;
        memcpy(&fd, p, 4);
        ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
        r = close(fd);
        break;
      }
      case OP_DETACH: {
        int32_t sig;
        memcpy(&sig, p, 4);
        r = ptrace(PTRACE_DETACH, tid, 0, (long)sig);
        break;
      }
      default: r = -1, errno = EINVAL; break;
    }
    if (r < 0) {
      o->ret = -errno;
      op_out += sizeof *o + ALIGN8(o->len);
      return op_out;
    }
    op_out += sizeof *o + ALIGN8(o->len);
  }
  return op_out;
}

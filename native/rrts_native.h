/*
 * The contract between librrts.so and src/shared/native/ (TypeScript).
 *
 * Node reaches the kernel through ffi-rs, which costs a few microseconds per call, and a
 * ptrace stop costs ~45 us here. So the boundary is coarse: TypeScript encodes a small
 * *program* of ptrace operations (set registers, write memory, resume, wait, read registers...)
 * into a buffer, and rrts_run() interprets it in one call. Typically one call per tracee stop.
 *
 * Every layout below is little-endian, 8-byte aligned, and mirrored in
 * src/shared/native/ops.ts. Change both together and bump RRTS_NATIVE_ABI.
 */
#ifndef RRTS_NATIVE_H
#define RRTS_NATIVE_H

#include <stdint.h>

#define RRTS_NATIVE_ABI 1

/* Command record: header followed by `len` payload bytes, padded to 8. */
struct rrts_cmd {
  uint32_t op;
  int32_t tid;
  uint32_t len; /* payload bytes that follow */
  uint32_t pad;
};

/* Output record: header followed by `len` data bytes, padded to 8. */
struct rrts_out {
  uint32_t op;
  int32_t ret; /* >= 0 success, -errno on failure */
  uint32_t len;
  uint32_t pad;
};

enum rrts_op {
  OP_GETREGS = 1,   /* out: struct user_regs_struct (216 bytes) */
  OP_SETREGS = 2,   /* payload: struct user_regs_struct */
  OP_READ = 3,      /* payload: u64 addr, u64 len; out: bytes read (may be short) */
  OP_WRITE = 4,     /* payload: u64 addr, bytes; writes through read-only pages too */
  OP_RESUME = 5,    /* payload: i32 request, i32 signal */
  OP_WAIT = 6,      /* payload: i32 timeout_ms (<0: forever); out: struct rrts_stop. tid -1: any */
  OP_SYSCALL = 7,   /* payload: u64 stub_ip, i64 nr, i64 args[6]; out: i64 result.
                       Runs a syscall in the tracee at stub_ip (`syscall; int3`) and restores regs. */
  OP_PEEKUSER = 8,  /* payload: u64 offset; out: u64 */
  OP_POKEUSER = 9,  /* payload: u64 offset, u64 value */
  OP_KILL = 10,     /* payload: i32 signal (tgkill) */
  OP_GETFPREGS = 11,/* out: NT_X86_XSTATE area (size in ret) */
  OP_SETFPREGS = 12,/* payload: NT_X86_XSTATE area */
  OP_KCMP_FILE = 13,/* payload: i32 tracee_fd, i32 our_fd; out: ret = kcmp result (0 = same file) */
  OP_RDTSC = 14,    /* out: u64 tsc, u64 tsc_aux (rdtscp) */
  OP_FORGET = 15,   /* tracee is gone: drop cached fds */
  OP_SETOPTIONS = 16, /* payload: u64 options */
  OP_GETSIGINFO = 17, /* out: siginfo (128) */
  OP_DETACH = 18,   /* payload: i32 signal */
  OP_SETSIGINFO = 19, /* payload: siginfo (128) */
  OP_UPROBE_OPEN = 20, /* payload: u64 file_offset, u64 sample_period, i32 signal, i32 pad, path\0;
                          ret: perf fd counting executions of that file offset by tid (in-kernel,
                          no stop); with a period, `signal` is queued to tid at the period-th hit */
  OP_COUNTER_READ = 21, /* payload: i32 fd; out: u64 count */
  OP_COUNTER_CLOSE = 22, /* payload: i32 fd */
  OP_WATCH_OPEN = 23, /* payload: u64 addr, u64 len, u64 sample_period, i32 bp_type (1 R, 2 W, 3 RW),
                         i32 signal; ret: perf fd counting user-mode accesses by tid (a hardware
                         breakpoint in the kernel, no stop); with a period, signal at the period-th */
};

/* What OP_WAIT reports. kind is derived in TS from status; the extras are filled when cheap. */
struct rrts_stop {
  int32_t tid;        /* 0 on timeout */
  int32_t status;     /* raw waitpid status */
  uint64_t eventmsg;  /* PTRACE_GETEVENTMSG, for PTRACE_EVENT_* stops */
  uint64_t dr6;       /* debug status register, for SIGTRAP stops */
  int32_t syscall_op; /* PTRACE_GET_SYSCALL_INFO op for syscall stops (1 entry, 2 exit, 3 seccomp) */
  int32_t has_regs;
  uint8_t regs[216];  /* struct user_regs_struct, if has_regs */
  uint8_t siginfo[128]; /* for signal-delivery stops */
};

/* rrts_spawn flags */
enum rrts_spawn_flag {
  SPAWN_NO_ASLR = 1,      /* personality(ADDR_NO_RANDOMIZE) */
  SPAWN_TRAP_TSC = 2,     /* prctl(PR_SET_TSC, PR_TSC_SIGSEGV): rdtsc faults */
  SPAWN_SECCOMP = 4,      /* install the filter: trace every syscall not made from allow_ip */
  SPAWN_NULL_STDIO = 8,   /* stdin/stdout/stderr from /dev/null, other fds closed (replay) */
  SPAWN_NO_CORE = 16,     /* RLIMIT_CORE 0: a replayed crash must not write a core file */
};

#endif

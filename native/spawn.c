/*
 * Starting a tracee. Node must not fork (its threads would be copied into a half-dead child),
 * so the fork happens here, and the child runs only async-signal-safe system calls until execve.
 *
 * The child stops itself with SIGSTOP right after PTRACE_TRACEME, so that the parent sets the
 * ptrace options (PTRACE_O_EXITKILL above all) before the child does anything observable. The
 * seccomp filter is installed last, so the only traced syscall the child makes is the execve.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rrts_native.h"

#ifndef PTRACE_O_EXITKILL
#define PTRACE_O_EXITKILL (1 << 20)
#endif

/* Split a block of NUL-terminated strings into a pointer array (up to max-1 entries). */
static int split_block(char *block, int64_t size, char **out, int max) {
  int n = 0;
  for (int64_t i = 0; i < size && n < max - 1;) {
    out[n++] = block + i;
    i += strlen(block + i) + 1;
  }
  out[n] = NULL;
  return n;
}

/* Trace every syscall except those made from allow_ip (the stub page's syscall instruction). */
static int install_seccomp(uint64_t allow_ip) {
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)allow_ip, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(allow_ip >> 32), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
  };
  struct sock_fprog prog = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};
  if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return -1;
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static void child(const char *path, char **argv, char **envp, const char *cwd, int flags,
                  uint64_t allow_ip, int64_t stack_limit) {
  /* Node ignores SIGPIPE and may block signals: a program run by a shell would have neither. */
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < 65; s++) {
    if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, NULL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0) _exit(125);
  kill(getpid(), SIGSTOP);

  if (flags & SPAWN_NO_ASLR) personality(ADDR_NO_RANDOMIZE);
  if (flags & SPAWN_TRAP_TSC) prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
  if (stack_limit >= 0) {
    struct rlimit rl;
    getrlimit(RLIMIT_STACK, &rl);
    rl.rlim_cur = stack_limit == INT64_MAX ? RLIM_INFINITY : (rlim_t)stack_limit;
    setrlimit(RLIMIT_STACK, &rl);
  }
  if (flags & SPAWN_NO_CORE) {
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
  }
  if (flags & SPAWN_NULL_STDIO) {
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
      dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
      if (fd > 2) close(fd);
    }
    syscall(SYS_close_range, 3, ~0U, 0);
  } else {
    /* Node opens its stdio close-on-exec; the program must inherit it as from a shell. */
    for (int fd = 0; fd < 3; fd++) fcntl(fd, F_SETFD, 0);
  }
  if (cwd && *cwd && chdir(cwd) < 0) _exit(125);
  if ((flags & SPAWN_SECCOMP) && install_seccomp(allow_ip) < 0) _exit(125);
  execve(path, argv, envp);
  _exit(errno == ENOENT ? 127 : 126);
}

/*
 * Fork and exec `path`. argv/envp are blocks of NUL-terminated strings. Returns the pid, stopped
 * at its initial SIGSTOP with our ptrace options set, or -errno. `stack_limit` < 0 keeps ours.
 */
int rrts_spawn(const char *path, char *argv_block, int64_t argv_size, char *envp_block,
               int64_t envp_size, const char *cwd, int32_t flags, int64_t allow_ip,
               int64_t stack_limit) {
  enum { MAX_ARGS = 4096, MAX_ENV = 16384 };
  static char *argv[MAX_ARGS], *envp[MAX_ENV];
  split_block(argv_block, argv_size, argv, MAX_ARGS);
  split_block(envp_block, envp_size, envp, MAX_ENV);

  pid_t pid = fork();
  if (pid < 0) return -errno;
  if (pid == 0) child(path, argv, envp, cwd, flags, (uint64_t)allow_ip, stack_limit);

  int status;
  if (waitpid(pid, &status, __WALL) < 0) return -errno;
  if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP) return -ECHILD;
  long opts = PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC |
              PTRACE_O_TRACESECCOMP | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
              PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXIT;
  if (ptrace(PTRACE_SETOPTIONS, pid, 0, opts) < 0) {
    int e = errno;
    kill(pid, SIGKILL);
    return -e;
  }
  return pid;
}

/** rrts_spawn flags (native/rrts_native.h). */
export const enum SpawnFlag {
  NoAslr = 1,
  TrapTsc = 2,
  Seccomp = 4,
  NullStdio = 8,
  NoCore = 16,
}

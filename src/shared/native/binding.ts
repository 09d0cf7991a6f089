/**
 * The one place that talks to ffi-rs. Everything native goes through `rrtsRun` (a batch of
 * ptrace operations, see native/rrts_native.h and ./ops.ts) or `rrtsSpawn`; no ffi-rs type
 * leaks out of this module.
 */
import * as path from 'path';
import * as fs from 'fs';
import { open, define, DataType } from 'ffi-rs';

export const NATIVE_ABI = 1;

const LIB = 'librrts';

function libraryPath(): string {
  // dist/src/shared/native/binding.js -> <root>/native/build/librrts.so
  const root = path.resolve(__dirname, '..', '..', '..', '..');
  return path.join(root, 'native', 'build', 'librrts.so');
}

type Native = {
  rrts_run(args: [Buffer, bigint, Buffer, bigint]): bigint;
  rrts_spawn(args: [string, Buffer, bigint, Buffer, bigint, string, number, bigint, bigint]): number;
  rrts_debugreg_offset(args: []): bigint;
  rrts_abi_version(args: []): number;
};

let native: Native | undefined;

function lib(): Native {
  if (native) return native;
  const file = libraryPath();
  if (!fs.existsSync(file)) {
    throw new Error(`rrts: native library missing at ${file}: run 'npm run build' (needs gcc and make)`);
  }
  open({ library: LIB, path: file });
  native = define({
    rrts_run: {
      library: LIB,
      retType: DataType.BigInt,
      paramsType: [DataType.U8Array, DataType.BigInt, DataType.U8Array, DataType.BigInt],
    },
    rrts_spawn: {
      library: LIB,
      retType: DataType.I32,
      paramsType: [
        DataType.String, DataType.U8Array, DataType.BigInt, DataType.U8Array, DataType.BigInt,
        DataType.String, DataType.I32, DataType.BigInt, DataType.BigInt,
      ],
    },
    rrts_debugreg_offset: { library: LIB, retType: DataType.BigInt, paramsType: [] },
    rrts_abi_version: { library: LIB, retType: DataType.I32, paramsType: [] },
  }) as unknown as Native;
  const abi = native.rrts_abi_version([]);
  if (abi !== NATIVE_ABI) {
    throw new Error(`rrts: native library ABI ${abi} does not match ${NATIVE_ABI}: run 'npm run build'`);
  }
  return native;
}

/** Interpret a program of ptrace operations; returns bytes written to `out` or -errno. */
export function rrtsRun(cmd: Buffer, cmdLen: number, out: Buffer): number {
  return Number(lib().rrts_run([cmd, BigInt(cmdLen), out, BigInt(out.length)]));
}

export interface SpawnSpec {
  path: string;
  argv: string[];
  env: string[];
  cwd: string;
  flags: number;
  /** The one instruction address whose syscalls the seccomp filter lets through untraced. */
  allowIp: bigint;
  /** RLIMIT_STACK for the tracee (it decides the mmap layout), or -1 to inherit ours. */
  stackLimit: bigint;
}

function block(strings: string[]): Buffer {
  return Buffer.concat(strings.map((s) => Buffer.from(s + '\0')));
}

/** Fork and exec under ptrace; returns the pid (stopped at its initial SIGSTOP) or -errno. */
export function rrtsSpawn(spec: SpawnSpec): number {
  const argv = block(spec.argv);
  const env = block(spec.env);
  return lib().rrts_spawn([
    spec.path, argv, BigInt(argv.length), env, BigInt(env.length), spec.cwd, spec.flags,
    spec.allowIp, spec.stackLimit,
  ]);
}

export function debugRegOffset(): number {
  return Number(lib().rrts_debugreg_offset([]));
}

/**
 * The syscall table and what goes with it. Importers outside this folder should use this
 * module (or table.ts / outparams.ts directly); types.ts is the vocabulary.
 */
export * from './types';
export { SYSCALLS, SYS, FAMILIES, syscallByNr, syscallByName } from './table';
export type { SyscallName } from './table';
export { replayActionFor, mayBlockFor, isErrorResult, lookupOp } from './resolve';
export type { OpLookup } from './resolve';
export {
  collectOutparams, entryReads, SnapshotReader, MAX_OUTPARAM_BYTES,
} from './outparams';
export type { TraceeMemoryReader, MemWrite, CollectResult, EntryRead } from './outparams';
export { formatSyscall, formatResult, errnoName } from './format';
export { IOCTL_OUTPARAMS, decodeIoc } from './ioctls';
export type { IoctlDef } from './ioctls';
export { STRUCT_SIZES } from './structs';

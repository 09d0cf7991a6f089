/**
 * vFile host I/O, read-only. gdb names files as the debuggee saw them; the target's
 * {@link HostIoOps.resolve} maps each name to a local file and this module does the file work with
 * Node's fs, answering in the File-I/O protocol's formats (`F<result>[,errno][;binary]`, errno
 * values and `struct stat` as the protocol defines them, all big-endian).
 */
import { promises as fs } from 'fs';
import { hexNumber } from './encoding';
import { escapeBinary } from './packet';
import { HostIoOps } from './target';

/** File-I/O protocol errno values (gdb's include/gdb/fileio.h). */
const FILEIO_ERRNO: Record<string, number> = {
  EPERM: 1, ENOENT: 2, EINTR: 4, EBADF: 9, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17,
  ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, EFBIG: 27,
  ENOSPC: 28, ESPIPE: 29, EROFS: 30, ENAMETOOLONG: 91,
};
const FILEIO_EUNKNOWN = 9999;

/** File-I/O open flags: only the access mode and these modifiers exist on the wire. */
const O_ACCMODE = 0x3;
const O_CREAT = 0x200;
const O_TRUNC = 0x400;
const O_APPEND = 0x8;

/** Largest pread we answer in one reply (gdb loops on short reads). */
const MAX_PREAD = 0x8000;

function errorReply(code: string | number): string {
  const errno = typeof code === 'number' ? code : FILEIO_ERRNO[code] ?? FILEIO_EUNKNOWN;
  return `F-1,${hexNumber(errno)}`;
}

function fsErrorReply(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return errorReply(code ?? FILEIO_EUNKNOWN);
}

function binaryReply(prefix: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(prefix, 'latin1'), escapeBinary(data)]);
}

/** `struct stat` as the File-I/O protocol defines it: 64 bytes, big-endian, 32-bit times. */
export function encodeFileIoStat(st: {
  ino: number; mode: number; nlink: number; uid: number; gid: number; rdev: number;
  size: number; blksize: number; blocks: number; atimeMs: number; mtimeMs: number; ctimeMs: number;
}): Buffer {
  const b = Buffer.alloc(64);
  const u32 = (v: number) => Math.max(0, Math.min(0xffffffff, Math.floor(v))) >>> 0;
  const S_IFREG = 0o100000;
  const S_IFDIR = 0o040000;
  const type = st.mode & 0o170000;
  const mode = (st.mode & 0o777) | (type === S_IFREG ? S_IFREG : 0) | (type === S_IFDIR ? S_IFDIR : 0);
  b.writeUInt32BE(0, 0); // st_dev: 0 means "a file"
  b.writeUInt32BE(u32(st.ino % 0x100000000), 4);
  b.writeUInt32BE(mode, 8);
  b.writeUInt32BE(u32(st.nlink), 12);
  b.writeUInt32BE(u32(st.uid), 16);
  b.writeUInt32BE(u32(st.gid), 20);
  b.writeUInt32BE(u32(st.rdev), 24);
  b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(st.size))), 28);
  b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(st.blksize))), 36);
  b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(st.blocks))), 44);
  b.writeUInt32BE(u32(st.atimeMs / 1000), 52);
  b.writeUInt32BE(u32(st.mtimeMs / 1000), 56);
  b.writeUInt32BE(u32(st.ctimeMs / 1000), 60);
  return b;
}

/** Per-connection host I/O state: the open files and the filesystem gdb selected. */
export class HostIoSession {
  private readonly files = new Map<number, fs.FileHandle>();
  private nextFd = 3;
  /** 0 = the debuggee's filesystem (vFile:setfs:0 is the default). */
  private fsPid = 0;

  constructor(private readonly ops: HostIoOps, private readonly debuggeePid: number) {}

  private get pid(): number {
    return this.fsPid === 0 ? this.debuggeePid : this.fsPid;
  }

  setFs(pid: number): string {
    this.fsPid = pid;
    return 'F0';
  }

  async open(path: string, flags: number): Promise<string> {
    if ((flags & O_ACCMODE) !== 0 || flags & (O_CREAT | O_TRUNC | O_APPEND)) return errorReply('EROFS');
    let local: string | null;
    try {
      local = await this.ops.resolve(path, this.pid);
    } catch (err) {
      return fsErrorReply(err);
    }
    if (local === null) return errorReply('ENOENT');
    try {
      const handle = await fs.open(local, 'r');
      const fd = this.nextFd++;
      this.files.set(fd, handle);
      return `F${hexNumber(fd)}`;
    } catch (err) {
      return fsErrorReply(err);
    }
  }

  async pread(fd: number, count: number, offset: number): Promise<string | Buffer> {
    const handle = this.files.get(fd);
    if (!handle) return errorReply('EBADF');
    const buf = Buffer.alloc(Math.min(count, MAX_PREAD));
    try {
      const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
      return binaryReply(`F${hexNumber(bytesRead)};`, buf.subarray(0, bytesRead));
    } catch (err) {
      return fsErrorReply(err);
    }
  }

  /** Every descriptor is read-only, so writes fail the way write(2) does on one. */
  pwrite(): string {
    return errorReply('EBADF');
  }

  async close(fd: number): Promise<string> {
    const handle = this.files.get(fd);
    if (!handle) return errorReply('EBADF');
    this.files.delete(fd);
    try {
      await handle.close();
      return 'F0';
    } catch (err) {
      return fsErrorReply(err);
    }
  }

  async fstat(fd: number): Promise<string | Buffer> {
    const handle = this.files.get(fd);
    if (!handle) return errorReply('EBADF');
    try {
      const st = await handle.stat();
      return binaryReply('F40;', encodeFileIoStat(st));
    } catch (err) {
      return fsErrorReply(err);
    }
  }

  async readlink(path: string): Promise<string | Buffer> {
    try {
      let target: string | null;
      if (this.ops.readlink) {
        target = await this.ops.readlink(path, this.pid);
      } else {
        const local = await this.ops.resolve(path, this.pid);
        target = local === null ? null : await fs.readlink(local);
      }
      if (target === null) return errorReply('EINVAL');
      const bytes = Buffer.from(target, 'utf8');
      return binaryReply(`F${hexNumber(bytes.length)};`, bytes);
    } catch (err) {
      return fsErrorReply(err);
    }
  }

  /** Close everything gdb left open (session end). */
  async closeAll(): Promise<void> {
    const handles = [...this.files.values()];
    this.files.clear();
    await Promise.allSettled(handles.map((h) => h.close()));
  }
}

/**
 * Files and file systems: opening, stat, directories, links, permissions, extended attributes,
 * mounts. Nearly all are emulated: replay never touches the file system, it hands back what
 * the kernel said during recording.
 */
import { STRUCT_SIZES as S } from '../structs';
import { FamilyDef, emulate, fixed, fromArg, fromRet, out, scatter, unsupported } from './dsl';

export const FS_SYSCALLS: FamilyDef[] = [
  emulate('open', ['str', 'flags', 'hex']),
  emulate('openat', ['fd', 'str', 'flags', 'hex']),
  emulate('openat2', ['fd', 'str', 'ptr', 'size']),
  emulate('creat', ['str', 'hex']),
  emulate('close', ['fd']),
  emulate('close_range', ['int', 'int', 'flags']),
  emulate('dup', ['fd']),
  emulate('dup2', ['fd', 'fd']),
  emulate('dup3', ['fd', 'fd', 'flags']),
  emulate('lseek', ['fd', 'int', 'int']),
  emulate('fcntl', ['fd', 'int', 'hex'], { scatter: [scatter('fcntl', 1)], mayBlock: true }),
  emulate('flock', ['fd', 'int'], { mayBlock: true }),

  emulate('stat', ['str', 'ptr'], { outparams: [out(1, fixed(S.stat))] }),
  emulate('fstat', ['fd', 'ptr'], { outparams: [out(1, fixed(S.stat))] }),
  emulate('lstat', ['str', 'ptr'], { outparams: [out(1, fixed(S.stat))] }),
  emulate('newfstatat', ['fd', 'str', 'ptr', 'flags'], { outparams: [out(2, fixed(S.stat))] }),
  emulate('statx', ['fd', 'str', 'flags', 'hex', 'ptr'], { outparams: [out(4, fixed(S.statx))] }),
  emulate('statfs', ['str', 'ptr'], { outparams: [out(1, fixed(S.statfs))] }),
  emulate('fstatfs', ['fd', 'ptr'], { outparams: [out(1, fixed(S.statfs))] }),
  emulate('ustat', ['hex', 'ptr'], { outparams: [out(1, fixed(S.ustat))] }),

  emulate('getdents', ['fd', 'ptr', 'size'], { outparams: [out(1, fromRet())] }),
  emulate('getdents64', ['fd', 'ptr', 'size'], { outparams: [out(1, fromRet())] }),
  // The syscall returns the length including the NUL.
  emulate('getcwd', ['ptr', 'size'], { outparams: [out(0, fromRet())] }),
  emulate('readlink', ['str', 'ptr', 'size'], { outparams: [out(1, fromRet())] }),
  emulate('readlinkat', ['fd', 'str', 'ptr', 'size'], { outparams: [out(2, fromRet())] }),

  emulate('access', ['str', 'hex']),
  emulate('faccessat', ['fd', 'str', 'hex']),
  emulate('faccessat2', ['fd', 'str', 'hex', 'flags']),
  emulate('chdir', ['str']),
  emulate('fchdir', ['fd']),
  emulate('chroot', ['str']),
  emulate('pivot_root', ['str', 'str']),
  emulate('umask', ['hex']),

  emulate('truncate', ['str', 'int']),
  emulate('ftruncate', ['fd', 'int']),
  emulate('fsync', ['fd']),
  emulate('fdatasync', ['fd']),
  emulate('sync', []),
  emulate('syncfs', ['fd']),
  emulate('sync_file_range', ['fd', 'int', 'int', 'flags']),
  emulate('fadvise64', ['fd', 'int', 'int', 'int']),
  emulate('readahead', ['fd', 'int', 'size']),
  emulate('fallocate', ['fd', 'flags', 'int', 'int']),

  emulate('rename', ['str', 'str']),
  emulate('renameat', ['fd', 'str', 'fd', 'str']),
  emulate('renameat2', ['fd', 'str', 'fd', 'str', 'flags']),
  emulate('link', ['str', 'str']),
  emulate('linkat', ['fd', 'str', 'fd', 'str', 'flags']),
  emulate('symlink', ['str', 'str']),
  emulate('symlinkat', ['str', 'fd', 'str']),
  emulate('unlink', ['str']),
  emulate('unlinkat', ['fd', 'str', 'flags']),
  emulate('mkdir', ['str', 'hex']),
  emulate('mkdirat', ['fd', 'str', 'hex']),
  emulate('rmdir', ['str']),
  emulate('mknod', ['str', 'hex', 'hex']),
  emulate('mknodat', ['fd', 'str', 'hex', 'hex']),

  emulate('chmod', ['str', 'hex']),
  emulate('fchmod', ['fd', 'hex']),
  emulate('fchmodat', ['fd', 'str', 'hex']),
  emulate('fchmodat2', ['fd', 'str', 'hex', 'flags']),
  emulate('chown', ['str', 'int', 'int']),
  emulate('fchown', ['fd', 'int', 'int']),
  emulate('lchown', ['str', 'int', 'int']),
  emulate('fchownat', ['fd', 'str', 'int', 'int', 'flags']),
  emulate('utime', ['str', 'ptr']),
  emulate('utimes', ['str', 'ptr']),
  emulate('futimesat', ['fd', 'str', 'ptr']),
  emulate('utimensat', ['fd', 'str', 'ptr', 'flags']),

  // With size 0 these return the size needed and write nothing: capped by the size argument.
  emulate('getxattr', ['str', 'str', 'ptr', 'size'], { outparams: [out(2, fromRet(1, 3))] }),
  emulate('lgetxattr', ['str', 'str', 'ptr', 'size'], { outparams: [out(2, fromRet(1, 3))] }),
  emulate('fgetxattr', ['fd', 'str', 'ptr', 'size'], { outparams: [out(2, fromRet(1, 3))] }),
  emulate('listxattr', ['str', 'ptr', 'size'], { outparams: [out(1, fromRet(1, 2))] }),
  emulate('llistxattr', ['str', 'ptr', 'size'], { outparams: [out(1, fromRet(1, 2))] }),
  emulate('flistxattr', ['fd', 'ptr', 'size'], { outparams: [out(1, fromRet(1, 2))] }),
  emulate('setxattr', ['str', 'str', 'ptr', 'size', 'flags']),
  emulate('lsetxattr', ['str', 'str', 'ptr', 'size', 'flags']),
  emulate('fsetxattr', ['fd', 'str', 'ptr', 'size', 'flags']),
  emulate('removexattr', ['str', 'str']),
  emulate('lremovexattr', ['str', 'str']),
  emulate('fremovexattr', ['fd', 'str']),
  emulate('setxattrat', ['fd', 'str', 'flags', 'str', 'ptr', 'size']),
  // The value buffer is a pointer inside struct xattr_args.
  unsupported('getxattrat', ['fd', 'str', 'flags', 'str', 'ptr', 'size']),
  emulate('listxattrat', ['fd', 'str', 'flags', 'ptr', 'size'], {
    outparams: [out(3, fromRet(1, 4))],
  }),
  emulate('removexattrat', ['fd', 'str', 'flags', 'str']),

  // Writes an 8-byte header plus handle_bytes: no Size expression says "8 + a field".
  unsupported('name_to_handle_at', ['fd', 'str', 'ptr', 'ptr', 'flags']),
  emulate('open_by_handle_at', ['fd', 'ptr', 'flags']),
  emulate('cachestat', ['fd', 'ptr', 'ptr', 'flags'], { outparams: [out(2, fixed(S.cachestat))] }),
  // The kernel writes at most `size` bytes into the caller's struct file_attr.
  emulate('file_getattr', ['fd', 'str', 'ptr', 'size', 'flags'], {
    outparams: [out(2, fromArg(3))],
  }),
  emulate('file_setattr', ['fd', 'str', 'ptr', 'size', 'flags']),

  emulate('mount', ['str', 'str', 'str', 'flags', 'ptr']),
  emulate('umount2', ['str', 'flags']),
  emulate('open_tree', ['fd', 'str', 'flags']),
  emulate('open_tree_attr', ['fd', 'str', 'flags', 'ptr', 'size']),
  emulate('move_mount', ['fd', 'str', 'fd', 'str', 'flags']),
  emulate('fsopen', ['str', 'flags']),
  emulate('fsconfig', ['fd', 'int', 'str', 'ptr', 'int']),
  emulate('fsmount', ['fd', 'flags', 'flags']),
  emulate('fspick', ['fd', 'str', 'flags']),
  emulate('mount_setattr', ['fd', 'str', 'flags', 'ptr', 'size']),
  // struct statmount (size field, offsets into a string area) fits in the caller's bufsize.
  emulate('statmount', ['ptr', 'ptr', 'size', 'flags'], { outparams: [out(1, fromArg(2))] }),
  emulate('listmount', ['ptr', 'ptr', 'size', 'flags'], { outparams: [out(1, fromRet(8, 2))] }),
  unsupported('quotactl', ['int', 'str', 'int', 'ptr']),
  unsupported('quotactl_fd', ['fd', 'int', 'int', 'ptr']),
];

/**
 * What ioctl requests write into tracee memory (the 'ioctl' scatter of SyscallDef ioctl).
 *
 * A request is looked up here first. A request that is not listed falls back to its _IOC
 * encoding: bits 30-31 give the direction and bits 16-29 the size of the struct at arg 2, and
 * _IOC_READ ("the caller reads") means the kernel writes `size` bytes there. That fallback is
 * right for flat structs only. The table therefore lists:
 * - the legacy requests with no _IOC encoding (the whole 0x54xx tty range, the 0x89xx socket
 *   range, old block requests), which otherwise look like "writes nothing";
 * - encoded requests whose encoding is wrong (FS_IOC_GETFLAGS says long, writes int) or which
 *   write through pointers inside the struct (SIOCGIFCONF, FS_IOC_FIEMAP);
 * - requests we cannot describe at all, as replay 'unsupported'.
 * An unlisted request with no direction bits is treated as unknown: the collector reports a
 * problem and replay stops there, rather than guessing that it wrote nothing.
 * Each `name` is the C macro; test/unit/syscalls/ioctls.test.ts checks the numbers with gcc.
 */
import type { ReplayAction } from './types';
import { STRUCT_SIZES as S } from './structs';

export interface IoctlDef {
  /** the C macro name */
  name: string;
  /** the kernel writes this many bytes at arg 2 (on success) */
  bytes?: number;
  /** a layout that needs walking memory: ifconf (ifc_len + the buffer it points to), fiemap */
  layout?: 'ifconf' | 'fiemap';
  /** 'unsupported' for requests whose effects we cannot describe */
  replay?: ReplayAction;
  /** the request can wait (tcdrain, TCSETSW...) */
  mayBlock?: boolean;
}

export const IOC_NONE = 0;
export const IOC_WRITE = 1;
export const IOC_READ = 2;

export interface IocDecoded {
  dir: number;
  type: number;
  nr: number;
  size: number;
}

/** Split a request number into its _IOC fields (x86-64: 8 nr, 8 type, 14 size, 2 dir bits). */
export function decodeIoc(request: number): IocDecoded {
  return {
    dir: (request >>> 30) & 3,
    size: (request >>> 16) & 0x3fff,
    type: (request >>> 8) & 0xff,
    nr: request & 0xff,
  };
}

const INT = 4;
const LONG = 8;

const ENTRIES: ReadonlyArray<[number, IoctlDef]> = [
  // Terminals (asm-generic/ioctls.h). TCGETS writes the kernel's 36-byte termios.
  [0x5401, { name: 'TCGETS', bytes: S.ktermios }],
  [0x5402, { name: 'TCSETS' }],
  [0x5403, { name: 'TCSETSW', mayBlock: true }],
  [0x5404, { name: 'TCSETSF', mayBlock: true }],
  [0x5405, { name: 'TCGETA', bytes: S.termio }],
  [0x5406, { name: 'TCSETA' }],
  [0x5407, { name: 'TCSETAW', mayBlock: true }],
  [0x5408, { name: 'TCSETAF', mayBlock: true }],
  [0x5409, { name: 'TCSBRK', mayBlock: true }],
  [0x540a, { name: 'TCXONC' }],
  [0x540b, { name: 'TCFLSH' }],
  [0x540c, { name: 'TIOCEXCL' }],
  [0x540d, { name: 'TIOCNXCL' }],
  [0x540e, { name: 'TIOCSCTTY' }],
  [0x540f, { name: 'TIOCGPGRP', bytes: INT }],
  [0x5410, { name: 'TIOCSPGRP' }],
  [0x5411, { name: 'TIOCOUTQ', bytes: INT }],
  [0x5412, { name: 'TIOCSTI' }],
  [0x5413, { name: 'TIOCGWINSZ', bytes: S.winsize }],
  [0x5414, { name: 'TIOCSWINSZ' }],
  [0x5415, { name: 'TIOCMGET', bytes: INT }],
  [0x5416, { name: 'TIOCMBIS' }],
  [0x5417, { name: 'TIOCMBIC' }],
  [0x5418, { name: 'TIOCMSET' }],
  [0x5419, { name: 'TIOCGSOFTCAR', bytes: INT }],
  [0x541a, { name: 'TIOCSSOFTCAR' }],
  [0x541b, { name: 'FIONREAD', bytes: INT }],
  // Subcommands in the first byte of the argument, some of which copy out.
  [0x541c, { name: 'TIOCLINUX', replay: 'unsupported' }],
  [0x541d, { name: 'TIOCCONS' }],
  [0x5420, { name: 'TIOCPKT' }],
  [0x5421, { name: 'FIONBIO' }],
  [0x5422, { name: 'TIOCNOTTY' }],
  [0x5423, { name: 'TIOCSETD' }],
  [0x5424, { name: 'TIOCGETD', bytes: INT }],
  [0x5425, { name: 'TCSBRKP', mayBlock: true }],
  [0x5427, { name: 'TIOCSBRK' }],
  [0x5428, { name: 'TIOCCBRK' }],
  [0x5429, { name: 'TIOCGSID', bytes: INT }],
  [0x802c542a, { name: 'TCGETS2', bytes: S.termios2 }],
  [0x402c542b, { name: 'TCSETS2' }],
  [0x402c542c, { name: 'TCSETSW2', mayBlock: true }],
  [0x402c542d, { name: 'TCSETSF2', mayBlock: true }],
  [0x80045430, { name: 'TIOCGPTN', bytes: INT }],
  [0x40045431, { name: 'TIOCSPTLCK' }],
  [0x80045432, { name: 'TIOCGDEV', bytes: INT }],
  [0x40045436, { name: 'TIOCSIG' }],
  [0x5437, { name: 'TIOCVHANGUP' }],
  [0x80045438, { name: 'TIOCGPKT', bytes: INT }],
  [0x80045439, { name: 'TIOCGPTLCK', bytes: INT }],
  [0x80045440, { name: 'TIOCGEXCL', bytes: INT }],
  // Returns a new fd, writes nothing.
  [0x5441, { name: 'TIOCGPTPEER' }],
  [0x5450, { name: 'FIONCLEX' }],
  [0x5451, { name: 'FIOCLEX' }],
  [0x5452, { name: 'FIOASYNC' }],
  [0x5459, { name: 'TIOCSERGETLSR', bytes: INT }],
  [0x5460, { name: 'FIOQSIZE', bytes: LONG }],

  // Sockets (linux/sockios.h): legacy numbers, struct ifreq in/out.
  [0x8901, { name: 'FIOSETOWN' }],
  [0x8902, { name: 'SIOCSPGRP' }],
  [0x8903, { name: 'FIOGETOWN', bytes: INT }],
  [0x8904, { name: 'SIOCGPGRP', bytes: INT }],
  [0x8905, { name: 'SIOCATMARK', bytes: INT }],
  [0x8906, { name: 'SIOCGSTAMP_OLD', bytes: S.timeval }],
  [0x8907, { name: 'SIOCGSTAMPNS_OLD', bytes: S.timespec }],
  [0x8910, { name: 'SIOCGIFNAME', bytes: S.ifreq }],
  [0x8912, { name: 'SIOCGIFCONF', layout: 'ifconf' }],
  [0x8913, { name: 'SIOCGIFFLAGS', bytes: S.ifreq }],
  [0x8915, { name: 'SIOCGIFADDR', bytes: S.ifreq }],
  [0x8917, { name: 'SIOCGIFDSTADDR', bytes: S.ifreq }],
  [0x8919, { name: 'SIOCGIFBRDADDR', bytes: S.ifreq }],
  [0x891b, { name: 'SIOCGIFNETMASK', bytes: S.ifreq }],
  [0x891d, { name: 'SIOCGIFMETRIC', bytes: S.ifreq }],
  [0x8921, { name: 'SIOCGIFMTU', bytes: S.ifreq }],
  [0x8927, { name: 'SIOCGIFHWADDR', bytes: S.ifreq }],
  [0x8933, { name: 'SIOCGIFINDEX', bytes: S.ifreq }],
  [0x8942, { name: 'SIOCGIFTXQLEN', bytes: S.ifreq }],
  // The ifreq holds a pointer to a command-specific buffer.
  [0x8946, { name: 'SIOCETHTOOL', replay: 'unsupported' }],
  [0x894b, { name: 'SIOCOUTQNSD', bytes: INT }],
  [0x8970, { name: 'SIOCGIFMAP', bytes: S.ifreq }],

  // Files and block devices (linux/fs.h).
  [0x1, { name: 'FIBMAP', bytes: INT }],
  [0x2, { name: 'FIGETBSZ', bytes: INT }],
  // Encoded as long, but the kernel writes an int.
  [0x80086601, { name: 'FS_IOC_GETFLAGS', bytes: INT }],
  [0x40086602, { name: 'FS_IOC_SETFLAGS' }],
  [0x80046601, { name: 'FS_IOC32_GETFLAGS', bytes: INT }],
  [0x80087601, { name: 'FS_IOC_GETVERSION', bytes: INT }],
  [0xc020660b, { name: 'FS_IOC_FIEMAP', layout: 'fiemap' }],
  // Writes per-destination results after the 24-byte header: dest_count entries.
  [0xc0189436, { name: 'FIDEDUPERANGE', replay: 'unsupported' }],
  [0x40049409, { name: 'FICLONE' }],
  [0x4020940d, { name: 'FICLONERANGE' }],
  [0x125e, { name: 'BLKROGET', bytes: INT }],
  [0x125f, { name: 'BLKRRPART' }],
  [0x1260, { name: 'BLKGETSIZE', bytes: LONG }],
  [0x1261, { name: 'BLKFLSBUF' }],
  [0x1263, { name: 'BLKRAGET', bytes: LONG }],
  [0x1268, { name: 'BLKSSZGET', bytes: INT }],
  // Encoded as size_t, but the kernel writes an int.
  [0x80081270, { name: 'BLKBSZGET', bytes: INT }],
  [0x1278, { name: 'BLKIOMIN', bytes: INT }],
  [0x1279, { name: 'BLKIOOPT', bytes: INT }],
  [0x127a, { name: 'BLKALIGNOFF', bytes: INT }],
  [0x127b, { name: 'BLKPBSZGET', bytes: INT }],
  [0x127c, { name: 'BLKDISCARDZEROES', bytes: INT }],
  [0x127e, { name: 'BLKROTATIONAL', bytes: 2 }],
];

/** Known ioctl requests by number (the low 32 bits of arg 1). */
export const IOCTL_OUTPARAMS: ReadonlyMap<number, IoctlDef> = new Map(ENTRIES);
if (IOCTL_OUTPARAMS.size !== ENTRIES.length) throw new Error('IOCTL_OUTPARAMS: a request is listed twice');

/** Offsets used by the two walked layouts. */
export const IFCONF = { len: 0, buf: 8 } as const;
export const FIEMAP = { mappedExtents: 20, extentCount: 24, extents: 32 } as const;

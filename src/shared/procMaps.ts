/** /proc/PID/maps, parsed. */
import * as fs from 'fs';

export interface MapEntry {
  start: bigint;
  end: bigint;
  perms: string;
  offset: bigint;
  dev: string;
  inode: number;
  path: string;
}

export function parseMaps(text: string): MapEntry[] {
  const out: MapEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) (\S+) (\d+)\s*(.*)$/.exec(line);
    if (!m) continue;
    out.push({
      start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), perms: m[3], offset: BigInt('0x' + m[4]),
      dev: m[5], inode: Number(m[6]), path: m[7],
    });
  }
  return out;
}

export function readMaps(pid: number): MapEntry[] {
  return parseMaps(fs.readFileSync(`/proc/${pid}/maps`, 'utf8'));
}

/**
 * Replay-private copies of the files the program maps, one per recorded file ("dev:ino").
 *
 * Replay never writes the user's files, but a MAP_SHARED mapping must behave as shared: two
 * mappings of one file see each other's stores, and a recorded write() into the file shows in
 * them. So every mapping of a file maps the same private copy (made on first use from the
 * trace's saved file), and recorded writes into mapped files are applied to it. The copies
 * live in a temporary directory removed when the replay ends.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export class EmuFs {
  private dir?: string;
  private readonly files = new Map<string, string>();

  /** The copy standing for file `id`, created from `source` the first time. */
  pathFor(id: string, source: string): string {
    let p = this.files.get(id);
    if (!p) {
      this.dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'rrts-emufs-'));
      p = path.join(this.dir, String(this.files.size));
      fs.copyFileSync(source, p);
      this.files.set(id, p);
    }
    return p;
  }

  /** Apply a recorded write to file `id`, if replay has a copy of it. */
  write(id: string, offset: number, data: Uint8Array): void {
    const p = this.files.get(id);
    if (!p) return;
    const fd = fs.openSync(p, 'r+');
    try {
      fs.writeSync(fd, data, 0, data.length, offset);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** A replay-private file holding `content` (for /proc files served from the recording). */
  scratchFile(name: string, content: Buffer): string {
    this.dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'rrts-emufs-'));
    const p = path.join(this.dir, name);
    if (!fs.existsSync(p)) fs.writeFileSync(p, content);
    return p;
  }

  dispose(): void {
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    this.files.clear();
  }
}

/**
 * A rotated log compressed by logrotate (`compress` without `delaycompress`: `auth.log.1.gz`),
 * read as the file it was: offsets are in the uncompressed bytes, so a position saved in
 * `auth.log` goes on in `auth.log.1.gz` (issue 19). Read forwards through node:zlib's gunzip
 * stream (concatenated members too); a read behind the stream's position starts it again.
 *
 * It keeps its own descriptor of the .gz file, so logrotate deleting it (rotate N) does not cut a
 * read short, and its device + inode are the .gz file's (how a restart finds it again).
 */
import type { Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createGunzip, type Gunzip } from 'node:zlib';
import { pipeline } from 'node:stream';

/** What TailedFile needs of a file: FileHandle's read, stat and close. */
export interface ByteFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<Stats>;
  close(): Promise<void>;
}

export const isGzipName = (path: string): boolean => path.endsWith('.gz');

export class GzipFile implements ByteFile {
  private gunzip: Gunzip | undefined;
  private chunks: AsyncIterator<Buffer> | undefined;
  /** Uncompressed offset of `pending`'s first byte. */
  private at = 0;
  private pending: Buffer = Buffer.alloc(0);
  private ended = false;

  private constructor(private readonly fh: FileHandle) {}

  static async open(path: string): Promise<GzipFile> {
    return new GzipFile(await open(path, 'r'));
  }

  stat(): Promise<Stats> {
    return this.fh.stat();
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    if (!this.chunks || position < this.at) this.restart();
    for (;;) {
      const end = this.at + this.pending.length;
      if (position < end) {
        const from = position - this.at;
        const n = Math.min(length, this.pending.length - from);
        this.pending.copy(buffer, offset, from, from + n);
        return { bytesRead: n };
      }
      if (this.ended) return { bytesRead: 0 };
      const next = await this.chunks!.next();
      this.at = end;
      if (next.done) {
        this.pending = Buffer.alloc(0);
        this.ended = true;
      } else {
        this.pending = next.value;
      }
    }
  }

  async close(): Promise<void> {
    this.gunzip?.destroy();
    await this.fh.close().catch(() => undefined);
  }

  private restart(): void {
    this.gunzip?.destroy();
    const gunzip = createGunzip();
    // the descriptor stays open (autoClose false): a later restart reads it again from 0
    pipeline(this.fh.createReadStream({ start: 0, autoClose: false }), gunzip, () => undefined);
    this.gunzip = gunzip;
    this.chunks = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.at = 0;
    this.pending = Buffer.alloc(0);
    this.ended = false;
  }
}

/** The first `len` uncompressed bytes of a .gz file (fewer when it is shorter). */
export async function gzipHead(path: string, len: number): Promise<Buffer> {
  const f = await GzipFile.open(path);
  try {
    const buf = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await f.read(buf, got, len - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  } finally {
    await f.close();
  }
}

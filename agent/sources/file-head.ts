/**
 * A tailed file's identity by its first bytes (at most FINGERPRINT_BYTES): its fingerprint is a
 * hash of them, so short files (plink logs) work, and a reused inode number or a file rewritten
 * in place (copytruncate, even regrown past the old offset) is recognised by changed first bytes.
 *
 *   const head = new FileHead(); head.set(await readHead(fh, FINGERPRINT_BYTES));
 *   if (!(await head.still(fh, at, chunk))) … the file was rewritten …
 */
import { createHash } from 'node:crypto';
import type { ByteFile } from './gzip-file.js';

export const FINGERPRINT_BYTES = 1024;

export const hashOf = (bytes: Buffer): string => (bytes.length === 0 ? '' : createHash('sha256').update(bytes).digest('hex').slice(0, 32));

/** The fingerprint of a file's first `len` bytes ('short:N' when it has only N). */
export async function fingerprintOf(fh: ByteFile, len: number): Promise<string> {
  if (len <= 0) return '';
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, 0);
  if (bytesRead < len) return `short:${bytesRead}`;
  return hashOf(buf);
}

/** Up to `len` first bytes of a file. */
export async function readHead(fh: ByteFile, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, 0);
  return buf.subarray(0, bytesRead);
}

/**
 * The first bytes as one reader read them, never re-read on their own: a fingerprint taken
 * after the read raced with copytruncate (the copy was then looked for under the fingerprint of
 * the truncated or regrown file, and never found).
 */
export class FileHead {
  private bytes: Buffer = Buffer.alloc(0);
  /** hashOf(the bytes) */
  fp = '';

  get length(): number {
    return this.bytes.length;
  }

  set(bytes: Buffer): void {
    this.bytes = Buffer.from(bytes);
    this.fp = hashOf(this.bytes);
  }

  /**
   * Are the file's first bytes still these? With `chunk` (just read at `at`), the part of it
   * within the first FINGERPRINT_BYTES must be there too, and is added to the head.
   */
  async still(fh: ByteFile, at = 0, chunk?: Buffer): Promise<boolean> {
    const known = this.bytes.length;
    const want = chunk && known < FINGERPRINT_BYTES ? Math.min(FINGERPRINT_BYTES, Math.max(known, at + chunk.length)) : known;
    if (want === 0) return true;
    const now = await readHead(fh, want);
    if (now.length < known || !now.subarray(0, known).equals(this.bytes)) return false;
    if (want > known && chunk) {
      if (at > known) {
        // the head is shorter than the read position (only after a file shrank under open):
        // take the file's bytes, checked above to continue the known ones
        this.set(now);
      } else {
        const fromChunk = chunk.subarray(known - at, Math.min(chunk.length, want - at));
        if (!now.subarray(known, known + fromChunk.length).equals(fromChunk)) return false;
        this.set(Buffer.concat([this.bytes, fromChunk]));
      }
    }
    return true;
  }
}

/**
 * TailedFile: one open file (one inode) being read by the file tail.
 *
 * It keeps the file open by its descriptor, so after a rename or delete it can still read what
 * the old writer adds. Identity is device + inode + a fingerprint of its first bytes
 * (file-head.ts), so a reused inode number or a file rewritten in place (copytruncate, even
 * regrown past the old offset before we looked) is recognised by its changed first bytes.
 *
 * Offsets: `committed` is the start of the first line not yet delivered, the only offset ever
 * saved, so a restart never starts inside a line. A pending line without newline can be shown
 * as `partial` after a quiet period; the rest then comes as a `continuation`.
 */
import { open } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { LineSplitter } from './line-splitter.js';
import { GzipFile, type ByteFile } from './gzip-file.js';
import { FileHead, fingerprintOf, FINGERPRINT_BYTES, hashOf, readHead } from './file-head.js';

const CHUNK_BYTES = 64 * 1024;
/** Longest run of lines delivered without letting timers and I/O callbacks run. */
const YIELD_MS = 20;
/** File times come from the kernel's coarse clock, a few ms behind Date.now(): bounds are widened by this. */
export const COARSE_CLOCK_MS = 50;

/** What the checkpoint remembers of a file. */
export interface FileState {
  path: string;
  dev: number;
  ino: number;
  offset: number;
  fp: string;
  fpLen: number;
  line?: number;
  rotated?: boolean;
  /** Birth time (ms; 0 or absent where the file system does not keep it): finds unseen generations. */
  birth?: number;
  /** The file's real path when the watched path is a symlink: its old target is read to its end. */
  real?: string;
  /**
   * Copies of this file (copytruncate) born after this time (ms) may hold lines not read yet: the
   * lower bound for copies made since this reader last handled one.
   */
  copiesAfter?: number;
}

export interface DeliveredPiece {
  text: string;
  offset: number;
  line?: number;
  partial?: boolean;
  continuation?: boolean;
  truncated?: boolean;
}

export type Deliver = (piece: DeliveredPiece) => Promise<void>;

export class TailedFile {
  path: string;
  readonly dev: number;
  readonly ino: number;
  readonly birth: number;
  /** Where the file really is (the symlink's target), when that differs from the path. */
  real: string | undefined;
  /** Told when the file was truncated or rewritten in place, with what it was before (copytruncate: its copy holds the rest). */
  onRewrite: ((before: FileState) => Promise<void>) | undefined;
  private readonly fh: ByteFile;
  /** A compressed rotated file (GzipFile): written once, so never checked for rewrites. */
  private readonly sealed: boolean;
  private readonly splitter: LineSplitter;
  /** The file's first bytes as this reader read them. */
  private readonly head = new FileHead();
  private lineNo: number | undefined;
  private lastSize = -1;
  private lastMtime = -1;
  /** When the file last grew (or was opened): for partial flush and closing rotated files. */
  lastGrowthAt = Date.now();
  /** Start of the first line not delivered yet: the only offset ever saved. */
  private committed = 0;
  /** Characters of the pending line already delivered as partial. */
  private partialSent = 0;
  rotated = false;
  /** See FileState.copiesAfter: from when this reader opened the file, or last handled a copy. */
  copiesAfter: number;
  /**
   * Told when the file changed while none of its bytes are known (truncated and not read since):
   * it may have been copied and truncated again before any read (its copy holds those lines).
   */
  onUnknownChange: (() => Promise<boolean>) | undefined;
  /**
   * The last read reached the end of the file. Only then is a pending line really a line
   * without newline (a prompt); at a read-budget boundary it is just the rest not read yet.
   */
  private atEnd = false;
  /** Times this file was found truncated or rewritten. */
  truncations = 0;
  private closed = false;

  private constructor(path: string, fh: ByteFile, st: Stats, maxLineBytes: number, sealed: boolean) {
    this.path = path;
    this.fh = fh;
    this.sealed = sealed;
    this.dev = st.dev;
    this.ino = st.ino;
    this.birth = st.birthtimeMs;
    this.copiesAfter = Date.now() - COARSE_CLOCK_MS;
    this.splitter = new LineSplitter({ maxLineBytes });
  }

  /**
   * Open `path`. `from`: 'start', 'end' (the start of the last incomplete line, so a prompt
   * waiting at the end is still seen), or a saved state, which is honoured only when device,
   * inode and fingerprint still match (else the file is read from its start). Returns also
   * whether the saved state matched.
   */
  static async open(path: string, from: 'start' | 'end' | FileState | { at: number }, maxLineBytes: number, options: { gzip?: boolean } = {}): Promise<{ file: TailedFile; resumed: boolean }> {
    const fh: ByteFile = options.gzip ? await GzipFile.open(path) : await open(path, 'r');
    try {
      const st = await fh.stat();
      const file = new TailedFile(path, fh, st, maxLineBytes, options.gzip === true);
      // a compressed file's size is not its length: offsets are checked by reading
      const size = options.gzip ? Number.MAX_SAFE_INTEGER : st.size;
      // one read of the first bytes: what the saved fingerprint is checked against is what is kept
      const first = await readHead(fh, FINGERPRINT_BYTES);
      let resumed = false;
      let offset = 0;
      if (from === 'end') {
        offset = options.gzip ? 0 : await file.lastLineStart(st.size);
      } else if (typeof from === 'object' && 'at' in from) {
        // a copy known by its fingerprint: the lines before `at` were read from the original
        offset = Math.min(from.at, size);
        resumed = true;
      } else if (from !== 'start') {
        if (from.dev === st.dev && from.ino === st.ino && from.offset <= size && from.fpLen <= first.length && hashOf(first.subarray(0, from.fpLen)) === from.fp) {
          offset = from.offset;
          resumed = true;
          if (from.line !== undefined) file.lineNo = from.line;
          if (from.copiesAfter !== undefined) file.copiesAfter = from.copiesAfter;
        }
      }
      if (offset === 0) file.lineNo = 0;
      file.splitter.reset(offset);
      file.committed = offset;
      // All of the first bytes, even beyond the read position: a file copied and truncated before
      // any of it was read (a backlog elsewhere) is still known to be another file afterwards.
      file.head.set(first);
      return { file, resumed };
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  }

  /** Does this open file still match a saved state's identity? */
  async matches(state: FileState): Promise<boolean> {
    return state.dev === this.dev && state.ino === this.ino && (await fingerprintOf(this.fh, state.fpLen)) === state.fp;
  }

  state(): FileState {
    const s: FileState = { path: this.path, dev: this.dev, ino: this.ino, offset: this.committed, fp: this.head.fp, fpLen: this.head.length };
    if (this.lineNo !== undefined) s.line = this.lineNo;
    if (this.rotated) s.rotated = true;
    if (this.birth > 0) s.birth = this.birth;
    if (this.real) s.real = this.real;
    s.copiesAfter = this.copiesAfter;
    return s;
  }

  get offset(): number {
    return this.committed;
  }

  get size(): number {
    return this.lastSize;
  }

  get hasPending(): boolean {
    return this.splitter.pendingBytes > 0;
  }

  /**
   * Read up to `budget` bytes and deliver the complete lines (each awaited). Detects truncation
   * and in-place rewrites first and starts again at 0. Returns the bytes read (0: at the end).
   * `keepGoing` is asked before each line; when it says no, reading stops there (the saved
   * offset stays at the first line not delivered; the file is about to be closed).
   */
  async read(budget: number, deliver: Deliver, keepGoing: () => boolean = () => true, now = Date.now()): Promise<number> {
    const st = await this.fh.stat();
    if (!this.sealed && (st.size !== this.lastSize || st.mtimeMs !== this.lastMtime)) {
      this.lastSize = st.size;
      this.lastMtime = st.mtimeMs;
      if (st.size < this.splitter.position || !(await this.head.still(this.fh))) {
        // the owner reads the copy's rest first (onRewrite), then this file again from 0
        await this.rewritten();
        return 0;
      }
      // copies found: their lines are older, read first (the owner reads again)
      if (this.head.length === 0 && (await this.onUnknownChange?.())) return 0;
    }
    let total = 0;
    let yieldedAt = Date.now();
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    while (total < budget && !this.closed && keepGoing()) {
      const at = this.splitter.position;
      const { bytesRead } = await this.fh.read(buf, 0, CHUNK_BYTES, at);
      if (bytesRead === 0) {
        this.atEnd = true;
        break;
      }
      // These bytes are this file's only if its first bytes are still those read before (checked
      // after the read): truncated and regrown meanwhile (copytruncate), they may be the middle of
      // the new content; then nothing of them is delivered and reading starts again at 0.
      if (!this.sealed && !(await this.head.still(this.fh, at, buf.subarray(0, bytesRead)))) {
        await this.rewritten();
        return total;
      }
      this.atEnd = false;
      total += bytesRead;
      // the time this read saw new bytes: a long block (a slow disk, a loaded machine) must not
      // make its last line look quiet
      this.lastGrowthAt = Math.max(now, Date.now());
      for (const line of this.splitter.push(buf.subarray(0, bytesRead))) {
        if (!keepGoing()) return total;
        const piece: DeliveredPiece = { text: line.text, offset: line.start };
        if (this.partialSent > 0) {
          piece.text = line.text.slice(this.partialSent);
          piece.continuation = true;
          this.partialSent = 0;
        }
        if (this.lineNo !== undefined) {
          this.lineNo += 1;
          piece.line = this.lineNo;
        }
        if (line.truncated) piece.truncated = true;
        await deliver(piece);
        this.committed = line.end;
        // The pipeline resolves in microtasks: without a turn of the event loop, a 64 KiB block
        // of lines starved every timer and file write for seconds (no checkpoint written during a
        // 2,000-line backlog, so a kill -9 lost the positions of the whole run).
        if (Date.now() - yieldedAt >= YIELD_MS) {
          await new Promise((r) => setImmediate(r));
          yieldedAt = Date.now();
        }
      }
    }
    return total;
  }

  /** Truncated or rewritten in place: start again at 0, and tell what the file was (its copy holds the rest). */
  private async rewritten(): Promise<void> {
    const before = this.state();
    this.truncations += 1;
    this.splitter.reset(0);
    this.committed = 0;
    this.lineNo = 0;
    this.partialSent = 0;
    this.atEnd = false;
    // what the file holds now, so that another copytruncate before the next read is seen too
    this.head.set(await readHead(this.fh, FINGERPRINT_BYTES));
    await this.onRewrite?.(before);
  }

  /**
   * Deliver what is pending of the last line as partial when the file has not grown for
   * `quietMs` (or always, with quietMs 0). Returns true when something was delivered.
   */
  async flushPartial(quietMs: number, deliver: Deliver, now = Date.now()): Promise<boolean> {
    if (!this.hasPending || !this.atEnd || now - this.lastGrowthAt < quietMs) return false;
    const pending = this.splitter.pendingText();
    if (!pending || pending.text.length <= this.partialSent) return false;
    const piece: DeliveredPiece = { text: pending.text.slice(this.partialSent), offset: this.splitter.lineStart, partial: true };
    if (this.partialSent > 0) piece.continuation = true;
    if (this.lineNo !== undefined) piece.line = this.lineNo + 1;
    this.partialSent = pending.text.length;
    await deliver(piece);
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close().catch(() => undefined);
  }

  /** Offset of the start of the last line when the file does not end with a newline. */
  private async lastLineStart(size: number): Promise<number> {
    const maxBack = Math.min(size, this.splitter.maxLineBytes);
    if (maxBack === 0) return size;
    const buf = Buffer.alloc(maxBack);
    const { bytesRead } = await this.fh.read(buf, 0, maxBack, size - maxBack);
    const view = buf.subarray(0, bytesRead);
    if (view[view.length - 1] === 0x0a) return size;
    const nl = view.lastIndexOf(0x0a);
    return nl === -1 ? (maxBack === size ? 0 : size) : size - maxBack + nl + 1;
  }
}

/**
 * Reads a finished file as RawLines (replay), synchronously and in 1 MiB blocks, so memory stays
 * bounded whatever the size and a line costs no promise: lines end at "\n", a trailing "\r" is
 * dropped, invalid UTF-8 becomes U+FFFD, a line longer than `maxLineBytes` is cut (with
 * " …[cut N bytes]") and its neighbours are kept, and a last line without a newline is delivered
 * with partial: true (a program was waiting when the log ended).
 *
 * `FileLines` is the reader: next() until undefined (the file is closed then), or close() early.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { Program } from '../event.js';
import type { RawLine } from './raw-line.js';
import { DEFAULT_MAX_LINE_BYTES } from './line-splitter.js';

export interface FileLinesOptions {
  sourceId?: string;
  program?: Program;
  /** receivedAt of every line (replay: one fixed time, so untimed lines never open a gap). */
  receivedAt: number;
  maxLineBytes?: number;
  /** Read block size (tests use a small one to cross block boundaries). */
  blockBytes?: number;
}

export class FileLines {
  private readonly max: number;
  private readonly sourceId: string;
  private fd: number | undefined;
  private readonly buf: Buffer;
  /** Valid bytes in buf: [start, end). */
  private start = 0;
  private end = 0;
  /** File offset of buf[0]. */
  private base = 0;
  private eof = false;
  private lineNo = 0;
  /** A line longer than the block: its first `max` bytes, and how many bytes were dropped. */
  private long: Buffer | undefined;
  private longStart = 0;
  private cut = 0;

  constructor(
    readonly path: string,
    private readonly o: FileLinesOptions,
  ) {
    // the live tail's bound: replay shows what the live agent saw (it cut at 64 KiB before)
    this.max = o.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.sourceId = o.sourceId ?? `replay:${path}`;
    this.buf = Buffer.allocUnsafe(Math.max(o.blockBytes ?? 1 << 20, 16));
    this.fd = openSync(path, 'r');
  }

  /** The next line, or undefined at the end of the file (the file is closed then). */
  next(): RawLine | undefined {
    for (;;) {
      const nl = this.end > this.start ? this.buf.indexOf(0x0a, this.start) : -1;
      if (nl !== -1 && nl < this.end) {
        const s = this.start;
        this.start = nl + 1;
        if (this.long) return this.finishLong(this.buf.subarray(s, nl), false);
        return this.make(s, nl, this.base + s, false);
      }
      if (this.eof) {
        if (this.long) return this.finishLong(this.buf.subarray(this.start, this.end), true);
        if (this.end > this.start) {
          const s = this.start;
          this.start = this.end;
          return this.make(s, this.end, this.base + s, true);
        }
        this.close();
        return undefined;
      }
      this.fill();
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.eof = true;
  }

  /** Moves the pending bytes to the front and reads more; a block with no newline starts a long line. */
  private fill(): void {
    const pending = this.end - this.start;
    if (pending === this.buf.length) {
      // no newline in a whole block: keep what fits in max, count the rest as cut
      this.absorbLong(this.buf.subarray(this.start, this.end));
      this.base += this.end;
      this.start = this.end = 0;
    } else if (this.start > 0) {
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.base += this.start;
      this.end = pending;
      this.start = 0;
    }
    const n = this.fd === undefined ? 0 : readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
    if (n === 0) this.eof = true;
    this.end += n;
  }

  private absorbLong(piece: Buffer): void {
    if (!this.long) {
      this.long = Buffer.alloc(0);
      this.longStart = this.base + this.start;
      this.cut = 0;
    }
    const room = this.max - this.long.length;
    if (piece.length <= room) this.long = Buffer.concat([this.long, piece]);
    else {
      if (room > 0) this.long = Buffer.concat([this.long, piece.subarray(0, room)]);
      this.cut += piece.length - Math.max(0, room);
    }
  }

  private finishLong(rest: Buffer, partial: boolean): RawLine {
    this.absorbLong(rest);
    if (partial) this.start = this.end;
    const whole = this.long!;
    this.long = undefined;
    return this.line(this.decode(whole, 0, whole.length, partial), this.longStart, partial);
  }

  private make(s: number, e: number, offset: number, partial: boolean): RawLine {
    if (e - s > this.max) {
      this.cut = e - s - this.max;
      return this.line(this.decode(this.buf, s, s + this.max, partial), offset, partial);
    }
    this.cut = 0;
    return this.line(this.decode(this.buf, s, e, partial), offset, partial);
  }

  private decode(buf: Buffer, s: number, e: number, keepCr: boolean): string {
    if (!keepCr && e > s && buf[e - 1] === 0x0d) e--;
    const text = buf.toString('utf8', s, e);
    return this.cut > 0 ? `${text} …[cut ${this.cut} bytes]` : text;
  }

  private line(text: string, offset: number, partial: boolean): RawLine {
    this.lineNo++;
    this.cut = 0;
    const line: RawLine = {
      sourceId: this.sourceId,
      text,
      receivedAt: this.o.receivedAt,
      position: { source: this.sourceId, file: this.path, line: this.lineNo, offset },
    };
    if (this.o.program) line.program = this.o.program;
    if (partial) line.partial = true;
    return line;
  }
}

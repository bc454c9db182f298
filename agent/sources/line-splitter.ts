/**
 * LineSplitter: bytes in, lines out, with the byte offsets a checkpoint needs.
 *
 * - A line ends at "\n"; a "\r" right before it is removed (CRLF files such as plink's -sshlog).
 *   A lone "\r" inside a line is kept.
 * - Bytes are decoded as UTF-8; invalid sequences become U+FFFD (Buffer#toString does this).
 * - NUL bytes are dropped (`dropNul`, on by default): they are the hole a writer leaves when it
 *   keeps its old offset after copytruncate, never text.
 * - A line longer than `maxLineBytes` keeps its first `maxLineBytes` bytes (cut at a character
 *   boundary) plus TRUNCATION_MARKER and the number of bytes dropped; the rest of that line is
 *   discarded as it arrives, so memory stays bounded, and the lines around it are untouched.
 * - The last line without a newline stays pending: `pendingText()` shows it (for a partial
 *   delivery), `lineStart` is its start offset (where a checkpoint must stay until it completes).
 *
 * Offsets are absolute byte offsets in the stream (`startOffset` is the offset of the first byte
 * pushed). Pure: no I/O, no clock.
 */

export const TRUNCATION_MARKER = ' …[connwatch: line truncated, ';

export interface SplitLine {
  text: string;
  /** Offset of the line's first byte. */
  start: number;
  /** Offset just after its newline. */
  end: number;
  /** true when the line was longer than maxLineBytes and was cut. */
  truncated: boolean;
}

export interface LineSplitterOptions {
  maxLineBytes?: number;
  startOffset?: number;
  dropNul?: boolean;
}

export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

export class LineSplitter {
  readonly maxLineBytes: number;
  private readonly dropNul: boolean;
  /** Bytes of the pending line kept so far (at most maxLineBytes). */
  private parts: Buffer[] = [];
  private keptBytes = 0;
  /** Bytes of the pending line dropped because it is too long. */
  private droppedBytes = 0;
  private start: number;
  private pos: number;

  constructor(options: LineSplitterOptions = {}) {
    this.maxLineBytes = Math.max(16, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
    this.dropNul = options.dropNul ?? true;
    this.start = options.startOffset ?? 0;
    this.pos = this.start;
  }

  /** Offset of the first byte of the pending (incomplete) line; equals `position` when none. */
  get lineStart(): number {
    return this.start;
  }

  /** Offset just after the last byte pushed. */
  get position(): number {
    return this.pos;
  }

  /** Bytes of the pending line seen so far (kept + dropped). */
  get pendingBytes(): number {
    return this.pos - this.start;
  }

  /** Forget everything pending and continue at `offset` (after truncation or a seek). */
  reset(offset: number): void {
    this.parts = [];
    this.keptBytes = 0;
    this.droppedBytes = 0;
    this.start = offset;
    this.pos = offset;
  }

  /** Feed bytes; returns the lines completed by them. */
  push(chunk: Buffer): SplitLine[] {
    const out: SplitLine[] = [];
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(0x0a, from);
      const to = nl === -1 ? chunk.length : nl;
      this.keep(chunk.subarray(from, to));
      if (nl === -1) {
        this.pos += chunk.length - from;
        break;
      }
      this.pos += nl + 1 - from;
      out.push(this.finishLine());
      from = nl + 1;
    }
    return out;
  }

  /**
   * The pending line decoded (without a trailing "\r" and without a trailing incomplete UTF-8
   * sequence), and how many of its kept bytes that text covers. Undefined when nothing is pending.
   */
  pendingText(fromByte = 0): { text: string; bytes: number } | undefined {
    if (this.pendingBytes === 0) return undefined;
    let buf = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
    if (this.parts.length > 1) this.parts = [buf];
    let end = completeUtf8Length(buf);
    if (end > 0 && buf[end - 1] === 0x0d) end -= 1;
    if (end <= fromByte) return { text: '', bytes: fromByte };
    buf = buf.subarray(fromByte, end);
    return { text: buf.toString('utf8'), bytes: end };
  }

  private keep(bytes: Buffer): void {
    if (bytes.length === 0) return;
    let b = bytes;
    if (this.dropNul && b.includes(0)) b = Buffer.from(b.filter((x) => x !== 0));
    const room = this.maxLineBytes - this.keptBytes;
    if (room <= 0) {
      this.droppedBytes += b.length;
      return;
    }
    const take = b.length <= room ? b : b.subarray(0, room);
    // Copy: the caller's read buffer is reused.
    this.parts.push(Buffer.from(take));
    this.keptBytes += take.length;
    this.droppedBytes += b.length - take.length;
  }

  private finishLine(): SplitLine {
    let buf = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
    const truncated = this.droppedBytes > 0;
    let text: string;
    if (truncated) {
      const cut = completeUtf8Length(buf);
      const dropped = this.droppedBytes + (buf.length - cut);
      text = `${buf.subarray(0, cut).toString('utf8')}${TRUNCATION_MARKER}${dropped} bytes dropped]`;
    } else {
      if (buf.length > 0 && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
      text = buf.toString('utf8');
    }
    const line: SplitLine = { text, start: this.start, end: this.pos, truncated };
    this.parts = [];
    this.keptBytes = 0;
    this.droppedBytes = 0;
    this.start = this.pos;
    return line;
  }
}

/**
 * Length of `buf` without a trailing incomplete UTF-8 sequence (so a cut never splits a
 * character). Invalid bytes are left alone: they decode to U+FFFD wherever they are.
 */
export function completeUtf8Length(buf: Buffer): number {
  const n = buf.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = buf[n - back] as number;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back
    if (b < 0x80 || b >= 0xf8) return n; // ASCII, or a byte that starts nothing: complete
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

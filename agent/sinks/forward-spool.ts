/**
 * The forwarder's disk buffer: records that did not fit in memory, as segment files
 * (seg-TIME-SEQ.ndjson, one JSON record a line) in the spool directory, sent oldest first and
 * bounded in bytes (past the bound the oldest segment is deleted, its records counted as
 * dropped). Segments left by an earlier run are found at start. The segment being sent is
 * rewritten as its batches arrive, so a crash resends only what had not arrived.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf } from '../errors.js';

interface Segment {
  file: string;
  bytes: number;
  lines: number;
}

export class Spool {
  private readonly segments: Segment[] = [];
  private bytes = 0;
  /** The oldest segment, loaded: its file is removed (or rewritten) as batches of it arrive. */
  private seg: { file: string; lines: string[] } | undefined;
  private seq = 0;

  /**
   * @param drop  called with the number of records lost and why
   * @param error called when a segment cannot be read (it is skipped)
   */
  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly drop: (n: number, why: string) => void,
    private readonly error: (message: string) => void,
  ) {
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir).filter((f) => /^seg-\d+-\d+\.ndjson$/.test(f)).sort()) {
      const file = join(dir, f);
      const text = readFileSync(file, 'utf8');
      this.segments.push({ file, bytes: Buffer.byteLength(text), lines: countLines(text) });
      this.bytes += Buffer.byteLength(text);
    }
  }

  /** Records waiting on disk. */
  get lines(): number {
    return (this.seg?.lines.length ?? 0) + this.segments.reduce((n, s) => n + s.lines, 0);
  }

  get hasWork(): boolean {
    return this.seg !== undefined || this.segments.length > 0;
  }

  /** Up to `max` of the oldest records, left in place until commit(). */
  peek(max: number): string[] | undefined {
    if (!this.seg && this.segments.length) this.load();
    return this.seg?.lines.slice(0, max);
  }

  /** The first `n` records of peek() arrived. `release`: the agent is stopping, the rest stays on disk. */
  commit(n: number, release = false): void {
    if (!this.seg) return;
    this.seg.lines.splice(0, n);
    this.rewrite(release);
  }

  /** Stores records from memory, oldest segments giving way past the byte bound. */
  store(lines: string[]): void {
    const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    // records larger than the whole bound do not fit whatever gives way: the older ones stay
    if (bytes > this.maxBytes) return this.drop(lines.length, 'disk buffer full');
    while (this.bytes + bytes > this.maxBytes && this.segments.length) {
      const oldest = this.segments.shift()!;
      this.bytes -= oldest.bytes;
      rmSync(oldest.file, { force: true });
      this.drop(oldest.lines, 'disk buffer full: the oldest records were dropped');
    }
    if (this.bytes + bytes > this.maxBytes) return this.drop(lines.length, 'disk buffer full');
    try {
      this.write(lines);
    } catch (err) {
      this.drop(lines.length, `spool not writable (${messageOf(err)})`);
    }
  }

  /**
   * Writes records as a segment whatever the bound (at stop: what memory held). `first`: they are
   * older than every segment (a batch that failed), so their name sorts first.
   */
  write(lines: string[], first = false): void {
    const time = first ? 0 : Date.now();
    const file = join(this.dir, `seg-${String(time).padStart(15, '0')}-${String(++this.seq).padStart(6, '0')}.ndjson`);
    const text = lines.join('\n') + '\n';
    writeFileSync(file, text);
    const entry = { file, bytes: Buffer.byteLength(text), lines: lines.length };
    if (first) this.segments.unshift(entry);
    else this.segments.push(entry);
    this.bytes += entry.bytes;
  }

  /** At stop: the loaded segment's file is brought up to date and left for the next start. */
  close(): void {
    if (this.seg) this.rewrite(true);
  }

  private load(): void {
    const { file, bytes } = this.segments.shift()!;
    this.bytes -= bytes;
    let lines: string[] = [];
    try {
      lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
    } catch (err) {
      this.error(`spool segment ${file} unreadable (${messageOf(err)}); skipped`);
    }
    this.seg = { file, lines };
  }

  /** The loaded segment's file follows what is left of it (so a crash resends only that). */
  private rewrite(release: boolean): void {
    const s = this.seg!;
    if (!s.lines.length) {
      rmSync(s.file, { force: true });
      this.seg = undefined;
      return;
    }
    const tmp = `${s.file}.tmp`;
    writeFileSync(tmp, s.lines.join('\n') + '\n');
    renameSync(tmp, s.file);
    if (release) this.seg = undefined;
  }
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * `journalctl -o export` read line by line, as a file source or `replay` delivers it: an entry is
 * `FIELD=value` lines ended by an empty line; a field whose value is not plain text is its name
 * alone on a line, then its length (64-bit little-endian), the bytes, and a newline. Whole buffers
 * are read by parseJournalExport (journal.ts); this reader gets the same entries from lines.
 *
 *   const x = new JournalExportLines();
 *   x.push('__CURSOR=s=…');  // 'pending'
 *   x.push('MESSAGE=Accepted publickey for ann from 192.0.2.7 port 50000 ssh2'); // 'pending'
 *   x.push('');             // the entry's JournalParts
 *
 * An entry starts with `__CURSOR=` or `__REALTIME_TIMESTAMP=` (journalctl writes those first).
 * A binary field's value may run over several lines, and its length did not survive as bytes:
 * it arrives as characters before the value, all 8 (replay's FileLines) or only the non-zero ones
 * (the live sources drop NUL bytes, line-splitter.ts). The value is complete when the bytes read so far, less
 * as many leading characters as their length has non-zero bytes, are exactly that length; until
 * then each line (an empty one too) continues it. A value that never adds up (a NUL inside it)
 * ends at 64 KiB or with the input, its leading length characters taken off as well as can be.
 */
import { isJournalEntry, parseJournal, type JournalParts } from './journal.js';

const FIELD = /^([A-Z0-9_]+)=/;
const NAME = /^[A-Z0-9_]+$/;

/** A line that starts an export entry. */
export function startsExportEntry(text: string): boolean {
  return text.startsWith('__CURSOR=') || text.startsWith('__REALTIME_TIMESTAMP=');
}

export class JournalExportLines {
  private entry: Record<string, unknown> | undefined;
  /** A binary field being read: its name and its lines so far (length characters first; undefined before its first line). */
  private binary: { name: string; value: string | undefined } | undefined;

  /** Inside an entry: every line belongs to it until the empty line. */
  get active(): boolean {
    return this.entry !== undefined;
  }

  /** One line (without its newline): 'pending' while the entry goes on, its parts at its end. */
  push(text: string): JournalParts | 'pending' {
    this.entry ??= {};
    const b = this.binary;
    if (b && b.value === undefined) {
      b.value = text;
      return 'pending';
    }
    if (b && b.value !== undefined) {
      const value = complete(b.value);
      if (value === undefined && b.value.length < MAX_BINARY) {
        b.value += `\n${text}`;
        return 'pending';
      }
      this.entry[b.name] = value ?? salvage(b.value);
      this.binary = undefined;
    }
    if (text === '') return this.end() ?? 'pending';
    const m = FIELD.exec(text);
    if (m) this.entry[m[1]!] = text.slice(m[0].length);
    else if (NAME.test(text)) this.binary = { name: text, value: undefined };
    return 'pending';
  }

  /** The entry read so far, ended (end of input, or an empty line); undefined when there is none. */
  end(): JournalParts | undefined {
    const e = this.entry;
    const v = this.binary?.value;
    if (e && this.binary && v !== undefined) e[this.binary.name] = complete(v) ?? salvage(v);
    this.entry = undefined;
    this.binary = undefined;
    return e && isJournalEntry(e) ? parseJournal(e) : undefined;
  }
}

const MAX_BINARY = 64 * 1024;

/**
 * The value of a binary field from what was read (its lines joined by newlines), when it adds
 * up: its leading characters are its own length's 8 bytes, or (NULs dropped) their non-zero ones.
 */
function complete(read: string): string | undefined {
  for (let k = 0; k <= 8 && k <= read.length; k++) {
    const rest = read.slice(k);
    const full: number[] = [];
    for (let n = Buffer.byteLength(rest), i = 0; i < 8; i++, n = Math.floor(n / 256)) full.push(n % 256);
    const nonZero = full.filter((x) => x !== 0);
    if ((k === 8 && lengthChars(read, full)) || (k === nonZero.length && lengthChars(read, nonZero))) return rest;
  }
  return undefined;
}

/** Whether `read` starts with these bytes as characters (a byte of 0x80 and above was decoded as U+FFFD). */
function lengthChars(read: string, bytes: readonly number[]): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if (read.charCodeAt(i) !== (bytes[i]! < 0x80 ? bytes[i] : 0xfffd)) return false;
  }
  return true;
}

/** A value that never added up: leading control characters (its length) taken off. */
function salvage(value: string): string {
  return value.replace(/^[\u0000-\u001f\ufffd]{0,8}/, '');
}

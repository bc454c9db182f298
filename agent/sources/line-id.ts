/**
 * The identity of a line, for alert ids: the same line read again (after a restart, or through
 * the rotated file's new name) gives the same identity, and two different lines never share one.
 *
 * - A line with a byte offset (file sources): source, file, offset and a hash of its text. The
 *   text is what tells apart the lines a truncated or rewritten file puts at the same offset
 *   (fixed timestamps + truncation gave 3,919 false duplicates of 20,000 with offset + time
 *   alone). The event time is left out: a line without a timestamp of its own gets the time it
 *   was read, which differs when it is read again.
 * - A journal line: its cursor, which journald makes unique.
 * - Anything else (replayed events, timer findings such as hangs): the old origin and the time.
 */
import type { Origin } from '../event.js';

export function lineIdentity(raw: Origin & { text: string }, time: number): string {
  if (raw.offset !== undefined) {
    const text = sha256(raw.text, 'base64url').slice(0, 16);
    return `${raw.source}\u0000${raw.file ?? ''}\u0000${raw.offset}\u0000${text}`;
  }
  if (raw.cursor !== undefined) return `${raw.source}\u0000${raw.cursor}`;
  return `${raw.source}#${raw.line ?? ''}@\u0000${time}`;
}

let crypto: typeof import('node:crypto') | undefined;

/**
 * SHA-256 of a string. node:crypto is loaded on the first id hashed, not at start: it costs
 * 8–25 ms of start-up, and a replay or a quiet agent that never shows an id need not pay it.
 */
export function sha256(text: string, encoding: 'hex' | 'base64url'): string {
  crypto ??= process.getBuiltinModule('node:crypto');
  return crypto.hash('sha256', text, encoding);
}

/**
 * RawLine: what every source hands on. Sources know how bytes arrive, nothing about programs.
 */
import type { Origin, Program } from '../event.js';
import type { JournalParts } from '../envelopes/journal.js';

export type EnvelopeHint = 'auto' | 'plain' | 'syslog' | 'journal-json' | 'wrap-capture';

export interface RawLine {
  /** Stable id of the source that read the line. */
  sourceId: string;
  /** The line, decoded as UTF-8 (invalid bytes become U+FFFD), without its line ending. */
  text: string;
  /** When the source read it (ms since epoch). */
  receivedAt: number;
  position: Origin;
  /**
   * true when the text is not followed by a newline yet: a prompt waiting for input
   * (live tail after a quiet moment, a wrap capture) or the last line of a finished file.
   */
  partial?: boolean;
  /**
   * true when this text continues a line whose start was already delivered as partial:
   * `text` is only the part after what was delivered before.
   */
  continuation?: boolean;
  /** The program that wrote it, when the source knows (config, wrap command, journal identifier). */
  program?: Program;
  /** How the line is wrapped, when the source knows; otherwise detected. */
  envelope?: EnvelopeHint;
  /** Process id of the writer, when the source knows it (wrap, journal). */
  pid?: number;
  /** Which output stream, for captured clients. */
  stream?: 'stdout' | 'stderr';
  /** The journal entry, decoded once by the source that read it (the router then parses no JSON). */
  journal?: JournalParts;
}

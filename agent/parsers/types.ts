/**
 * The parser contract. A parser is pure: no I/O, no clock. Programs whose messages span several
 * lines (plink prompt blocks, FATAL ERROR continuations) keep that state inside one LineParser
 * instance, created per source, so the same input always gives the same events.
 */
import type { EventDraft, Program } from '../event.js';

/** A line with its envelope (syslog prefix, journal fields, `Event Log: `, CRLF) taken off. */
export interface Message {
  text: string;
  /** Time stated by the envelope or the line (ms since epoch). */
  time?: number;
  pid?: number;
  /** syslog identifier / journal SYSLOG_IDENTIFIER, e.g. "sshd", "sshd-session". */
  ident?: string;
  /** The machine that logged it (syslog hostname), when known. */
  hostname?: string;
  /** The text is not (yet) followed by a newline. */
  partial?: boolean;
  /** The text continues a line whose start was already delivered as partial. */
  continuation?: boolean;
  /** Which output the text came from (a capture): stdout, stderr, or the client's terminal (`tty`, its questions). */
  stream?: 'stdout' | 'stderr' | 'tty';
  /** A reference time for formats that omit the year (traditional syslog). */
  referenceTime: number;
}

export interface LineParser {
  /** Events for one message; [] is allowed for a line that only feeds a multi-line block. */
  parse(msg: Message): EventDraft[];
  /** End of input: events still held back (an unfinished block). */
  end(): EventDraft[];
}

export interface ParserSpec {
  program: Program;
  /** Which versions and envelopes this parser understands, for docs and `rules test`. */
  understands: string;
  /** Identifiers (syslog/journal) this parser handles when lines arrive through a shared log. */
  idents: readonly string[];
  /**
   * How sure we are that a line of unknown origin was written by this program, 0..1.
   * Used to recognise a file's program from its first lines.
   */
  sniff(text: string): number;
  /** Every pattern id the parser can report in EventDraft.pattern; each must have a sample. */
  patterns: readonly string[];
  /**
   * true when the parser keeps no state between lines (each line stands alone): the router then
   * shares one instance for every process of the program instead of one per pid.
   */
  stateless?: boolean;
  create(): LineParser;
}

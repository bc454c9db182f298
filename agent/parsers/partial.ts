/**
 * Lines that arrive in two parts. A client's prompt waits without a newline, so sources deliver a
 * line with no newline yet as `partial`, and only the rest of it later as a `continuation`.
 * A parser that recognises the partial text as a prompt reports it at once; anything else is held
 * here until its rest (or the end of input) makes it a whole line. Also drops the "\r" of a CRLF
 * line, which every client parser needs.
 */
import type { Message } from './types.js';

export class PartialLines {
  private held: string | undefined;

  /** The message's text without a trailing CR, joined to a held start when it continues one. */
  take(msg: Message): string {
    let text = msg.text.endsWith('\r') ? msg.text.slice(0, -1) : msg.text;
    if (msg.continuation && this.held !== undefined) {
      text = this.held + text;
      this.held = undefined;
    }
    return text;
  }

  /** True when the message is the start of a line whose rest is still to come. */
  waits(msg: Message): boolean {
    return Boolean(msg.partial && !msg.continuation);
  }

  /** Keeps the start of a line (not a prompt) until its rest arrives. */
  hold(text: string): void {
    this.held = text;
  }

  /** End of input: the held start, to be parsed as a whole line. */
  flush(): string | undefined {
    const text = this.held;
    this.held = undefined;
    return text;
  }
}

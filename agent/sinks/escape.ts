/**
 * Untrusted log text → notification text a person can trust.
 *
 * Two layers, kept apart so tests can state what a person sees:
 *
 * 1. Visible text (visibleSummary, visibleBody): what the notification must show.
 *    - Lone UTF-16 surrogates become U+FFFD (they cannot be encoded as UTF-8 for D-Bus).
 *    - CR LF and lone CR become LF; tab becomes a space; U+2028/U+2029 become LF.
 *    - Other C0 controls, NUL and DEL become their visible Control Pictures (ESC → ␛, NUL → ␀,
 *      DEL → ␡): a person sees that something was there, a terminal or parser sees nothing active.
 *      C1 controls (U+0080–U+009F) and bidi embeddings/overrides/isolates (U+202A–U+202E,
 *      U+2066–U+2069, which can reorder what is shown) become U+FFFD.
 *    - A summary is one line: every line break becomes a space, runs of spaces collapse.
 *    - A leading "-" becomes U+2010 HYPHEN, because notify-send (GOption) parses an argument
 *      that starts with "-" as an option (`--urgency=low` as a user name would lower the
 *      urgency, and node-notifier cannot put "--" before the text). U+2010 looks the same, is
 *      not whitespace (no server or toolkit trims it away) and is not invisible (a zero-width
 *      prefix can render as a box and makes copied text differ unseen).
 *    - Lengths are capped in code points (never splitting a surrogate pair), with "…".
 * 2. Wire text: what goes to notify-send through node-notifier 10.
 *    - Body: freedesktop body markup is escaped (& < > → &amp; &lt; &gt;), then every
 *      backslash is doubled, because notify-send 0.8 runs the body (not the summary) through
 *      g_strcompress, which turns \n, \t, \\ and octal \NNN into control characters (and \0
 *      ends the body). node-notifier turns real newlines into the two characters "\n" after
 *      its own escaping, which g_strcompress turns back into newlines.
 *    - Summary: plain text by the specification (servers do not parse markup there) and not
 *      compressed by notify-send, so it goes as visible text.
 *    - The shell: node-notifier runs `notify-send "…" "…"` through /bin/sh and escapes
 *      " $ ` \ inside the double quotes, which is all that is special there; the only
 *      remaining danger is NUL (Node refuses the command), removed in layer 1.
 */

export const SUMMARY_MAX = 120;
export const BODY_MAX = 1000;
/** The remedy keeps at most this much of the body, so a huge message cannot push it out. */
export const REMEDY_MAX = 400;

const ELLIPSIS = '…';
const HYPHEN = '\u2010';

/** Replaces lone surrogates with U+FFFD (String.prototype.toWellFormed, which ES2023 typings lack). */
function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Layer 1 for any text: well-formed, no active control characters; LF kept. */
export function cleanText(s: string): string {
  return wellFormed(s)
    .replace(/\r\n?|[\u2028\u2029]/g, '\n')
    .replace(/\t/g, ' ')
    .replace(/[\u0000-\u0008\u000B-\u001F]/g, (c) => String.fromCodePoint(0x2400 + c.charCodeAt(0)))
    .replace(/\u007F/g, '\u2421')
    .replace(/[\u0080-\u009F\u202A-\u202E\u2066-\u2069]/g, '\uFFFD');
}

/** Caps s at max code points, ending with "…" when cut. */
export function cap(s: string, max: number): string {
  const points = Array.from(s);
  if (points.length <= max) return s;
  return points.slice(0, Math.max(0, max - 1)).join('').trimEnd() + ELLIPSIS;
}

export function codePoints(s: string): number {
  return Array.from(s).length;
}

/** notify-send would read a leading "-" as an option. */
export function neutraliseLeadingDash(s: string): string {
  return s.startsWith('-') ? HYPHEN + s.slice(1) : s;
}

/** One line of clean text, spaces collapsed, trimmed (not capped). */
export function oneLine(s: string): string {
  return cleanText(s).replace(/\s+/g, ' ').trim();
}

/** The summary a person sees: one line, capped, no leading dash. */
export function visibleSummary(s: string, max = SUMMARY_MAX): string {
  return neutraliseLeadingDash(cap(oneLine(s), max));
}

/** Clean multi-line text: no trailing spaces on lines, at most one blank line in a row, trimmed (not capped). */
export function tidyLines(s: string): string {
  return cleanText(s)
    .replace(/[ ]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** A body a person sees: tidy lines, capped, no leading dash. */
export function visibleBody(s: string, max = BODY_MAX): string {
  return neutraliseLeadingDash(cap(tidyLines(s), max));
}

/** Escapes the characters freedesktop body markup interprets. */
export function escapeMarkup(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** What a markup-capable server shows for an escaped body (for tests and logs). */
export function unescapeMarkup(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The body as the server must receive it: markup escaped. */
export function wireBody(visible: string): string {
  return escapeMarkup(visible);
}

/** The body as notify-send's argument: backslashes doubled against its g_strcompress. */
export function notifySendBodyArg(visible: string): string {
  return wireBody(visible).replace(/\\/g, '\\\\');
}

/** The summary as notify-send's argument: the visible text itself (see the header). */
export function notifySendSummaryArg(visible: string): string {
  return visible;
}

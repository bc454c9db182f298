/**
 * plink / PuTTY (console front end), releases 0.60 to 0.83.
 *
 * Envelopes understood:
 *   - the `-v` stderr stream (Event Log lines, no timestamp), including the user-visible texts
 *     (`Using username`, `Access denied`, host-key and weak-crypto question blocks, prompts);
 *   - `-sshlog` / `-sshrawlog` files: the `=~=~= PuTTY log YYYY.MM.DD HH:MM:SS =~=~=` header (its
 *     time is carried to the lines after it), `Event Log: ` lines, CRLF endings, packet dumps
 *     (ignored as noise);
 *   - `connwatch wrap` captures (the router takes the capture envelope off first).
 *
 * Wording by era (see shared reference signatures.md, section A): `Server version` (≤0.70) /
 * `Remote version` (≥0.71); `Couldn't agree a …` (≤0.8x) / `Selected … does not correspond to any
 * supported algorithm` (0.78 with a server offering nothing we know); host-key texts of
 * 0.60–0.74 ("cached in the registry"), 0.75–0.76, 0.77 and the 60-column word-wrapped 0.78+
 * paragraphs; batch-mode aborts (`Connection abandoned.`, `Cannot confirm … in batch mode`).
 *
 * A prompt waits for input without a newline. It may reach us alone (a partial line) or, when the
 * answer or the program's next output followed, at the start of a longer line: the prompt is
 * split off and the rest parsed as a line of its own.
 */
import type { Detail, EventDraft, EventKind } from '../event.js';
import { netReason } from './net-reason.js';
import { PartialLines } from './partial.js';
import { PLINK_IGNORED } from './plink-ignored.js';
import { BLOCK_TEXT, ev, info, PROMPTS, type State } from './plink-blocks.js';
import { PLINK_ROWS } from './plink-table.js';
import { IgnoredTable, Table } from './table.js';
import type { LineParser, Message, ParserSpec } from './types.js';

/** The rows (plink-table.ts), indexed by the first characters a line can start with. */
const TABLE = new Table<State>('plink', PLINK_ROWS);
/** PuTTY's event log lines the catalog puts in a named `ignored` class (docs/catalog/plink.json). */
const IGNORED = new IgnoredTable('plink', 'plink.ignored', PLINK_IGNORED);

/**
 * A line left waiting without a newline that asks something: ends in `?` or `:` (then maybe a
 * space). Waiting partial lines are lines the client stopped in the middle of for a while.
 */
const GENERIC_PROMPT = /^[^\n]{1,300}[?:] ?$/;

/** Kinds after which no question block can still be open. */
const BLOCK_ENDERS = new Set<EventKind>(['connect.lookup', 'connect.start', 'connect.aborted', 'connect.failed', 'kex.done', 'auth.success']);

class PlinkParser implements LineParser {
  private readonly st: State = { block: undefined, asked: undefined, abandoned: false, fingerprint: undefined, logFile: undefined, held: undefined };
  private readonly partial = new PartialLines();

  parse(msg: Message): EventDraft[] {
    let text = this.partial.take(msg);
    const out: EventDraft[] = [];
    if (text.startsWith('Event Log: ')) text = text.slice(11);
    // A line that completes a held draft.
    if (this.st.held) {
      const r = this.complete(text);
      if (r.emit) out.push(r.emit);
      if (r.consumed) return out;
    }
    // A prompt at the start of the line.
    for (const p of PROMPTS) {
      const m = p.re.exec(text);
      if (!m) continue;
      const kind = p.kind(this.st);
      const detail: Detail = { prompt: m[0].trimEnd() };
      if (kind === 'prompt.hostkey') {
        detail.keyState = this.st.block === 'hostkey-changed' ? 'changed' : 'new';
        if (this.st.fingerprint) detail.fingerprint = this.st.fingerprint;
      }
      if (p.id === 'plink.prompt.logfile') {
        detail.question = 'logfile';
        if (this.st.logFile) detail.file = this.st.logFile;
      }
      const asking = kind !== 'prompt.password' && kind !== 'prompt.passphrase' && kind !== 'prompt.username';
      if (asking) {
        this.st.asked = this.st.block;
        this.st.block = undefined;
      }
      out.push(ev(kind, p.id, { detail }));
      const rest = text.slice(m[0].length);
      if (rest === '') return out;
      if (/^[yYnNiI]?$/.test(rest.trim())) {
        out.push(ev('prompt.answered', 'plink.prompt.answer', { detail: { answer: rest.trim() } }));
        return out;
      }
      return out.concat(this.parseText(rest, msg));
    }
    if (this.partial.waits(msg)) {
      // A question we do not know, waiting for its answer: a prompt all the same.
      if (GENERIC_PROMPT.test(text)) {
        out.push(ev('prompt.other', 'plink.prompt.generic', { detail: { prompt: text.trimEnd() } }));
        return out;
      }
      // Else wait for the rest of the line (or the end of input).
      this.partial.hold(text);
      return out;
    }
    return out.concat(this.parseText(text, msg));
  }

  end(): EventDraft[] {
    const out: EventDraft[] = [];
    if (this.st.held) {
      out.push(this.st.held.draft);
      this.st.held = undefined;
    }
    const text = this.partial.flush();
    if (text !== undefined) out.push(...this.parseText(text, { text, referenceTime: 0 }));
    return out;
  }

  private parseText(text: string, _msg: Message): EventDraft[] {
    if (text === '') return [ev('noise', 'plink.blank')];
    let fatal = false;
    let inner = text;
    const f = /^FATAL ERROR: (.*)$/.exec(text);
    if (f) {
      fatal = true;
      inner = f[1]!;
    }
    const hit = TABLE.many(inner, this.st) ?? (fatal ? undefined : this.blockLine(inner));
    if (!hit || hit[0]?.pattern !== 'plink.hostkey.abandoned') this.st.abandoned = false;
    if (hit) {
      if (fatal) for (const d of hit) d.detail = { ...(d.detail ?? {}), fatal: true };
      if (fatal || hit.some((d) => BLOCK_ENDERS.has(d.kind))) this.st.block = undefined;
      return hit;
    }
    if (fatal) {
      this.st.block = undefined;
      return [ev('error.fatal', 'plink.fatal', { detail: { message: inner } })];
    }
    const ignored = IGNORED.match(inner);
    if (ignored) return [ignored];
    return [ev('unknown', 'plink.unknown')];
  }

  private blockLine(text: string): EventDraft[] | undefined {
    // Inside a question block every other line explains the question (paragraphs are re-wrapped
    // at 60 columns in 0.78+, so their line breaks cannot be listed); the prompt or an abort ends it.
    if (this.st.block === 'hostkey-unknown' || this.st.block === 'hostkey-changed') {
      const fp = /^ {2}((\S+) (\d+) (\S+))$/.exec(text);
      if (fp) {
        this.st.fingerprint = fp[4]!;
        return [ev('hostkey.fingerprint', 'plink.hostkey.block-fingerprint', { detail: { fingerprint: fp[1]!, keyType: fp[2]! } })];
      }
    }
    if (this.st.block && text.length <= 200) return [info('plink.block.text', `${this.st.block}-text`)];
    if (!this.st.block && BLOCK_TEXT.test(text) && /host key|PuTTY|Plink|fingerprint/.test(text)) {
      return [info('plink.block.text', 'question-text')];
    }
    return undefined;
  }

  /** Feeds a line to the held draft: the draft to emit once finished, and whether the line was used up. */
  private complete(text: string): { emit?: EventDraft; consumed: boolean } {
    const held = this.st.held!;
    const d = held.draft;
    d.detail ??= {};
    const finish = (consumed: boolean) => {
      this.st.held = undefined;
      return { emit: d, consumed };
    };
    switch (held.need) {
      case 'fingerprint': {
        const m = /^\s*((\S+) (\d+) (\S+))$/.exec(text);
        if (!m) return finish(false);
        d.detail.fingerprint = m[1]!;
        d.detail.keyType = m[2]!;
        this.st.fingerprint = m[4]!;
        return finish(true);
      }
      case 'weak-algorithm': {
        const m = /^(?:is )?(\S+?),? which is below the configured/.exec(text);
        if (!m) return finish(false);
        d.detail.algorithm = m[1]!;
        return finish(true);
      }
      case 'disconnect-type': {
        const m = /^type (\d+) \((.*)\):$/.exec(text);
        if (!m) return finish(false);
        d.detail.type = m[2]!;
        d.detail.code = Number(m[1]);
        held.need = 'disconnect-text';
        return { consumed: true };
      }
      case 'disconnect-text': {
        const m = /^"(.*?)"?$/.exec(text);
        if (!m) return finish(false);
        d.detail.message = m[1]!;
        return finish(true);
      }
      case 'open-reason':
        d.detail = { reason: netReason(text), message: text };
        return finish(true);
    }
  }
}

const PATTERN_IDS = [
  ...TABLE.ids,
  ...PROMPTS.map((p) => p.id),
  'plink.prompt.answer',
  'plink.prompt.generic',
  'plink.hostkey.block-fingerprint',
  'plink.block.text',
  'plink.fatal',
  'plink.blank',
  'plink.ignored',
  'plink.unknown',
];

export const plink: ParserSpec = {
  program: 'plink',
  understands:
    'plink/PuTTY 0.60–0.83: -v stderr, -sshlog/-sshrawlog files (header, "Event Log: ", CRLF, packet dumps), connwatch wrap captures',
  idents: ['plink', 'putty'],
  patterns: PATTERN_IDS,
  sniff(text: string): number {
    if (/^(?:Event Log: )?(?:Looking up host "|Connecting to \S+ port \d+$|We claim version: SSH-|(?:Server|Remote) version: SSH-|=~=~=~=~=~=~=~=~=~=~=~= PuTTY log )/.test(text)) return 1;
    if (/^(?:FATAL ERROR: |Using username "|Store key in cache\?|Update cached key\?|Doing Diffie-Hellman|expected key exchange|(?:Writing new|Appending) session log \(SSH (?:packets|raw data) mode\) to file: )/.test(text)) return 0.95;
    return 0;
  },
  create(): LineParser {
    return new PlinkParser();
  },
};

/**
 * rdesktop 1.8.x and 1.9.x.
 *
 * Envelopes understood:
 *   - 1.8: `ERROR: `, `WARNING: `, `NOT IMPLEMENTED: ` prefixes on stderr, and many bare status
 *     lines (`Connection established using SSL.`, `Failed to connect, …`, `disconnect: …`);
 *   - 1.9: `Subject(level): ` prefixes on stderr (`Core(error): tcp_connect(), …`,
 *     `Protocol(warning): …`), notices and verbose lines bare on **stdout**;
 *   - the 1.9 certificate question block on stderr, ending in `Do you trust this certificate
 *     (yes/no)? ` with no newline (rdesktop reads stdin and waits forever): the block's reasons,
 *     subject, issuer and fingerprints go into the prompt.certificate event's detail;
 *   - `connwatch wrap` captures and syslog/journal lines with identifier `rdesktop`.
 *
 * The CredSSP/NLA failure exists in two wordings: 1.8 `CredSSP: Initialize failed, do you have
 * correct kerberos tgt initialized ?` and 1.9 `Failed to initialize NLA, do you have correct
 * Kerberos TGT initialized ?` (2017 dev builds: `intialize`). After it, `Connection established
 * using SSL.` is a downgrade, not a success: the event says so (detail.downgrade).
 * Wording from real captures of 1.9.0 and the 2018 incident (1.8), the rest from signatures.md §D.
 */
import type { Detail, EventDraft } from '../event.js';
import { PartialLines } from './partial.js';
import { CERT_FIELDS, CERT_TEXT, ev, info, PROMPTS, RDESKTOP_ROWS, type Ctx, type State } from './rdesktop-table.js';
import { Table } from './table.js';
import type { LineParser, Message, ParserSpec } from './types.js';

/** The rows (rdesktop-table.ts), indexed by the first characters a line can start with. */
const TABLE = new Table<Ctx>('rdesktop', RDESKTOP_ROWS);

const PREFIX = /^(?:(ERROR|WARNING|NOT IMPLEMENTED): |(UI|GUI|Keyboard|Clipboard|Sound|Protocol|Graphics|Core|SmartCard|Disk)\((debug|verbose|warning|error|notice)\): )(.*)$/s;

/** A line left waiting without a newline that asks something: ends in `?` or `:` (then maybe a space). */
const GENERIC_PROMPT = /^[^\n]{1,300}[?:] ?$/;

class RdesktopParser implements LineParser {
  private readonly st: State = { nlaFailed: false, cert: undefined };
  private readonly partial = new PartialLines();

  parse(msg: Message): EventDraft[] {
    const text = this.partial.take(msg);
    const c: Ctx = { st: this.st, level: undefined, subject: undefined };
    for (const p of PROMPTS) {
      const m = p.re.exec(text);
      if (!m) continue;
      const detail: Detail = { prompt: m[0].trimEnd() };
      if (p.kind === 'prompt.certificate' && this.st.cert) {
        Object.assign(detail, this.st.cert.detail);
        if (this.st.cert.reasons.length) detail.reasons = this.st.cert.reasons.join('; ');
        this.st.cert = undefined;
      }
      const out = [ev(c, p.kind, p.id, detail)];
      const rest = text.slice(m[0].length);
      if (rest === '') return out;
      if (/^(?:yes|no)$/i.test(rest.trim())) {
        out.push(ev(c, 'prompt.answered', 'rdesktop.prompt.answer', { answer: rest.trim() }));
        return out;
      }
      return out.concat(this.line(rest));
    }
    if (this.partial.waits(msg)) {
      // a question no pattern knows, left waiting: a prompt all the same
      if (GENERIC_PROMPT.test(text)) return [ev({ st: this.st, level: undefined, subject: undefined }, 'prompt.other', 'rdesktop.prompt.generic', { prompt: text.trimEnd() })];
      this.partial.hold(text);
      return [];
    }
    return this.line(text);
  }

  end(): EventDraft[] {
    const text = this.partial.flush();
    return text === undefined ? [] : this.line(text);
  }

  private line(text: string): EventDraft[] {
    const c: Ctx = { st: this.st, level: undefined, subject: undefined };
    let inner = text;
    const p = PREFIX.exec(text);
    if (p) {
      c.level = (p[1] ?? p[3]!).toLowerCase();
      if (p[2]) c.subject = p[2];
      inner = p[4]!;
    }
    if (inner.trim() === '') return [ev(c, 'noise', 'rdesktop.blank')];
    const hit = TABLE.match(inner, c);
    if (hit) return [hit];
    if (this.st.cert && !p) {
      const cert = this.st.cert;
      for (const [re, key] of CERT_FIELDS) {
        const m = re.exec(inner);
        if (m) {
          cert.detail[key] ??= m[1]!;
          return [info(c, 'rdesktop.cert.block-text', 'certificate-text', { field: key })];
        }
      }
      const reason = /^ \d+\. (.*)$/.exec(inner);
      if (reason) cert.reasons.push(reason[1]!);
      if (CERT_TEXT.test(inner)) return [info(c, 'rdesktop.cert.block-text', 'certificate-text')];
    }
    if (c.level === 'error' || c.level === 'warning' || c.level === 'not implemented') {
      return [ev(c, 'error.other', 'rdesktop.error.other', { message: inner })];
    }
    if (c.level) return [info(c, 'rdesktop.log.other', 'log', { message: inner })];
    return [ev(c, 'unknown', 'rdesktop.unknown')];
  }
}

export const RDESKTOP_FALLBACK_PATTERNS = ['rdesktop.error.other', 'rdesktop.log.other', 'rdesktop.unknown'] as const;

export const rdesktop: ParserSpec = {
  program: 'rdesktop',
  understands:
    'rdesktop 1.8.x (ERROR:/WARNING: on stderr) and 1.9.x (Subject(level): on stderr, notices bare on stdout), including the certificate question block and its prompt',
  idents: ['rdesktop'],
  patterns: [
    ...TABLE.ids,
    ...PROMPTS.map((p) => p.id),
    'rdesktop.prompt.answer',
    'rdesktop.prompt.generic',
    'rdesktop.cert.block-text',
    'rdesktop.blank',
    ...RDESKTOP_FALLBACK_PATTERNS,
  ],
  sniff(text: string): number {
    if (/^(?:ERROR|WARNING): CredSSP: /.test(text)) return 1;
    if (/^(?:UI|GUI|Keyboard|Clipboard|Sound|Protocol|Graphics|Core|SmartCard|Disk)\((?:debug|verbose|warning|error|notice)\): /.test(text)) return 1;
    if (/^(?:Failed to initialize NLA, do you have correct Kerberos|Autoselected keyboard map |Autoselecting keyboard map '|ATTENTION! The server uses an?d? invalid security certificate|Do you trust this certificate \(yes\/no\)\?)/.test(text)) return 1;
    if (/^(?:Connection established using (?:SSL|CredSSP|plain RDP)\.$|Failed to connect, CredSSP required by server|Connecting to server using NLA\.\.\.$)/.test(text)) return 0.95;
    if (/^(?:ERROR|WARNING): /.test(text)) return 0.3;
    return 0;
  },
  create(): LineParser {
    return new RdesktopParser();
  },
};

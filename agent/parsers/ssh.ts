/**
 * OpenSSH `ssh` client, releases 7.x to 10.x.
 *
 * Envelopes understood:
 *   - stderr at the default level (no prefix; CRLF endings, as ssh writes `"%s\r\n"`), with `-v`
 *     / `-vv` / `-vvv` (`debug1: ` … `debug3: ` lines), and `-E FILE` log files (the same lines);
 *   - `-y` (syslog, ident `ssh`: the router takes the envelope off; the `error: ` / `fatal: ` level
 *     prefixes syslog adds are taken off here);
 *   - `connwatch wrap` captures: the terminal too, so the questions ssh writes to /dev/tty
 *     (host-key confirmation, password, passphrase) arrive, the last line as a prompt with no newline.
 *     Lines captured from stdout are mostly the remote command's output (noise here), but ssh's
 *     own messages that arrive that way (a terminal shared with the remote side) are kept.
 *
 * Wording by era (shared reference signatures.md, section C, and openssh-portable sources):
 * `ssh_exchange_identification:` (≤7.x) / `kex_exchange_identification:` (8.x+);
 * `Permission denied (M).` (old) / `USER@HOST: Permission denied (M).`; `Authentication succeeded (M).`
 * (debug1, ≤8.x) / `Authenticated to H ([A]:P) using "M".` (with `-v`); `Offering RSA public key: F` (≤7.7) /
 * `Offering public key: T FP F` (7.8–8.1) / `Offering public key: F T FP …` (8.2+); `kex: server->client C M Z`
 * (≤7.2) / `kex: server->client cipher: C MAC: M compression: Z`; `(yes/no)? ` (≤7.x) /
 * `(yes/no/[fingerprint])? ` (8.0+); `ECDSA host key for H has changed …` (7.x) / `Host key for H has
 * changed …` (8.x+); `(user@host) Password: ` keyboard-interactive prompts (8.4+); 10.1's post-quantum
 * warning (`** WARNING: connection is not using a post-quantum key exchange algorithm.`).
 *
 * User names are typed by the person running ssh and may hold `@` or an address: in `U@H: Permission
 * denied` and `U@H's password: ` the host is what follows the LAST `@` (the server name as typed), so an
 * address typed as the user name never becomes `host`.
 *
 * Multi-line state (one parser per source): the REMOTE HOST IDENTIFICATION HAS CHANGED block is turned
 * into ONE hostkey.changed event carrying the new fingerprint, the known_hosts file and line and the
 * host, emitted when the block ends; the host-key situation (new / changed / revoked) is remembered for
 * the prompt and for `Host key verification failed.`; a partial line that is not a prompt waits for its
 * continuation.
 */
import type { EventDraft } from '../event.js';
import { ev, info, PROMPTS, type State } from './ssh-blocks.js';
import { sshCatalog } from './ssh-catalog.js';
import { DEBUG_ROWS } from './ssh-debug-table.js';
import { HOSTKEY_ROWS } from './ssh-hostkey-table.js';
import { CONNECTION_ROWS, SESSION_ROWS } from './ssh-table.js';
import { FormatTable, IgnoredTable, Table } from './table.js';
import type { LineParser, Message, ParserSpec } from './types.js';

const P = 'ssh' as const;

/** Lines at the default level (and `-v` lines without a debug prefix), in the order they are tried. */
const TABLE = new Table<State>('ssh', [...CONNECTION_ROWS, ...HOSTKEY_ROWS, ...SESSION_ROWS]);
/** Lines after `debugN: `. */
const DEBUG_TABLE = new Table<State>('ssh', DEBUG_ROWS);

/** The first row of the table that matches; a line that is not part of a block ends it (unless it opened a new one). */
function run(table: Table<State>, text: string, st: State): { drafts: EventDraft[]; inBlock: boolean } | undefined {
  const before = st.block;
  const hit = table.run(text, st);
  if (hit && !hit.inBlock && st.block === before) st.block = undefined;
  return hit;
}

/** The catalog's messages no pattern maps (docs/catalog/ssh.json, generated into data/ssh-catalog.json, read on the first line that needs them). */
const CATALOG_ERRORS = new FormatTable('ssh.error.catalog', () => sshCatalog().errors, (level, text) =>
  ev(level === 'fatal' ? 'error.fatal' : 'error.other', 'ssh.error.catalog', { detail: { message: text } }),
);
const IGNORED = new IgnoredTable('ssh', 'ssh.ignored', () => sshCatalog().ignored);

const DEBUG = /^debug([123]): /;
/** A line left waiting without a newline that asks something: ends in `?` or `:` (then maybe a space). */
const GENERIC_PROMPT = /^[^\n]{1,300}[?:] ?$/;
/** What a person types at the host-key question (echoed); passwords are not echoed. */
const ANSWER = /^(?:yes|no|y|n|SHA256:\S+)$/i;
const LEVEL = /^(?:error|fatal|verbose|info): /;

class SshParser implements LineParser {
  private readonly st: State = { block: undefined, keyState: undefined, changed: undefined, fingerprintOf: undefined, partialText: undefined, afterPrompt: false };

  parse(msg: Message): EventDraft[] {
    // CRs: ssh ends lines with "\r\n" (a pseudo-terminal makes that "\r\r\n"), and questions written
    // to the terminal start with "\r" to return to the first column.
    let text = msg.text.replace(/\r+$/, '');
    if (!msg.continuation) text = text.replace(/^\r+/, '');
    if (msg.continuation && this.st.partialText !== undefined) {
      text = this.st.partialText + text;
      this.st.partialText = undefined;
    }
    const afterPrompt = this.st.afterPrompt && msg.continuation === true;
    this.st.afterPrompt = false;
    if (afterPrompt && ANSWER.test(text.trim())) return [ev('prompt.answered', 'ssh.prompt.answer', { detail: { answer: text.trim() } })];
    // ssh's stdout is mostly the remote command's output; on a terminal of its own (connwatch wrap)
    // ssh's own messages may come the same way: what is ssh's is kept, the rest is remote output.
    if (msg.stream === 'stdout') return this.stdoutLine(text);
    // A partial line followed by a new line (not its continuation) was a line of its own.
    const pending = msg.continuation ? [] : this.takePartial();
    return pending.concat(this.prompt(text, msg));
  }

  private prompt(text: string, msg: Message): EventDraft[] {
    for (const p of PROMPTS) {
      const m = p.re.exec(text);
      if (!m) continue;
      const out = this.flush();
      out.push(p.make(m.groups ?? {}, m[0], this.st));
      this.st.block = undefined;
      const rest = text.slice(m[0].length);
      if (rest === '') {
        this.st.afterPrompt = msg.partial === true;
        return out;
      }
      if (ANSWER.test(rest.trim())) {
        out.push(ev('prompt.answered', 'ssh.prompt.answer', { detail: { answer: rest.trim() } }));
        return out;
      }
      return out.concat(this.line(rest));
    }
    if (msg.partial && !msg.continuation) {
      // a question no pattern knows, left waiting (a security key's PIN, a newer release): a prompt all the same
      if (GENERIC_PROMPT.test(text)) {
        this.st.afterPrompt = true;
        return [...this.flush(), ev('prompt.other', 'ssh.prompt.generic', { detail: { prompt: text.trimEnd() } })];
      }
      this.st.partialText = text;
      return [];
    }
    return this.line(text);
  }

  end(): EventDraft[] {
    return this.takePartial().concat(this.flush());
  }

  /** A stdout line: ssh's own message when a pattern knows it, else the remote command's output (noise). */
  private stdoutLine(text: string): EventDraft[] {
    const drafts = text === '' ? [] : this.line(text);
    // (a line that only looks like one of ssh's internal errors, by format, is the remote command's too)
    if (drafts.length === 0 || drafts.every((d) => d.kind === 'unknown' || d.kind === 'noise' || d.pattern === 'ssh.error.catalog')) return [{ kind: 'noise', program: P, detail: { what: 'remote-output' } }];
    return drafts;
  }

  /** A partial line still waiting for its continuation, parsed as a line of its own. */
  private takePartial(): EventDraft[] {
    const text = this.st.partialText;
    this.st.partialText = undefined;
    return text === undefined ? [] : this.line(text);
  }

  /** The held hostkey.changed event, if any: the block it belonged to is over. */
  private flush(): EventDraft[] {
    const held = this.st.changed;
    this.st.changed = undefined;
    return held ? [held] : [];
  }

  private line(raw: string): EventDraft[] {
    let text = raw;
    if (text === '') return [...this.flush(), ev('noise', 'ssh.blank')];
    const dbg = DEBUG.exec(text);
    if (dbg) {
      text = text.slice(dbg[0].length);
      const hit = run(DEBUG_TABLE, text, this.st);
      if (hit?.drafts.some((d) => d.kind === 'connect.start')) {
        // A new connection (logs appended run after run): forget the previous one's host-key situation.
        const held = this.flush();
        this.st.block = undefined;
        this.st.keyState = undefined;
        return held.concat(hit.drafts);
      }
      const drafts = hit ? hit.drafts : [dbg[1] === '1' ? info('ssh.debug.other', 'debug', { level: `debug${dbg[1]!}` }) : ev('noise', 'ssh.debug.other', { detail: { level: `debug${dbg[1]!}` } })];
      // Debug lines never end the changed-host-key block (ssh -v prints none inside it).
      return drafts;
    }
    const lv = LEVEL.exec(text);
    if (lv) text = text.slice(lv[0].length);
    const hit = run(TABLE, text, this.st);
    if (hit) {
      return (hit.inBlock ? [] : this.flush()).concat(hit.drafts);
    }
    if (this.st.block && text.length <= 200) return [info('ssh.block.text', `${this.st.block}-text`)];
    const known = CATALOG_ERRORS.match(text) ?? IGNORED.match(text);
    if (known) return [...this.flush(), known];
    return [...this.flush(), ev('unknown', 'ssh.unknown')];
  }
}

const PATTERN_IDS = [
  ...TABLE.ids,
  ...DEBUG_TABLE.ids,
  ...PROMPTS.map((p) => p.id),
  'ssh.prompt.answer',
  'ssh.prompt.generic',
  'ssh.debug.other',
  'ssh.block.text',
  'ssh.blank',
  'ssh.error.catalog',
  'ssh.ignored',
  'ssh.unknown',
];

const SNIFF_SURE =
  /^(?:OpenSSH_\S+(?: [^,]*)?, (?:OpenSSL|LibreSSL|BoringSSL|without OpenSSL)|debug1: (?:Reading configuration data |Connecting to \S+ \[[^\]]*\] port \d+\.$|Local version string SSH-|Authenticating to \S+:\d+ as )|ssh: (?:connect to host \S+ port \S+: |Could not resolve hostname )|Unable to negotiate with \S+ port \d+: .*Their offer: .*[^\]]$)/;
const SNIFF_LIKELY =
  /^(?:The authenticity of host '|Host key verification failed\.$|@\s+WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!|.+@[^@\s]+: Permission denied \(|Warning: Permanently added '|Are you sure you want to continue connecting \(yes\/no|(?:kex|ssh)_exchange_identification: |Authenticated to \S+ \(\[)/;

export const ssh: ParserSpec = {
  program: 'ssh',
  understands:
    'OpenSSH ssh client 7.x–10.x: stderr at the default level and with -v/-vv/-vvv, -E log files, -y syslog (ident ssh), connwatch wrap captures with the terminal prompts',
  idents: ['ssh'],
  patterns: PATTERN_IDS,
  sniff(text: string): number {
    const t = text.replace(/\r$/, '');
    if (SNIFF_SURE.test(t)) return 1;
    if (SNIFF_LIKELY.test(t)) return 0.95;
    return 0;
  },
  create(): LineParser {
    return new SshParser();
  },
};

/**
 * OpenSSH sshd, sshd-session (9.8+) and sshd-auth (10.x), releases 6.7 to 10.x.
 *
 * Envelopes (taken off by the router before this parser runs, agent/envelopes/syslog.ts): syslog files
 * (RFC 3339, RFC 3164, RFC 5424, Solaris, see there), journal JSON (identifiers `sshd`, `sshd-session`, `sshd-auth`), and bare
 * `sshd -e` / `-E file` lines (no timestamp, host or pid; CRLF endings).
 *
 * What this parser takes off the message itself, outside in (shared reference signatures.md, B.1):
 *   - rsyslog's `message repeated N times: [ … ]` wrapper (detail.repeated);
 *   - the ` [preauth]` / ` [postauth]` suffix of lines relayed by the monitor (detail.preauth / postauth);
 *   - a program prefix `sshd-session: ` / `sshd-auth: ` / `sshd: ` (stderr logging with progname, 9.8+);
 *   - the level prefix `error: `, `fatal: `, `debug1: `…`debug3: ` (detail.level); 6.9's `Hm, ` is in the patterns.
 *
 * Field names are the shared ones: `host` and `port` are the CLIENT's address and port (the far
 * end for sshd), `user` the user name as sshd logged it. User names are attacker-controlled and may
 * hold spaces, `from`, or an address, so every pattern anchors the address from the right (`from ADDR
 * port N` at the end of the line) and takes the user name greedily: an address typed as a user name
 * never becomes `host`.
 *
 * Wording by era is handled in the patterns: `Invalid user U from A` (≤7.3) / `… port N` (≥7.4);
 * `Connection closed by A port N` (≤7.4) / with `authenticating user U ` or `invalid user U ` (≥7.5);
 * `fatal: Unable to negotiate …` (≤7.3) / no prefix (≥7.4); `Hm, kex protocol error` (6.9) /
 * `kex protocol error` (7.0–9.5) / `kex_protocol_error:` (≥9.6); `Timeout before authentication for A`
 * (≤7.3) / `… port N` (7.4–9.7) / `… for connection from A to B, pid = N` (≥9.8); `drop connection #N
 * … past MaxStartups` (7.4+) and PerSourcePenalties `… penalty: REASON` (9.8+); `userauth_pubkey: key
 * type T not in PubkeyAcceptedKeyTypes` (≤8.4) / `… PubkeyAcceptedAlgorithms` (8.5–8.9) / `signature
 * algorithm T not in PubkeyAcceptedAlgorithms` (≥9.0); PAM module lines (`pam_unix(sshd:auth)`, …).
 * `error:`/`fatal:`/`WARNING:` lines no pattern knows still map to error.other / error.fatal, and
 * debug lines no pattern knows to noise, so only truly foreign text is `unknown`.
 */
import type { EventDraft } from '../event.js';
import { OPENSSH_LEVEL, opensshAlgClass } from './openssh-common.js';
import { AUTH_ROWS, PAM_ROWS, SESSION_ROWS } from './sshd-auth-table.js';
import { ev, evd, type Ctx } from './sshd-blocks.js';
import { CONNECTION_ROWS, DAEMON_ROWS, KEX_ROWS } from './sshd-conn-table.js';
import { SSHD_IGNORED } from './sshd-ignored.js';
import { TABLE_ROWS } from './sshd-table.js';
import { IgnoredTable, Table, type Row } from './table.js';
import type { LineParser, Message, ParserSpec } from './types.js';

export { opensshAlgClass };

/**
 * The table, in the order the rows are tried (dispatch.ts tries a line only against the rows it
 * can start with, still in this order): the daemon, connections and version exchange, key
 * exchange (sshd-conn-table.ts), authentication, PAM and sessions (sshd-auth-table.ts), then
 * the rows the source catalog added (sshd-table.ts).
 */
export const PATTERNS: ReadonlyArray<Row<Ctx>> = [...DAEMON_ROWS, ...CONNECTION_ROWS, ...KEX_ROWS, ...AUTH_ROWS, ...PAM_ROWS, ...SESSION_ROWS];

/** Fallbacks by level prefix, tried after every pattern. */
const FALLBACK = {
  fatal: 'sshd.err.fatal',
  error: 'sshd.err.error',
  warning: 'sshd.err.warning',
  debug: 'sshd.debug',
  unknown: 'sshd.unknown',
} as const;

const TABLE = new Table<Ctx>('sshd', [...PATTERNS, ...TABLE_ROWS]);
/** Messages the source catalog puts in a named `ignored` class (docs/catalog/sshd.json). */
const IGNORED = new IgnoredTable('sshd', 'sshd.ignored', SSHD_IGNORED);

const REPEATED = /^message repeated (?<times>\d+) times: \[ ?(?<message>.*?) ?\]$/;
const PROGNAME = /^sshd(?:-session|-auth)?: /;
const LEVEL = OPENSSH_LEVEL;
const WARNING = /^WARNING: (?<message>.*)$/;

class SshdParser implements LineParser {
  /** Reset for every line; makers read it while the line is parsed and never keep it. */
  private readonly ctx: Ctx = { level: undefined, preauth: false };

  parse(msg: Message): EventDraft[] {
    let text = msg.text.endsWith('\r') ? msg.text.slice(0, -1) : msg.text;
    // what the wrappers said, written into the detail at the end (most lines have none)
    let repeated: number | undefined;
    const rep = text.startsWith('message repeated ') ? REPEATED.exec(text) : null;
    if (rep) {
      repeated = Number(rep.groups!.times);
      text = rep.groups!.message!;
    }
    const ctx = this.ctx;
    ctx.level = undefined;
    ctx.preauth = false;
    // ` [preauth]` / ` [postauth]` at the very end (what / \[(preauth|postauth)\]$/ finds)
    let monitor: 'preauth' | 'postauth' | undefined;
    if (text.endsWith(' [preauth]')) {
      monitor = 'preauth';
      ctx.preauth = true;
      text = text.slice(0, -10);
    } else if (text.endsWith(' [postauth]')) {
      monitor = 'postauth';
      text = text.slice(0, -11);
    }
    if (text.startsWith('sshd')) {
      const prog = PROGNAME.exec(text);
      if (prog) text = text.slice(prog[0].length);
    }
    const c0 = text.charCodeAt(0);
    const lv = c0 === 0x65 || c0 === 0x66 || c0 === 0x64 ? LEVEL.exec(text) : null; // e f d
    if (lv) {
      ctx.level = lv[0].slice(0, -2); // the level, without its `: `
      text = text.slice(lv[0].length);
    }
    // the ignored messages are all INFO or VERBOSE: lines with a level prefix never match them
    let d = TABLE.match(text, ctx) ?? (ctx.level === undefined ? IGNORED.match(text) : undefined);
    if (!d) {
      const warning = text.startsWith('WARNING: ') ? WARNING.exec(text) : null;
      if (ctx.level === 'fatal') d = evd('error.fatal', FALLBACK.fatal, { message: text });
      else if (ctx.level === 'error') d = evd('error.other', FALLBACK.error, { message: text });
      else if (warning) d = evd('error.other', FALLBACK.warning, { message: warning.groups!.message! });
      else if (ctx.level?.startsWith('debug')) d = evd('noise', FALLBACK.debug, { message: text });
      else d = ev('unknown', FALLBACK.unknown);
    }
    if (repeated !== undefined || monitor !== undefined || ctx.level !== undefined) {
      // as `{ ...d.detail, ...wrappers }` would: a key already there keeps its place, new ones go last
      const detail = (d.detail ??= {});
      if (repeated !== undefined) detail.repeated = repeated;
      if (monitor !== undefined) detail[monitor] = true;
      if (ctx.level !== undefined) detail.level = ctx.level;
    }
    return [d];
  }

  end(): EventDraft[] {
    return [];
  }
}

const SNIFF =
  /^(?:(?:error|fatal): )?(?:Accepted \S+ for .* from \S+ port \d+|Failed \S+ for .* from \S+ port \d+|Server listening on \S+ port \d+|Invalid user .* from \S+|Connection (?:closed|reset) by .*\S+ port \d+|Connection from \S+ port \d+ on |Unable to negotiate with \S+ port \d+|(?:Hm, )?kex[ _]protocol[ _]error: |Received disconnect from \S+ port \d+|Disconnected from .*\S+ port \d+|Received signal \d+; terminating\.|pam_\w+\(sshd:\w+\): |Timeout before authentication for |drop connection #\d+ from \[)/;

export const sshd: ParserSpec = {
  program: 'sshd',
  understands:
    'OpenSSH sshd / sshd-session / sshd-auth 6.7–10.x at LogLevel INFO and VERBOSE (debug lines tolerated): syslog (RFC 3339 with T or space, RFC 3164 with or without hostname or priority, RFC 5424, Solaris message ids, bracketed tags), journal JSON, bare -e/-E lines, PAM module lines',
  idents: ['sshd', 'sshd-session', 'sshd-auth'],
  patterns: [...TABLE.ids, 'sshd.ignored', ...Object.values(FALLBACK)],
  sniff(text: string): number {
    const t = text.replace(/\r$/, '').replace(PROGNAME, '');
    return SNIFF.test(t) ? 0.95 : 0;
  },
  stateless: true,
  create(): LineParser {
    return new SshdParser();
  },
};

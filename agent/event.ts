/**
 * The one Event type every parser produces, and its kind vocabulary.
 *
 * Kinds are declared once in EVENT_KINDS (kind -> one-line meaning) and the EventKind type is
 * derived from it, so a parser or rule that names a kind which does not exist does not compile
 * (parsers) or does not validate (rule files). docs/events.md documents each kind with real lines.
 */

import type { KnownProgram } from './programs.js';

/**
 * Programs connwatch understands: the keys of the program registry (agent/programs.ts, whose
 * PROGRAMS lists them at run time); 'other' is a program sharing a log (CRON in auth.log),
 * 'connwatch' the agent itself.
 */
export type Program = KnownProgram | 'other' | 'connwatch';

export const EVENT_KINDS = {
  // connection lifecycle (clients; sshd sees the same from the other side)
  'connect.lookup': 'the client looks up the host name it was given',
  'connect.start': 'a connection attempt starts (TCP connect; sshd: a client connected)',
  'connect.established': 'the transport is up (TCP connected, or RDP transport/security layer up)',
  'connect.failed': 'the connection could not be made: refused, timed out, unreachable, unknown host, reset (detail.reason)',
  'connect.aborted': 'the client gave up on purpose: batch mode, a user answer, a closed stdin (detail.reason)',
  'version.local': 'the protocol version string this side claims (detail.version)',
  'version.remote': 'the protocol version string of the far end (detail.version)',
  'version.failed': 'the version/identification exchange failed (bad banner, none received)',
  // negotiation
  'kex.start': 'key exchange begins (detail.method)',
  'kex.method': 'a key-exchange step or method is reported (detail.method, detail.hash)',
  'kex.done': 'key exchange finished: ciphers and MACs initialised (detail.cipher, detail.mac, detail.direction)',
  'kex.failed': 'negotiation failed (detail.reason: no-common-algorithm, group-packet-missing, protocol-error, gex-range, ...; detail.algClass, detail.offer)',
  'crypto.weak': 'a weak or deprecated algorithm will be used or was refused (detail.algClass, detail.algorithm)',
  // host keys and certificates
  'hostkey.fingerprint': 'the far end host key fingerprint (detail.fingerprint, detail.keyType)',
  'hostkey.unknown': 'the host key is not in the cache (first connection)',
  'hostkey.changed': 'the host key differs from the cached one (possible attack, or a reinstalled server)',
  'hostkey.other-types': 'the server also offers host key types the client does not know',
  'cert.untrusted': 'a TLS certificate could not be verified (detail.reason)',
  'cert.changed': 'a TLS certificate differs from the one stored for this host',
  // waiting for a person
  'prompt.hostkey': 'the client waits for an answer about a host key (store / update / continue)',
  'prompt.weakcrypto': 'the client waits for an answer about a weak algorithm',
  'prompt.certificate': 'the client waits for an answer about a TLS certificate',
  'prompt.username': 'the client waits for a user name',
  'prompt.password': 'the client waits for a password',
  'prompt.passphrase': 'the client waits for a key passphrase',
  'prompt.other': 'the client waits for some other answer (detail.prompt)',
  'prompt.answered': 'an answer was given after a prompt: typed text reached the log (detail.answer), or the wrapper passed input to the client (detail.bytes, detail.to)',
  'input.waiting': 'the wrapped client blocks reading: its terminal or stdin (waits for an answer), its socket (connected, waits for the server) or nothing (detail.on: tty, stdin, socket, other, none; detail.fd)',
  // authentication
  'auth.username': 'the user name in use is reported',
  'auth.attempt': 'an authentication method is tried (detail.method)',
  'auth.success': 'authentication succeeded (detail.method)',
  'auth.failed': 'authentication failed (detail.method, detail.reason)',
  'auth.invalid-user': 'the server has no such user',
  'auth.no-methods': 'no authentication method is left or acceptable',
  // security layers of RDP
  'nla.failed': 'NLA/CredSSP failed (detail.reason)',
  'tls.failed': 'the TLS layer failed (detail.reason)',
  'nego.failed': 'RDP security negotiation failed (detail.reason, e.g. HYBRID_REQUIRED_BY_SERVER)',
  // sessions
  'session.started': 'the session is up (shell/command started, RDP session connected)',
  'session.ended': 'the session ended normally (detail.exitStatus)',
  'session.disconnected': 'the far end or the network ended the connection (detail.reason)',
  // server-side specifics
  'server.listening': 'the server listens (detail.address, port)',
  'server.stopped': 'the server stopped (detail.reason)',
  'server.dropped': 'the server refused a connection before authentication: MaxStartups, PerSourcePenalties (detail.reason)',
  'server.timeout': 'the server timed a client out before authentication (LoginGraceTime)',
  // errors that fit no narrower kind
  'error.fatal': 'a fatal error ended the program (detail.message)',
  'error.other': 'an error or warning that fits no narrower kind (detail.message)',
  // packages and processes (stale-library checks)
  'pkg.run': 'a package run started or ended (detail.phase, detail.command)',
  'pkg.change': 'a package was installed, upgraded, removed or configured (detail.action, detail.package, detail.oldVersion, detail.newVersion)',
  'pkg.status': 'a package changed state (detail.state, detail.package, detail.version)',
  'process.stale': 'a running client maps a file replaced on disk (detail.file, detail.package)',
  'process.start': 'a captured client was started (detail.command)',
  'process.exit': 'a captured client exited (detail.code, detail.signal)',
  // understood but not diagnostic
  'info': 'an informational line understood but of no diagnostic weight (detail.what)',
  'noise': 'a line deliberately ignored: packet dumps, log headers, other programs sharing the log',
  'unknown': 'a line no parser understood; counted and reported',
} as const;

export type EventKind = keyof typeof EVENT_KINDS;

export function isEventKind(s: string): s is EventKind {
  return Object.prototype.hasOwnProperty.call(EVENT_KINDS, s);
}

/** Values allowed in detail: flat, JSON-safe, easy to match in rules. */
export type DetailValue = string | number | boolean;
export type Detail = Record<string, DetailValue>;

/** Where the raw line came from. */
export interface Origin {
  /** Source id, e.g. "file:/var/log/auth.log", "journal:system", "wrap:/…/capture.jsonl", "replay:FILE". */
  source: string;
  /** Path of the file, when the line came from one. */
  file?: string;
  /** 1-based line number within the file as read by this source (replay), when known. */
  line?: number;
  /** Byte offset of the line's start, when known. */
  offset?: number;
  /** Journal cursor, when the line came from the journal. */
  cursor?: string;
}

/** The facts the correlator attaches: what is known about the connection this event belongs to. */
export interface ConnectionFacts {
  id: string;
  /** Phase reached before this event: started, kex, hostkey, auth, session, closed, failed. */
  phase: string;
  startedAt: number;
  host?: string;
  port?: number;
  user?: string;
  clientVersion?: string;
  serverVersion?: string;
  /** Events seen so far in this connection, this one included. */
  events: number;
  /** Set when the client process of this connection maps a file replaced on disk (a process.stale finding). */
  stale?: string;
  /** The host as the person gave it (command line, `Looking up host`), when known. */
  target?: string;
  /** The address the client connected to, when it names one (`Connecting to ADDR port N`). */
  address?: string;
  /** The far end from the person's view: `vm1 (192.0.2.7) port 2201`; the port only when it is not 22; undefined when nothing is known. */
  where?: string;
  /** The client's command line as run (the wrapper masks secrets), when captured. */
  command?: string;
  /** The kind of the prompt the client last showed, while nothing shows it was answered or passed. */
  prompt?: string;
  /** On a server event: the id of the client connection it was joined to (the same attempt seen from the client). */
  peer?: string;
  /** Bytes the wrapper passed to the client so far (its `input` records), when any. */
  input?: number;
}

export interface Event {
  /** Milliseconds since the epoch, UTC. */
  time: number;
  /** line: the line had a timestamp; carried: from the last line that had one; arrival: when it was read. */
  timeFrom: 'line' | 'carried' | 'arrival';
  program: Program;
  kind: EventKind;
  pid?: number;
  /** The far end: the server a client connects to; for sshd, the client's address. Never a user-typed value. */
  host?: string;
  /** The far end's port. */
  port?: number;
  user?: string;
  detail: Detail;
  /** Id of the parser pattern that produced this event (for `rules test` and sample coverage). */
  pattern?: string;
  /** Set by the correlator. */
  connection?: ConnectionFacts;
  /**
   * The raw text (envelope included, line ending removed) and its origin; `message` is the
   * program's own text with the envelope (syslog header, capture record) taken off, the text to
   * quote to a person.
   */
  raw: { text: string; message?: string } & Origin;
}

/** What a parser returns: an event without the parts the pipeline fills in. */
export interface EventDraft {
  kind: EventKind;
  program: Program;
  /** Time from the line itself, when it carries one. */
  time?: number;
  pid?: number;
  host?: string;
  port?: number;
  user?: string;
  detail?: Detail;
  /** Id of the parser pattern that matched: every pattern id needs a sample (test/parsers/*.samples.log). */
  pattern?: string;
}

/** Severity of rules and alerts, lowest first. */
export const SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Alert categories: a fixed vocabulary, documented in docs/rules.md. */
export const CATEGORIES = {
  hang: 'a program waits for something that will not come (a prompt nobody sees, a silent peer)',
  negotiation: 'the two sides share no protocol version, key exchange, cipher, MAC or security layer',
  hostkey: 'a host key is unknown, changed or refused',
  auth: 'authentication failed or cannot start',
  network: 'the connection could not be made or was cut',
  certificate: 'a TLS certificate is untrusted, changed or waits for approval',
  stale: 'a running client uses a library or program replaced on disk',
  server: 'the server refused or dropped clients (limits, timeouts, configuration)',
  security: 'something that looks like an attack or a dangerous setting',
  other: 'anything else',
} as const;
export type Category = keyof typeof CATEGORIES;

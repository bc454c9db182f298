/**
 * Sessions: per-connection state. Every client or server event is given the facts of the
 * connection it belongs to (event.connection): an id, the phase reached before it, the host and
 * port the client connects to (a prompt line names neither, its connection does), the user, and
 * the version strings of both sides.
 *
 * Connections are keyed by program + source + pid (a wrap capture or journal has pids; a plain
 * stderr log of one plink has none, so the source is the connection). sshd without a pid (bare
 * `-e` lines) is keyed by the client's address and port. A new lookup/connect line on a key whose
 * connection got further than its start begins a new connection (logs appended run after run).
 * The table is bounded: the connections are kept in an exact least-recently-used list threaded
 * through them (a touch moves one node to the end); when the table grows past 1.1 ×
 * `maxConnections`, the oldest are forgotten down to `maxConnections` and their slots reused for
 * the next new connections (a replay of 270,000 connections allocates about 5,500). The periodic
 * sort-and-delete sweep this replaces forgot the same ones and cost 7% of a scanned server's
 * replay (docs/performance.md).
 *
 * The person's view: `target` is the host as typed (the wrapped command line, `Looking up host`),
 * `address` what the client connected to, `where` both with the port when it is not the client's
 * default (`vm1 (192.0.2.7) port 2201`), `command` the command line; rule texts use them.
 *
 * Prompts: `prompt` is the kind of the prompt the client showed last, until something shows it
 * was answered or passed (an answer, input passed by the wrapper, the client reading its socket,
 * authentication or key exchange going on). A server event that shows the attempt went on
 * (sshd's `Accepted …`, a session start) is joined to the client connection waiting at a prompt
 * for that server's address and port: the server event gets `connection.peer` (its id), which
 * closes the client's hang window (rules/runner.ts), and the client's prompt counts as passed.
 *
 * Hot path (every event of a replay goes through attach): facts objects always have every field
 * (undefined when unknown), so they keep one shape and the per-event snapshot is a plain literal.
 * An event nothing will look at (the pipeline's prefilter: no rule can match it, no window is
 * open, no one prints events) updates its connection but gets no snapshot: three in four events
 * of a server log (docs/performance.md).
 */
import type { ConnectionFacts, Event, EventKind } from '../event.js';
import { CLIENT_PROGRAMS, DEFAULT_PORTS, NOT_CONNECTIONS as NOT_CONNECTION_PROGRAMS } from '../programs.js';
import { ownCopy } from '../heap.js';
import { ConnTable, type Conn } from './conn-table.js';

const PHASE_OF: Partial<Record<EventKind, string>> = {
  'connect.lookup': 'start',
  'connect.start': 'start',
  'connect.established': 'connected',
  'version.local': 'version',
  'version.remote': 'version',
  'kex.start': 'kex',
  'kex.method': 'kex',
  'hostkey.fingerprint': 'hostkey',
  'hostkey.unknown': 'hostkey',
  'hostkey.changed': 'hostkey',
  'prompt.hostkey': 'hostkey',
  'prompt.weakcrypto': 'kex',
  'kex.done': 'auth',
  'auth.username': 'auth',
  'auth.attempt': 'auth',
  'prompt.password': 'auth',
  'prompt.passphrase': 'auth',
  'prompt.username': 'auth',
  'auth.success': 'authenticated',
  'session.started': 'session',
  'session.ended': 'closed',
  'session.disconnected': 'closed',
  'process.exit': 'closed',
  'connect.failed': 'failed',
  'connect.aborted': 'failed',
  'kex.failed': 'failed',
  'error.fatal': 'failed',
  'nla.failed': 'failed',
  'tls.failed': 'failed',
  'nego.failed': 'failed',
  'auth.no-methods': 'failed',
  'version.failed': 'failed',
};

/** Phases after which a new connect line means a new connection. */
const STARTED = new Set(['start']);
/** What a program's lines are to the table: none (no connection), a client's, sshd's; others (undefined) are tracked by program + source + pid. One lookup per event instead of a set per question. */
const NONE = 0;
const CLIENT = 1;
const SERVER = 2;
const ROLE = new Map<string, number>([...NOT_CONNECTION_PROGRAMS.map((p) => [p, NONE] as const), ...CLIENT_PROGRAMS.map((p) => [p, CLIENT] as const), ['sshd', SERVER]]);
/** The port a client uses when none is given: not named in `where`. */
const DEFAULT_PORT: Partial<Record<string, number>> = DEFAULT_PORTS;
/** Events that show a prompt was answered or passed (output the client goes on printing, e.g. the remote command's, is unknown to the parser). */
const PASSES_PROMPT = new Set<EventKind>(['prompt.answered', 'unknown', 'auth.success', 'auth.failed', 'auth.attempt', 'kex.done', 'session.started', 'session.ended']);
/** Server events that show an attempt went past its prompts. */
const SERVER_PROGRESS = new Set<EventKind>(['auth.success', 'session.started']);
const LOOPBACK = /^(?:127\.|::1$|localhost$)/;
/** Client connections waiting at a prompt that a server event may join; past this, the oldest are forgotten. */
const MAX_PROMPTING = 256;

/**
 * A string a connection keeps: its own copy, not a slice of the line it came from (a slice keeps
 * the whole line alive, and every young collection copied the lines of 5,000 connections).
 */
function kept(s: string, old: string | undefined): string {
  return s === old ? old : ownCopy(s);
}

/** `vm1 (192.0.2.7) port 2201`: the name as typed, the address when it differs, the port when not the default. */
function whereOf(f: Conn, program: string): string | undefined {
  const name = f.target ?? f.host ?? f.address;
  if (name === undefined) return undefined;
  const addr = f.address ?? f.host;
  let out = addr !== undefined && addr !== name ? `${name} (${addr})` : name;
  if (f.port !== undefined && f.port !== DEFAULT_PORT[program]) out += ` port ${f.port}`;
  return out;
}

/** The facts as they are now, for one event (the connection goes on changing). */
function snapshot(f: ConnectionFacts): ConnectionFacts {
  return {
    id: f.id,
    phase: f.phase,
    startedAt: f.startedAt,
    host: f.host,
    port: f.port,
    user: f.user,
    clientVersion: f.clientVersion,
    serverVersion: f.serverVersion,
    events: f.events,
    stale: f.stale,
    target: f.target,
    address: f.address,
    where: f.where,
    command: f.command,
    prompt: f.prompt,
    peer: f.peer,
    input: f.input,
  };
}

export class Sessions {
  private seq = 0;
  /** Connections by key, least recently used first. A client waiting at a prompt stays joinable by a server event when forgotten: its slot is not reused. */
  private readonly table: ConnTable;
  /** pid → what it still maps that was replaced (from process.stale), so failures can say so. */
  private readonly stalePids = new Map<number, string>();
  /** Client connections waiting at a prompt, oldest first (for joining server events). */
  private readonly prompting = new Set<Conn>();

  constructor(maxConnections = 5000) {
    this.table = new ConnTable(maxConnections, (c) => this.prompting.has(c));
  }

  /**
   * Updates the connection of the event and, unless `facts` is false (nothing will look at
   * them), attaches its facts to the event (mutates it: event.connection).
   */
  attach(e: Event, facts = true): void {
    // Unknown lines of a client still belong to its connection: output after a prompt means it is not stuck.
    const role = ROLE.get(e.program);
    if (role === NONE || e.kind === 'noise') return;
    if (role === SERVER && e.pid === undefined && e.host === undefined) return; // server-wide line
    if (e.kind === 'process.stale') {
      if (e.pid !== undefined) {
        const file = String(e.detail.fileName ?? e.detail.file ?? 'a library');
        const pkg = e.detail.package ? ` (replaced by the upgrade of ${String(e.detail.package)}${e.detail.replacedAt ? ` at ${String(e.detail.replacedAt)}` : ''})` : '';
        const hint = e.detail.remedy ? `: ${String(e.detail.remedy)}` : '';
        this.stalePids.set(e.pid, `This ${String(e.detail.programLabel ?? e.program)} process (pid ${e.pid}) still runs the old ${file}${pkg}, which may be the cause${hint}.`);
        if (this.stalePids.size > 1000) this.stalePids.delete(this.stalePids.keys().next().value!);
      }
      return;
    }
    if (e.kind === 'server.listening' || e.kind === 'server.stopped') return;
    const key = role === SERVER ? (e.pid ?? `sshd|${e.host}|${e.port ?? ''}`) : `${e.program}|${e.raw.source}|${e.pid ?? ''}`;
    let conn = this.table.touch(key);
    const startsNew = e.kind === 'connect.lookup' || e.kind === 'connect.start' || e.kind === 'process.start';
    if (conn && startsNew && !STARTED.has(conn.phase) && conn.events > 0) {
      // the old connection goes (it is no longer reachable by its key); its slot is not reused:
      // events and windows may still hold its facts' id
      this.table.drop(conn);
      conn = undefined;
    }
    const f = conn ?? this.table.add(key, `c${++this.seq}`, e.time);
    if (e.host !== undefined && (f.host === undefined || e.kind === 'connect.start')) f.host = kept(e.host, f.host);
    if (e.port !== undefined && (f.port === undefined || e.kind === 'connect.start')) f.port = e.port;
    if (e.user !== undefined) f.user = kept(e.user, f.user);
    const isClient = role === CLIENT;
    if (isClient) this.personView(f, e);
    else if (role === SERVER) this.serverView(f, e);
    if (e.kind === 'version.local' && typeof e.detail.version === 'string') f[isClient ? 'clientVersion' : 'serverVersion'] = kept(e.detail.version, undefined);
    if (e.kind === 'version.remote' && typeof e.detail.version === 'string') f[isClient ? 'serverVersion' : 'clientVersion'] = kept(e.detail.version, undefined);
    f.events++;
    const stale = e.pid !== undefined && this.stalePids.size > 0 ? this.stalePids.get(e.pid) : undefined;
    if (stale) f.stale = stale;
    // The event sees the facts as they are with it included; the phase is the one reached before it.
    if (facts) e.connection = snapshot(f);
    if (e.host === undefined && f.host !== undefined && isClient) e.host = f.host;
    if (e.port === undefined && f.port !== undefined && isClient) e.port = f.port;
    const phase = PHASE_OF[e.kind];
    if (phase && f.phase !== 'failed' && f.phase !== 'closed') f.phase = phase;
    else if (phase === 'failed' || phase === 'closed') f.phase = phase;
    if (isClient) this.promptState(f, e);
  }

  /** Host as typed, address, port and command line of a client connection. */
  private personView(f: Conn, e: Event): void {
    const k = e.kind;
    if (k === 'process.start') {
      if (typeof e.detail.command === 'string') f.command = e.detail.command;
      if (e.host !== undefined) f.target = e.host;
    } else if (k === 'connect.lookup') {
      if (e.host !== undefined && f.target === undefined) f.target = e.host;
    } else if (k === 'connect.start' || k === 'connect.established') {
      if (e.host !== undefined && (k === 'connect.start' || f.address === undefined)) f.address = e.host;
    }
    if (e.host !== undefined || e.port !== undefined) f.where = whereOf(f, e.program);
  }

  /** The prompt a client waits at, after this event. */
  private promptState(f: Conn, e: Event): void {
    const k = e.kind;
    if (k === 'prompt.answered' && typeof e.detail.bytes === 'number') f.input = (f.input ?? 0) + e.detail.bytes;
    if (k.startsWith('prompt.') && k !== 'prompt.answered') {
      f.prompt = k;
      this.prompting.delete(f);
      this.prompting.add(f);
      if (this.prompting.size > MAX_PROMPTING) this.prompting.delete(this.prompting.values().next().value!);
    } else if (f.prompt !== undefined && (PASSES_PROMPT.has(k) || (k === 'input.waiting' && e.detail.on === 'socket'))) {
      f.prompt = undefined;
      this.prompting.delete(f);
    }
  }

  /** sshd: where the client connected to; a sign of progress is joined to the client waiting at a prompt for it. */
  private serverView(f: Conn, e: Event): void {
    if (e.kind === 'connect.start' && typeof e.detail.local === 'string') {
      f.local = kept(e.detail.local, f.local);
      f.localPort = typeof e.detail.localPort === 'number' ? e.detail.localPort : undefined;
    }
    if (!SERVER_PROGRESS.has(e.kind) || f.local === undefined) return;
    const local = f.local;
    for (const c of this.prompting) {
      const addr = c.address ?? c.host;
      if (addr === undefined) continue;
      if (addr !== local && !(LOOPBACK.test(addr) && LOOPBACK.test(local))) continue;
      if (c.port !== undefined && f.localPort !== undefined && c.port !== f.localPort) continue;
      f.peer = c.id;
      c.prompt = undefined;
      this.prompting.delete(c);
      return;
    }
  }

  /** Connections neither closed nor failed, least recently used first, for the replay summary. */
  unfinished(): ConnectionFacts[] {
    const out: ConnectionFacts[] = [];
    for (let c = this.table.oldest; c; c = c.newer) if (c.phase !== 'closed' && c.phase !== 'failed') out.push(snapshot(c));
    return out;
  }
}

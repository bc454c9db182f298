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
 * The table is bounded: when it grows past 1.1 × `maxConnections`, one sweep forgets all but the
 * `maxConnections` most recently used (so a touch costs nothing: no reordering per event).
 *
 * Hot path (every event of a replay goes through attach): facts objects always have every field
 * (undefined when unknown), so they keep one shape and the per-event snapshot is a plain literal.
 */
import type { ConnectionFacts, Event, EventKind } from '../event.js';

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
const CLIENTS = new Set(['plink', 'ssh', 'rdesktop', 'freerdp', 'remmina']);
const NOT_CONNECTIONS = new Set(['dpkg', 'apt', 'other', 'connwatch']);

/** A connection: its facts and, in the same object (one memory access less per event), its last use. */
interface Conn extends ConnectionFacts {
  /** Order of last use, for the sweep. */
  used: number;
}

function newConn(id: string, startedAt: number): Conn {
  return { id, phase: 'start', startedAt, host: undefined, port: undefined, user: undefined, clientVersion: undefined, serverVersion: undefined, events: 0, stale: undefined, used: 0 };
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
  };
}

export class Sessions {
  /** Key: sshd's pid as a number (most events of a server log: no string to build), else a string. */
  private readonly byKey = new Map<string | number, Conn>();
  private seq = 0;
  private uses = 0;
  /** pid → what it still maps that was replaced (from process.stale), so failures can say so. */
  private readonly stalePids = new Map<number, string>();

  constructor(private readonly maxConnections = 5000) {}

  /** Attaches connection facts to the event (mutates it) and updates the connection. */
  attach(e: Event): void {
    // Unknown lines of a client still belong to its connection: output after a prompt means it is not stuck.
    if (NOT_CONNECTIONS.has(e.program) || e.kind === 'noise') return;
    if (e.program === 'sshd' && e.pid === undefined && e.host === undefined) return; // server-wide line
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
    const key = this.keyOf(e);
    let conn = this.byKey.get(key);
    const startsNew = e.kind === 'connect.lookup' || e.kind === 'connect.start' || e.kind === 'process.start';
    if (conn && startsNew && !STARTED.has(conn.phase) && conn.events > 0) conn = undefined;
    if (!conn) {
      conn = newConn(`c${++this.seq}`, e.time);
      this.byKey.delete(key);
      this.byKey.set(key, conn);
    }
    conn.used = ++this.uses;
    if (this.byKey.size > this.maxConnections * 1.1) this.sweep();
    const f = conn;
    if (e.host !== undefined && (f.host === undefined || e.kind === 'connect.start')) f.host = e.host;
    if (e.port !== undefined && (f.port === undefined || e.kind === 'connect.start')) f.port = e.port;
    if (e.user !== undefined) f.user = e.user;
    const isClient = CLIENTS.has(e.program);
    if (e.kind === 'version.local' && typeof e.detail.version === 'string') f[isClient ? 'clientVersion' : 'serverVersion'] = e.detail.version;
    if (e.kind === 'version.remote' && typeof e.detail.version === 'string') f[isClient ? 'serverVersion' : 'clientVersion'] = e.detail.version;
    f.events++;
    const stale = e.pid !== undefined ? this.stalePids.get(e.pid) : undefined;
    if (stale) f.stale = stale;
    // The event sees the facts as they are with it included; the phase is the one reached before it.
    e.connection = snapshot(f);
    if (e.host === undefined && f.host !== undefined && isClient) e.host = f.host;
    if (e.port === undefined && f.port !== undefined && isClient) e.port = f.port;
    const phase = PHASE_OF[e.kind];
    if (phase && f.phase !== 'failed' && f.phase !== 'closed') f.phase = phase;
    else if (phase === 'failed' || phase === 'closed') f.phase = phase;
  }

  /** Forgets all but the maxConnections most recently used. */
  private sweep(): void {
    const uses = new Float64Array(this.byKey.size);
    let i = 0;
    for (const c of this.byKey.values()) uses[i++] = c.used;
    uses.sort(); // numeric: a typed array needs no comparator
    const below = uses[this.byKey.size - this.maxConnections]!;
    for (const [k, c] of this.byKey) if (c.used < below) this.byKey.delete(k);
  }

  /** Connections neither closed nor failed, for the replay summary. */
  unfinished(): ConnectionFacts[] {
    return [...this.byKey.values()]
      .sort((a, b) => a.used - b.used)
      .filter((c) => c.phase !== 'closed' && c.phase !== 'failed')
      .map(snapshot);
  }

  private keyOf(e: Event): string | number {
    if (e.program === 'sshd') return e.pid !== undefined ? e.pid : `sshd|${e.host}|${e.port ?? ''}`;
    return `${e.program}|${e.raw.source}|${e.pid ?? ''}`;
  }
}

/**
 * The connection table under Sessions: connections by key, in an exact least-recently-used list
 * threaded through them (a touch moves one node to the end). When the table grows past 1.1 ×
 * `max`, the oldest are forgotten down to `max` and their slots reused for the next new
 * connections (a replay of 270,000 connections allocates about 5,500). The periodic
 * sort-and-delete sweep this replaced forgot the same ones and cost 7% of a scanned server's
 * replay (docs/performance.md). What a connection knows, and how an event changes it, is
 * sessions.ts's business; this file only keeps them.
 */
import type { ConnectionFacts } from '../event.js';

/** A connection: its facts and, in the same object (one memory access less per event), its place in the use order. */
export interface Conn extends ConnectionFacts {
  /** Its key in the table. */
  key: string | number;
  /** Neighbours in the use order (older, newer). */
  older: Conn | undefined;
  newer: Conn | undefined;
  /** sshd: the address and port the client connected to (`Connection from … on ADDR port N`). */
  local: string | undefined;
  localPort: number | undefined;
}

function newConn(id: string, startedAt: number, key: string | number): Conn {
  return {
    id, phase: 'start', startedAt, host: undefined, port: undefined, user: undefined, clientVersion: undefined, serverVersion: undefined, events: 0, stale: undefined,
    target: undefined, address: undefined, where: undefined, command: undefined, prompt: undefined, peer: undefined, input: undefined,
    key, older: undefined, newer: undefined, local: undefined, localPort: undefined,
  };
}

/** A forgotten connection's slot made new (every field, in the order newConn gives them: one shape). */
function reuse(c: Conn, id: string, startedAt: number, key: string | number): Conn {
  c.id = id; c.phase = 'start'; c.startedAt = startedAt; c.host = undefined; c.port = undefined; c.user = undefined; c.clientVersion = undefined; c.serverVersion = undefined;
  c.events = 0; c.stale = undefined; c.target = undefined; c.address = undefined; c.where = undefined; c.command = undefined; c.prompt = undefined; c.peer = undefined;
  c.input = undefined; c.key = key; c.older = undefined; c.newer = undefined; c.local = undefined; c.localPort = undefined;
  return c;
}

export class ConnTable {
  /** Key: sshd's pid as a number (most events of a server log: no string to build), else a string. */
  private readonly byKey = new Map<string | number, Conn>();
  /** The use order: oldest (read it from here along `newer`, least recently used first) and newest. */
  oldest: Conn | undefined;
  private newest: Conn | undefined;
  /** Slots of forgotten connections, for the next new ones. */
  private readonly spare: Conn[] = [];

  /** `pinned`: a forgotten connection some other state still holds (its slot is not reused). */
  constructor(
    private readonly max: number,
    private readonly pinned: (c: Conn) => boolean,
  ) {}

  /** The connection under `key`, made the most recently used. */
  touch(key: string | number): Conn | undefined {
    const c = this.byKey.get(key);
    if (c && c !== this.newest) {
      this.unlink(c);
      this.append(c);
    }
    return c;
  }

  /** A new connection under `key`, the newest in use order; past 1.1 × the bound, the oldest are forgotten. */
  add(key: string | number, id: string, time: number): Conn {
    const spare = this.spare.pop();
    const c = spare ? reuse(spare, id, time, key) : newConn(id, time, key);
    this.byKey.set(key, c);
    this.append(c);
    if (this.byKey.size > this.max * 1.1) {
      while (this.byKey.size > this.max && this.oldest) {
        const old = this.oldest;
        this.unlink(old);
        this.byKey.delete(old.key);
        if (!this.pinned(old)) this.spare.push(old);
      }
    }
    return c;
  }

  /**
   * Takes `c` out of the table without reusing its slot (a new connection replaces it under its
   * key: events and windows may still hold its id).
   */
  drop(c: Conn): void {
    this.unlink(c);
    this.byKey.delete(c.key);
  }

  private unlink(c: Conn): void {
    if (c.older) c.older.newer = c.newer;
    else this.oldest = c.newer;
    if (c.newer) c.newer.older = c.older;
    else this.newest = c.older;
    c.older = c.newer = undefined;
  }

  private append(c: Conn): void {
    c.older = this.newest;
    c.newer = undefined;
    if (this.newest) this.newest.newer = c;
    else this.oldest = c;
    this.newest = c;
  }
}

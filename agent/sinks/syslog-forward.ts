/**
 * syslog+tcp:// and syslog+tls://: fleet records as RFC 5424 messages with octet-counting framing
 * (RFC 6587 §3.4.1, RFC 5425 for TLS), the rule and outcome in STRUCTURED-DATA, so rsyslog
 * (mmpstrucdata), syslog-ng and Vector's syslog source take them apart without parsing text:
 *
 *   <PRI>1 TIMESTAMP HOSTNAME connwatch PROCID MSGID [connwatch@32473 rule="…" outcome="failure" …] BOM MSG
 *
 * MSGID is the action (alert.raised, alert.updated, heartbeat). 32473 is the example enterprise
 * number of RFC 5612 (connwatch has no PEN of its own); SD-PARAM values escape `"`, `\` and `]`.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { FleetRecord } from './ecs.js';
import type { SendOutcome, Transport } from './forward.js';

export const SD_ID = 'connwatch@32473';

const FACILITIES: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

export function facilityCode(name: string): number | undefined {
  return FACILITIES[name];
}

/** An SD-PARAM value: `"`, `\` and `]` escaped (RFC 5424 §6.3.3); control characters become spaces. */
export function sdEscape(v: string): string {
  return v.replace(/[\\"\]]/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f]/g, ' ');
}

/** A header field: printable US-ASCII without spaces, at most `max` characters, "-" when empty. */
function header(v: string | undefined, max: number): string {
  const s = (v ?? '').replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return s || '-';
}

/** The structured data: what a receiver needs to route and alert without reading the text. */
export function structuredData(rec: FleetRecord): string {
  const p: Array<[string, string | number | undefined]> = [
    ['kind', rec.event.kind],
    ['action', rec.event.action],
    ['id', rec.event.id],
    ['seq', rec.event.sequence],
    ['rule', rec.rule?.id],
    ['outcome', rec.event.outcome],
    ['severity', rec.log.level],
    ['category', rec.rule?.category],
    ['program', rec.process?.name],
    ['count', rec.connwatch.count],
    ['host', rec.destination?.address ?? rec.source?.address],
    ['port', rec.destination?.port ?? rec.source?.port],
    ['user', rec.user?.name],
    ['agent', rec.agent.ephemeral_id],
  ];
  const params = p.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}="${sdEscape(String(v))}"`);
  let sd = `[${SD_ID} ${params.join(' ')}]`;
  const remedy = rec.connwatch.remedy;
  if (remedy) sd += `[remedy@32473 text="${sdEscape(remedy)}"]`;
  const ev = rec.connwatch.evidence ?? [];
  if (ev.length) sd += `[evidence@32473 ${ev.map((e, i) => `line${i}="${sdEscape(e.text)}"`).join(' ')}]`;
  return sd;
}

/** One RFC 5424 message, without framing. */
export function formatSyslog(rec: FleetRecord, facility = 1, pid = process.pid): string {
  const pri = facility * 8 + rec.event.severity;
  const title = rec.connwatch.title;
  const msg = title && !rec.message.startsWith(title) ? `${title}: ${rec.message}` : rec.message;
  return `<${pri}>1 ${rec['@timestamp']} ${header(rec.host.name, 255)} connwatch ${pid} ${header(rec.event.action, 32)} ${structuredData(rec)} \ufeff${msg.replace(/[\r\n]+/g, ' ')}`;
}

/** Octet-counting framing: "LEN SP MSG" with LEN in bytes. */
export function frame(msg: string): string {
  return `${Buffer.byteLength(msg)} ${msg}`;
}

export interface SyslogTarget {
  host: string;
  port: number;
  tls: boolean;
  facility: number;
  /** PEM file of the CA that signed the receiver's certificate (default: the system's). */
  caFile?: string;
  timeoutMs?: number;
}

export class SyslogTransport implements Transport {
  readonly batchMax = 200;
  private socket: Socket | undefined;
  private alive = false;

  constructor(private readonly t: SyslogTarget) {}

  async send(batch: FleetRecord[]): Promise<SendOutcome> {
    const payload = batch.map((r) => frame(formatSyslog(r, this.t.facility))).join('');
    try {
      const s = await this.connection();
      // a receiver that stops reading fills the socket buffers: give up on the connection
      // rather than wait for ever (a stop waits for the batch on its way)
      await new Promise<void>((resolve, reject) => {
        const ms = this.t.timeoutMs ?? 5000;
        const timer = setTimeout(() => reject(new Error(`the receiver took no data for ${ms}ms`)), ms);
        s.write(payload, (err) => {
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        });
      });
      if (!this.alive) throw new Error('the receiver closed the connection');
      return { ok: true };
    } catch (err) {
      this.drop();
      return { ok: false, retry: true, reason: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.end(() => resolve());
      setTimeout(() => {
        s.destroy();
        resolve();
      }, 1000).unref();
    });
  }

  /** The open connection, or a new one (a connection the receiver closed is never written to). */
  private connection(): Promise<Socket> {
    if (this.socket && this.alive) return Promise.resolve(this.socket);
    this.drop();
    const { host, port } = this.t;
    return new Promise<Socket>((resolve, reject) => {
      const s = this.t.tls
        ? tlsConnect({ host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host, ...(this.t.caFile ? { ca: readFileSync(this.t.caFile) } : {}) })
        : netConnect({ host, port });
      const timer = setTimeout(() => s.destroy(new Error(`no connection to ${host}:${port} within ${this.t.timeoutMs ?? 5000}ms`)), this.t.timeoutMs ?? 5000);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      s.once('error', fail);
      s.once(this.t.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        s.off('error', fail);
        this.socket = s;
        this.alive = true;
        s.setKeepAlive(true, 30_000);
        // the receiver going away (stopped, restarted) is seen here, before the next write
        const dead = () => {
          if (this.socket === s) this.alive = false;
        };
        s.on('end', dead);
        s.on('close', dead);
        s.on('error', dead);
        s.resume(); // a receiver never answers in syslog; anything it sends is read and ignored
        resolve(s);
      });
    });
  }

  private drop(): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.alive = false;
  }
}

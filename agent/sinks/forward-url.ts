/**
 * Forwarding URLs (`connwatch run --forward URL`, `"forward": [...]` in config.json):
 *
 *   syslog+tcp://HOST:PORT[?facility=local0]
 *   syslog+tls://HOST:PORT[?facility=local0&ca=/path/ca.pem]
 *   otlp+http://HOST:PORT/v1/logs        otlp+https://[USER:TOKEN@]HOST[:PORT]/v1/logs[?ca=/path/ca.pem]
 *
 * Each becomes a Forwarder with its own spool under STATE/forward/<hash of the URL>/.
 */
import { hash } from 'node:crypto';
import { join } from 'node:path';
import { ConnwatchError } from '../errors.js';
import { Forwarder, type ForwarderOptions } from './forward.js';
import { OtlpTransport } from './otlp-forward.js';
import { facilityCode, SyslogTransport } from './syslog-forward.js';

export type ForwardTarget =
  | { kind: 'syslog'; host: string; port: number; tls: boolean; facility: number; caFile?: string; display: string }
  | { kind: 'otlp'; url: URL; caFile?: string; display: string };

const EXAMPLES = 'syslog+tcp://HOST:PORT, syslog+tls://HOST:PORT, otlp+http://HOST:PORT/v1/logs or otlp+https://HOST:PORT/v1/logs';

function bad(url: string, why: string): never {
  throw new ConnwatchError('USAGE', `forward URL ${JSON.stringify(url)}: ${why}`, { hint: `Give one of ${EXAMPLES}.` });
}

/** The URL checked and taken apart; a bad one is a USAGE error naming what is wrong. */
export function parseForwardUrl(text: string): ForwardTarget {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    bad(text, 'is not a URL');
  }
  const display = redact(u);
  const known = u.protocol === 'otlp+https:' || u.protocol === 'otlp+http:' ? ['ca'] : ['facility', 'ca'];
  for (const k of u.searchParams.keys()) if (!known.includes(k)) bad(display, `"${k}" is not a known option; known: ${known.join(', ')}`);
  const caFile = u.searchParams.get('ca') ?? undefined;
  switch (u.protocol) {
    case 'syslog+tcp:':
    case 'syslog+tls:': {
      if (!u.hostname) bad(display, 'names no host');
      if (!u.port) bad(display, 'names no port (syslog over TCP has no fixed one: 514 and 6514 are usual)');
      const f = u.searchParams.get('facility') ?? 'user';
      const facility = facilityCode(f);
      if (facility === undefined) bad(display, `facility "${f}" is not a syslog facility (user, daemon, auth, authpriv, local0 … local7)`);
      if (u.pathname && u.pathname !== '/') bad(display, 'a syslog URL has no path');
      return { kind: 'syslog', host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port), tls: u.protocol === 'syslog+tls:', facility, ...(caFile ? { caFile } : {}), display };
    }
    case 'otlp+http:':
    case 'otlp+https:': {
      if (!u.hostname) bad(display, 'names no host');
      if (!u.pathname || u.pathname === '/') bad(display, 'needs the logs path, normally /v1/logs (Loki: /otlp/v1/logs)');
      const target = new URL(u.href.replace(/^otlp\+/, ''));
      target.searchParams.delete('ca');
      return { kind: 'otlp', url: target, ...(caFile ? { caFile } : {}), display };
    }
    default:
      bad(display, `scheme "${u.protocol.replace(/:$/, '')}" is not supported`);
  }
}

/** The URL with its password hidden: what logs and the heartbeat show. */
export function redact(u: URL): string {
  if (!u.password) return u.href;
  const c = new URL(u.href);
  c.password = '***';
  return c.href;
}

export interface ForwardSettings {
  stateDir: string;
  log?: ForwarderOptions['log'];
  memoryBytes?: number;
  diskBytes?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
}

export function createForwarder(url: string, s: ForwardSettings): Forwarder {
  const t = parseForwardUrl(url);
  const transport =
    t.kind === 'syslog'
      ? new SyslogTransport({ host: t.host, port: t.port, tls: t.tls, facility: t.facility, ...(t.caFile ? { caFile: t.caFile } : {}) })
      : new OtlpTransport({ url: t.url, ...(t.caFile ? { caFile: t.caFile } : {}) });
  const { stateDir, ...rest } = s;
  return new Forwarder({ name: t.display, transport, spoolDir: join(stateDir, 'forward', hash('sha256', url, 'hex').slice(0, 16)), ...rest });
}

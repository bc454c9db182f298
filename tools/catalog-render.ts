/**
 * Values for rendering a catalog entry's format string by the role of each conversion
 * (tools/catalog-openssh.ts roleOf), ordinary and hostile, and the level prefixes OpenSSH's log.c
 * writes on syslog. Shared by tools/catalog.ts and test/catalog/rendered.test.ts.
 */
import { render } from './catalog-c.js';

export interface Values {
  host: string;
  port: string;
  user: string;
}

export const ORDINARY: Values = { host: '203.0.113.7', port: '4242', user: 'alice' };

/** Hostile values: IPv6, user names with spaces, `from`, `port` and addresses in them. */
export const HOSTILE: Values[] = [
  { host: '2001:db8::7', port: '50022', user: 'root' },
  { host: 'fe80::1%eth0', port: '22', user: 'a b from 10.0.0.1 port 22' },
  { host: '198.51.100.9', port: '1', user: '10.9.9.9' },
  { host: '::1', port: '65535', user: 'from' },
];

export function valueFor(role: string, v: Values): string {
  if (role.startsWith('func:')) return role.slice(5);
  switch (role) {
    case 'remote-id':
      return `${v.host} port ${v.port}`;
    case 'host':
      return v.host;
    case 'port':
      return v.port;
    case 'user':
      return v.user;
    case 'method':
      return 'password';
    case 'fingerprint':
      return 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU';
    case 'keytype':
      return 'ssh-rsa';
    case 'ssh-err':
      return 'error in libcrypto';
    case 'strerror':
      return 'Connection reset by peer';
    case 'number':
      return '3';
    case 'direction':
      return 'from';
    case 'empty':
      return '';
    default:
      return 'something';
  }
}

/**
 * Formats whose conversions the roles cannot tell apart, with the values they print in the usual
 * case (auth.c's auth_log line; the negotiation failure that names what did not match).
 */
const USUAL: Record<string, (v: Values) => string[]> = {
  '%s %s%s%s for %s%.100s from %.200s port %d ssh2%s%s': (v) => ['Failed', 'password', '', '', 'invalid user ', v.user, v.host, v.port, '', ''],
  '%s %s%s%s for %s%.100s from %.200s port %d %s%s%s': (v) => ['Failed', 'password', '', '', 'invalid user ', v.user, v.host, v.port, 'ssh2', '', ''],
  'Unable to negotiate with %s: %s. Their offer: %s': (v) => [`${v.host} port ${v.port}`, 'no matching key exchange method found', 'diffie-hellman-group1-sha1'],
  'Unable to negotiate with %.200s port %d: %s. Their offer: %s': (v) => [v.host, v.port, 'no matching key exchange method found', 'diffie-hellman-group1-sha1'],
  'administratively prohibited connection for %s%s from %.128s port %d': (v) => ['invalid user ', v.user, v.host, v.port],
  'User %s %s %s is not a regular file': (v) => [v.user, 'authorized keys', '/home/alice/.ssh/authorized_keys'],
  'Timeout before authentication for %s, pid = %ld%s': (v) => [`connection from ${v.host} to 192.0.2.1`, '4711', ''],
};

export function renderEntry(format: string, roles: readonly string[], v: Values): string {
  const usual = USUAL[format];
  return render(format, usual ? usual(v) : roles.map((r) => valueFor(r, v)));
}

/** What OpenSSH's log.c puts before a message of each level. */
export const LEVEL_PREFIX: Record<string, string> = { FATAL: 'fatal: ', ERROR: 'error: ', DEBUG1: 'debug1: ', DEBUG2: 'debug2: ', DEBUG3: 'debug3: ' };

/**
 * sshd rows declared as a table (agent/parsers/table.ts): pattern id → expression with named
 * groups → kind and detail; `host`, `port` and `user` come from the groups of those names. These
 * are the messages the source catalog (docs/catalog/sshd.json) found that the older rows
 * (sshd-conn-table.ts, sshd-auth-table.ts) did not know; they are tried after those rows. User
 * names are attacker-controlled: every row anchors the address from the right.
 */
import type { Detail } from '../event.js';
import type { Ctx } from './sshd-blocks.js';
import type { Groups, Row } from './table.js';

export type { Ctx };

const keep = (g: Groups, names: readonly string[], detail: Detail): Detail => {
  for (const n of names) if (g[n] !== undefined) detail[n] = g[n]!;
  return detail;
};

export const TABLE_ROWS: ReadonlyArray<Row<Ctx>> = [
  // --- accounts and key files -----------------------------------------------------------
  { id: 'sshd.auth.expired', re: /^Account (?<user>.*) has expired$/, kind: 'auth.failed', detail: { reason: 'expired', what: 'account' } },
  {
    id: 'sshd.auth.expired',
    re: /^User (?<user>.*) password has expired \((?<why>[^()]*)\)$/,
    kind: 'auth.failed',
    detail: (g) => ({ reason: 'expired', what: 'password', message: g.why! }),
  },
  {
    id: 'sshd.auth.bad-owner',
    re: /^Authentication refused for (?<user>.*): bad owner or modes for (?<file>.*)$/,
    kind: 'auth.failed',
    detail: (g) => ({ reason: 'bad-modes', file: g.file! }),
  },
  {
    id: 'sshd.auth.keyfile',
    re: /^(?:Could not open user '(?<user>.*)' (?<what>[\w ]+) '(?<file>.*)': (?<message>[^:']*))$/,
    kind: 'auth.failed',
    detail: (g) => ({ reason: 'keyfile', what: g.what!, file: g.file!, message: g.message! }),
  },
  {
    id: 'sshd.auth.keyfile',
    re: /^User '(?<user>.*)' (?<what>[\w ]+) '(?<file>.*)' is not a regular file$/,
    kind: 'auth.failed',
    detail: (g) => ({ reason: 'keyfile', what: g.what!, file: g.file!, message: 'not a regular file' }),
  },
  {
    id: 'sshd.auth.keyfile',
    re: /^User (?<user>.*) (?<what>authorized (?:keys|principals)) (?<file>\/\S*) is not a regular file$/,
    kind: 'auth.failed',
    detail: (g) => ({ reason: 'keyfile', what: g.what!, file: g.file!, message: 'not a regular file' }),
  },
  {
    id: 'sshd.auth.key-accepted',
    re: /^Accepted certificate ID "(?<certId>.*)" \(serial (?<serial>\d+)\) signed by CA (?<keyType>\S+) (?<fingerprint>\S+) found at (?<file>.+)$/,
    kind: 'info',
    detail: (g) => ({ what: 'certificate-found', certId: g.certId!, serial: Number(g.serial), keyType: g.keyType!, fingerprint: g.fingerprint!, file: g.file! }),
  },
  {
    id: 'sshd.auth.key-accepted',
    re: /^Accepted (?:certificate ID "(?<certId>.*)" signed by (?<caType>\S+) CA (?<fingerprint>\S+)|(?<keyType>\S+) public key (?<key>\S+)) from (?<clientUser>.*)@(?<clientHost>\S+)$/,
    kind: 'info',
    detail: (g) => keep(g, ['certId', 'caType', 'fingerprint', 'keyType', 'key', 'clientUser', 'clientHost'], { what: 'hostbased-key-found' }),
  },
  {
    id: 'sshd.auth.key-accepted',
    re: /^Accepted certificate ID "(?<certId>.*)" signed by (?<keyType>\S+) CA (?<fingerprint>\S+) via (?<file>.+)$/,
    kind: 'info',
    detail: (g) => ({ what: 'certificate-found', certId: g.certId!, keyType: g.keyType!, fingerprint: g.fingerprint!, file: g.file! }),
  },
  {
    // 9.9+ RefuseConnection in a Match block
    id: 'sshd.auth.refused-connection',
    re: /^administratively prohibited connection for (?<invalid>invalid user )?(?<user>.*) from (?<host>\S+) port (?<port>\d+)$/,
    kind: 'auth.failed',
    detail: (g): Detail => (g.invalid ? { reason: 'refused-connection', invalidUser: true } : { reason: 'refused-connection' }),
  },
  // --- connections and the daemon -------------------------------------------------------
  {
    id: 'sshd.ident.scanned',
    re: /^(?:probed|scanned) from (?<host>\S+?)(?: port (?<port>\d+))? with (?<banner>.*)\. {2}Don't panic\.$/,
    kind: 'version.failed',
    detail: (g) => ({ reason: 'probe', banner: g.banner! }),
  },
  {
    // 9.2+ UnusedConnectionTimeout
    id: 'sshd.conn.inactive',
    re: /^terminating inactive connection from (?:(?<state>authenticating |invalid )?user (?<user>.*) )?(?<host>\S+) port (?<port>\d+)$/,
    kind: 'session.disconnected',
    detail: { reason: 'inactive' },
  },
  {
    // ≤7.1 wrote `to` on both sides
    id: 'sshd.conn.timed-out-old',
    re: /^Connection to (?<host>\S+?)(?: port (?<port>\d+))? timed out(?: while waiting to (?<waiting>read|write))?$/,
    kind: 'session.disconnected',
    detail: { reason: 'timeout' },
  },
  {
    id: 'sshd.session.subsystem-error',
    re: /^subsystem request for (?<subsystem>\S+) by user (?<user>.*) failed, (?<message>.*)$/,
    kind: 'error.other',
    detail: (g) => ({ reason: 'subsystem-failed', subsystem: g.subsystem!, message: g.message! }),
  },
  { id: 'sshd.server.no-hostkeys', re: /^(?:sshd: )?no hostkeys available -- exiting\.$/, kind: 'error.fatal', detail: { reason: 'no-hostkeys' } },
  {
    id: 'sshd.server.restart-failed',
    re: /^RESTART FAILED: av\[0\]='(?<binary>.*)', error: (?<message>.*)\.$/,
    kind: 'error.other',
    detail: (g) => ({ reason: 'restart-failed', binary: g.binary!, message: g.message! }),
  },
  // --- key exchange ---------------------------------------------------------------------
  {
    id: 'sshd.kex.dh-value',
    re: /^invalid public DH value(?:: (?<what>.*)| \((?<bits>\d+)\/(?<need>\d+)\))$/,
    kind: 'kex.failed',
    detail: { reason: 'protocol-error', algClass: 'kex', message: 'invalid public DH value' },
  },
  {
    // OpenSSL (libcrypto) of the running binary differs from the one it was built with (a half-done upgrade)
    id: 'sshd.server.openssl-mismatch',
    re: /^OpenSSL version mismatch\. Built against (?<built>\S+), you have (?<have>.*)$/,
    kind: 'error.fatal',
    detail: (g) => ({ reason: 'openssl-mismatch', built: g.built!, have: g.have! }),
  },
];

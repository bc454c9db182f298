/**
 * sshd rows of authentication, PAM modules, sessions and configuration, declared as a table
 * (agent/parsers/table.ts): pattern id → expression with named groups → kind and detail; `host`,
 * `port` and `user` come from the groups of those names (rows that choose between two forms
 * `build` their draft from the groups). sshd.ts puts the tables in order. User names are
 * attacker-controlled and may hold spaces, `from` or an address: every row anchors the address
 * from the right (`from ADDR port N` at the end) and takes the user name greedily.
 */
import type { Detail } from '../event.js';
import { ev, evd, info, keyInfo, PAM_PREFIX, pamModule, type Ctx } from './sshd-blocks.js';
import type { Row } from './table.js';

export const AUTH_ROWS: ReadonlyArray<Row<Ctx>> = [
  {
    id: 'sshd.auth.accepted',
    re: /^Accepted (?<method>\S+) for (?<user>.*) from (?<host>\S+) port (?<port>\d+)(?: ssh[12])?(?:: (?<key>.*))?$/,
    kind: 'auth.success',
    detail: (g) => keyInfo({ method: g.method! }, g.key),
  },
  {
    id: 'sshd.auth.failed',
    re: /^Failed (?<method>\S+) for (?<invalid>invalid user )?(?<user>.*) from (?<host>\S+) port (?<port>\d+)(?: ssh[12])?(?:: (?<key>.*))?$/,
    kind: 'auth.failed',
    detail: (g) => keyInfo(g.invalid ? { method: g.method!, reason: 'rejected', invalidUser: true } : { method: g.method!, reason: 'rejected' }, g.key),
  },
  {
    id: 'sshd.auth.postponed',
    re: /^(?<result>Postponed|Partial) (?<method>\S+) for (?<invalid>invalid user )?(?<user>.*) from (?<host>\S+) port (?<port>\d+)(?: ssh[12])?(?:: (?<key>.*))?$/,
    kind: 'auth.attempt',
    detail: (g) => {
      const result = g.result === 'Postponed' ? 'postponed' : 'partial'; // the regex allows only these two
      return keyInfo(g.invalid ? { method: g.method!, result, invalidUser: true } : { method: g.method!, result }, g.key);
    },
  },
  {
    id: 'sshd.auth.key-found',
    re: /^(?:Accepted key (?<keyType>\S+) (?<fingerprint>\S+) found at (?<file>.+)|Accepted certificate ID "(?<certId>.*)" \(serial (?<serial>\d+)\) signed by (?<caType>\S+) CA (?<caFingerprint>\S+) via (?<via>.+))$/,
    kind: 'info',
    detail: (g): Detail =>
      g.keyType
        ? { what: 'key-found', keyType: g.keyType, fingerprint: g.fingerprint!, file: g.file! }
        : { what: 'certificate-found', certId: g.certId!, serial: Number(g.serial), keyType: g.caType!, fingerprint: g.caFingerprint!, file: g.via! },
  },
  {
    id: 'sshd.auth.invalid-user',
    re: /^(?:Invalid user (?<user>.*) from (?<host>\S+)(?: port (?<port>\d+))?|input_userauth_request: invalid user (?<requested>.*))$/,
    build: (g) =>
      g.requested !== undefined
        ? ev('auth.invalid-user', 'sshd.auth.invalid-user', undefined, undefined, g.requested)
        : ev('auth.invalid-user', 'sshd.auth.invalid-user', g.host, g.port, g.user),
  },
  {
    id: 'sshd.auth.not-allowed',
    re: /^(?:User (?<user>.*) from (?<host>\S+) not allowed because (?<why>.*)|User (?<local>.*) not allowed because (?<because>account is locked|shell .* does not exist|shell .* is not executable|.*))$/,
    build: (g) =>
      g.user !== undefined
        ? ev('auth.failed', 'sshd.auth.not-allowed', g.host, undefined, g.user, { reason: 'not-allowed', message: g.why! })
        : ev('auth.failed', 'sshd.auth.not-allowed', undefined, undefined, g.local!, { reason: 'not-allowed', message: g.because! }),
  },
  {
    id: 'sshd.auth.max-attempts',
    re: /^maximum authentication attempts exceeded for (?<invalid>invalid user )?(?<user>.*) from (?<host>\S+) port (?<port>\d+)(?: ssh[12])?$/,
    kind: 'auth.failed',
    detail: (g): Detail => (g.invalid ? { reason: 'too-many-failures', invalidUser: true } : { reason: 'too-many-failures' }),
  },
  {
    id: 'sshd.auth.root-refused',
    re: /^ROOT LOGIN REFUSED FROM (?<host>\S+)(?: port (?<port>\d+))?$/,
    build: (g) => ev('auth.failed', 'sshd.auth.root-refused', g.host, g.port, 'root', { reason: 'root-refused' }),
  },
  { id: 'sshd.auth.bad-modes', re: /^Authentication refused: (?<message>.*)$/, kind: 'auth.failed', detail: (g) => ({ reason: 'bad-modes', message: g.message! }) },
  {
    id: 'sshd.auth.pubkey-alg',
    re: /^(?:userauth_pubkey|userauth_hostbased): (?:(?:key type|signature algorithm) (?<algorithm>\S+) not in (?<option>(?:Pubkey|Hostbased)Accepted(?:KeyTypes|Algorithms))|unsupported public key algorithm: (?<unsupported>\S+))$/,
    kind: 'crypto.weak',
    detail: (g): Detail =>
      g.option
        ? { algClass: 'pubkey', algorithm: (g.algorithm ?? g.unsupported)!, refused: true, option: g.option }
        : { algClass: 'pubkey', algorithm: (g.algorithm ?? g.unsupported)!, refused: true },
  },
  {
    id: 'sshd.auth.pam-error',
    re: /^PAM: (?<message>.*?) for (?<illegal>illegal user )?(?<user>.*) from (?<host>\S+)$/,
    build: (g) =>
      /User not known/i.test(g.message!) || g.illegal
        ? ev('auth.invalid-user', 'sshd.auth.pam-error', g.host!, undefined, g.user!, { method: 'pam', message: g.message! })
        : ev('auth.failed', 'sshd.auth.pam-error', g.host!, undefined, g.user!, { method: 'pam', reason: 'rejected', message: g.message! }),
  },
  {
    id: 'sshd.auth.pam-summary',
    re: /^PAM (?:(?<count>\d+) more authentication failures?;.*|service\(sshd\) ignoring max retries;.*)$/,
    kind: 'info',
    detail: (g): Detail => (g.count ? { what: 'pam-summary', count: Number(g.count) } : { what: 'pam-summary' }),
  },
  {
    // sshd looks up the shadow entry of the fake user `NOUSER` when an invalid user tries a password (UsePAM no).
    id: 'sshd.auth.no-shadow',
    re: /^Could not get shadow information for (?<user>.*)$/,
    build: (g) =>
      g.user === 'NOUSER'
        ? info('sshd.auth.no-shadow', { what: 'no-shadow', invalidUser: true })
        : info('sshd.auth.no-shadow', { what: 'no-shadow' }, undefined, undefined, g.user!),
  },
];

export const PAM_ROWS: ReadonlyArray<Row<Ctx>> = [
  {
    id: 'sshd.pam.auth-failure',
    re: new RegExp(String.raw`^${PAM_PREFIX}authentication failure; .*?rhost=(?<host>\S*)\s*(?:user=(?<user>.*))?$`),
    build: (g, _ctx, text) => ev('auth.failed', 'sshd.pam.auth-failure', g.host, undefined, g.user, { method: 'pam', reason: 'rejected', module: pamModule(text) }),
  },
  {
    id: 'sshd.pam.session-opened',
    re: new RegExp(String.raw`^${PAM_PREFIX}session opened for user (?<user>.*?)(?:\(uid=(?<uid>\d+)\))? by .*$`),
    kind: 'session.started',
    detail: (g): Detail => (g.uid ? { source: 'pam', uid: Number(g.uid) } : { source: 'pam' }),
  },
  { id: 'sshd.pam.session-closed', re: new RegExp(String.raw`^${PAM_PREFIX}session closed for user (?<user>.*)$`), kind: 'session.ended', detail: { source: 'pam' } },
  {
    id: 'sshd.pam.other',
    re: new RegExp(String.raw`^${PAM_PREFIX}(?<message>.*)$`),
    build: (g, _ctx, text) => info('sshd.pam.other', { what: 'pam', module: pamModule(text), stage: g.stage!, message: g.message! }),
  },
];

export const SESSION_ROWS: ReadonlyArray<Row<Ctx>> = [
  {
    id: 'sshd.session.start',
    re: /^Starting session: (?<what>.+?) for (?<user>.*) from (?<host>\S+) port (?<port>\d+)(?: id (?<channel>\d+))?$/,
    kind: 'session.started',
    detail: (g) => {
      const what = g.what!;
      const tty = / on (?<tty>\S+)$/.exec(what);
      // the match runs to the end: the type is what comes before it
      const detail: Detail = { type: tty ? what.slice(0, tty.index) : what };
      if (tty) detail.tty = tty.groups!.tty!;
      if (g.channel) detail.channel = Number(g.channel);
      return detail;
    },
  },
  {
    id: 'sshd.session.close',
    re: /^Close session: user (?<user>.*) from (?<host>\S+) port (?<port>\d+)(?: id (?<channel>\d+))?$/,
    kind: 'session.ended',
    detail: (g): Detail => (g.channel ? { channel: Number(g.channel) } : {}),
  },
  { id: 'sshd.session.exit-signal', re: /^Exiting on signal (?<signal>\d+)$/, kind: 'session.ended', detail: (g) => ({ reason: 'signal', signal: Number(g.signal) }) },
  { id: 'sshd.session.child', re: /^User child is on pid (?<pid>\d+)$/, kind: 'info', detail: (g) => ({ what: 'user-child', childPid: Number(g.pid) }) },
  {
    id: 'sshd.session.subsystem-failed',
    re: /^subsystem request for (?<subsystem>\S+) by user (?<user>.*) failed, subsystem not found$/,
    kind: 'error.other',
    detail: (g) => ({ reason: 'subsystem-not-found', subsystem: g.subsystem! }),
  },
  {
    id: 'sshd.session.oom-adj',
    re: /^Set \/proc\/self\/oom_(?:score_)?adj (?:from -?\d+ )?to -?\d+$/,
    build: (_g, _ctx, text) => evd('noise', 'sshd.session.oom-adj', { what: text }),
  },
  // --- configuration -------------------------------------------------------------------
  {
    id: 'sshd.config.warning',
    needs: [' line ', 'Could not load host key: ', 'Unable to load host key'],
    re: /^(?:(?<file>\S+) line (?<line>\d+): (?:Deprecated option .*|Unsupported option .*|.*)|Could not load host key: (?<hostkey>.*)|Unable to load host key(?: "[^"]*")?: .*)$/,
    build: (g, _ctx, text) => {
      const detail: Detail = { reason: g.hostkey !== undefined || text.startsWith('Unable to load host key') ? 'hostkey-load' : 'config', message: text };
      if (g.file) {
        detail.file = g.file;
        detail.line = Number(g.line);
      }
      return evd('error.other', 'sshd.config.warning', detail);
    },
  },
];

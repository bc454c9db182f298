/**
 * sshd rows of the daemon, the connection, the version exchange and key exchange, declared as a
 * table (agent/parsers/table.ts): pattern id → expression with named groups → kind and detail;
 * `host`, `port` and `user` come from the groups of those names (rows that choose between two
 * addresses or kinds `build` their draft from the groups). sshd.ts puts the tables in order.
 * User names are attacker-controlled: every row anchors the address from the right.
 */
import type { Detail, EventKind } from '../event.js';
import { opensshAlgClass } from './openssh-common.js';
import { classifyFatal, disconnectReason, ev, evd, userState, who, type Ctx } from './sshd-blocks.js';
import type { Row } from './table.js';

export const DAEMON_ROWS: ReadonlyArray<Row<Ctx>> = [
  {
    id: 'sshd.server.listening',
    re: /^Server listening on (?<address>\S+) port (?<listen>\d+)(?: rdomain (?<rdomain>\S*))?\.$/,
    kind: 'server.listening',
    detail: (g): Detail => (g.rdomain ? { address: g.address!, port: Number(g.listen), rdomain: g.rdomain } : { address: g.address!, port: Number(g.listen) }),
  },
  { id: 'sshd.server.signal', re: /^Received signal (?<signal>\d+); terminating\.$/, kind: 'server.stopped', detail: (g) => ({ reason: 'signal', signal: Number(g.signal) }) },
  { id: 'sshd.server.sighup', re: /^Received SIGHUP; restarting\.$/, kind: 'server.stopped', detail: { reason: 'restart', signal: 1 } },
  {
    id: 'sshd.server.timeout',
    re: /^Timeout before authentication for (?:connection from (?<from>\S+) to (?<local>\S+?), pid = (?<pid>\d+)|(?<host>\S+?)(?: port (?<port>\d+))?)$/,
    build: (g) =>
      g.from !== undefined
        ? ev('server.timeout', 'sshd.server.timeout', g.from, undefined, undefined, { local: g.local!, childPid: Number(g.pid) })
        : ev('server.timeout', 'sshd.server.timeout', g.host, g.port),
  },
  {
    id: 'sshd.server.maxstartups',
    // `past MaxStartups` (≤9.7), `past Maxstartups` (9.8–9.9), `Maxstartups` (10.0+)
    re: /^drop connection #(?<startups>\d+) from \[(?<host>[^\]]*)\]:(?<port>\d+) on \[(?<local>[^\]]*)\]:(?<localPort>\d+) (?:past )?[Mm]ax[Ss]tartups$/,
    kind: 'server.dropped',
    detail: (g) => ({ reason: 'maxstartups', startups: Number(g.startups), local: g.local!, localPort: Number(g.localPort) }),
  },
  {
    id: 'sshd.server.penalty',
    re: /^drop connection #(?<startups>\d+) from \[(?<host>[^\]]*)\]:(?<port>\d+) on \[(?<local>[^\]]*)\]:(?<localPort>\d+) (?<why>penalty: .*|too many penalised addresses.*|.+)$/,
    kind: 'server.dropped',
    detail: (g) => ({
      reason: g.why!.startsWith('penalty: ') ? 'penalty' : g.why!.startsWith('too many penalised') ? 'penalty-table-full' : 'other',
      penalty: g.why!.replace(/^penalty: /, ''),
      startups: Number(g.startups),
      local: g.local!,
      localPort: Number(g.localPort),
    }),
  },
  {
    id: 'sshd.server.penalise',
    re: /^srclimit_penalise: (?<net>\S+?)(?:\/(?<bits>\d+))?: (?<penalty>.*)$/,
    build: (g) =>
      ev('server.dropped', 'sshd.server.penalise', g.bits === undefined || g.bits === '32' || g.bits === '128' ? g.net! : undefined, undefined, undefined, {
        reason: 'penalty-start',
        network: g.bits ? `${g.net!}/${g.bits}` : g.net!,
        penalty: g.penalty!,
      }),
  },
  {
    id: 'sshd.server.throttling',
    needs: ['MaxStartups throttling', ' logging rate-limited: '],
    re: /^(?<phase>beginning MaxStartups throttling|exited MaxStartups throttling after \S+, (?<ended>\d+) connections dropped|in MaxStartups throttling for \S+, (?<ongoing>\d+) connections dropped|(?<limited>.+?) logging rate-limited: additional (?<rated>\d+) connections dropped)$/,
    kind: 'server.dropped',
    detail: (g) => {
      const phase = g.phase!.startsWith('beginning') ? 'begin' : g.phase!.startsWith('exited') ? 'end' : 'ongoing';
      const dropped = g.ended ?? g.ongoing ?? g.rated;
      const detail: Detail = { reason: g.limited !== undefined ? 'rate-limited' : 'maxstartups', phase };
      if (dropped) detail.dropped = Number(dropped);
      return detail;
    },
  },
  {
    id: 'sshd.server.child-crash',
    needs: ['ession process ', ': preauth child '],
    re: /^(?:[Ss]ession process \d+ (?:for .+? killed by signal \d+|unpriv child crash for .+?).*|.+: preauth child (?:exited with status|terminated by signal) \d+)$/,
    build: (_g, _ctx, text) => evd('error.other', 'sshd.server.child-crash', { reason: 'child-crash', message: text }),
  },
];

export const CONNECTION_ROWS: ReadonlyArray<Row<Ctx>> = [
  {
    id: 'sshd.conn.from',
    re: /^Connection from (?<host>\S+) port (?<port>\d+)(?: on (?<local>\S+) port (?<localPort>\d+)(?: rdomain "(?<rdomain>[^"]*)")?)?$/,
    kind: 'connect.start',
    // rdomain is only ever set with local
    detail: (g): Detail => (!g.local ? {} : g.rdomain ? { local: g.local, localPort: Number(g.localPort), rdomain: g.rdomain } : { local: g.local, localPort: Number(g.localPort) }),
  },
  {
    id: 'sshd.conn.closed',
    // ≤6.x had no port: that form never carries a user, so the user name cannot swallow the address.
    re: new RegExp(String.raw`^Connection (?<how>closed|reset) by (?:${who()}|(?<bare>\S+))$`),
    build: (g) => ev('session.disconnected', 'sshd.conn.closed', g.host ?? g.bare, g.port, g.user, userState({ reason: g.how === 'reset' ? 'reset' : 'closed' }, g.state, g.user)),
  },
  {
    id: 'sshd.conn.timed-out',
    re: new RegExp(String.raw`^(?:Connection from ${who()} timed out|Timeout, client not responding(?: from ${who('2')})?\.?)$`),
    build: (g) =>
      g.host !== undefined
        ? ev('session.disconnected', 'sshd.conn.timed-out', g.host, g.port, g.user, userState({ reason: 'timeout' }, g.state, g.user))
        : ev('session.disconnected', 'sshd.conn.timed-out', g.host2, g.port2, g.user2, userState({ reason: 'client-not-responding' }, g.state2, g.user2)),
  },
  {
    id: 'sshd.conn.received-disconnect',
    re: /^Received disconnect from (?<host>\S+)(?: port (?<port>\d+))?: ?(?<code>\d+): ?(?<message>.*)$/,
    build: (g) => {
      const code = Number(g.code);
      // 14 = SSH2_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE: the client has no method the server accepts.
      const kind: EventKind = code === 14 ? 'auth.no-methods' : 'session.disconnected';
      return ev(kind, 'sshd.conn.received-disconnect', g.host, g.port, undefined, { reason: 'client-disconnect', code, message: g.message! });
    },
  },
  {
    id: 'sshd.conn.disconnected',
    re: new RegExp(String.raw`^Disconnected from (?:${who()}|(?<bare>\S+))$`),
    build: (g, ctx) =>
      // After authentication (`user U`, not preauth) this closes a session normally.
      ev(
        g.user !== undefined && g.state === undefined && !ctx.preauth ? 'session.ended' : 'session.disconnected',
        'sshd.conn.disconnected',
        g.host ?? g.bare,
        g.port,
        g.user,
        userState({ reason: 'disconnected' }, g.state, g.user),
      ),
  },
  {
    id: 'sshd.conn.disconnecting',
    re: new RegExp(String.raw`^Disconnecting(?: ${who()})?: (?<message>.*)$`),
    build: (g) => {
      const { kind, detail } = disconnectReason(g.message!);
      // ≤7.4: `Disconnecting: Too many authentication failures for U`
      const old = g.host === undefined ? /^Too many authentication failures for (?<user>.*)$/.exec(g.message!) : null;
      const user = g.user ?? old?.groups!.user;
      return ev(kind, 'sshd.conn.disconnecting', g.host, g.port, user, userState(detail, g.state, g.user));
    },
  },
  {
    id: 'sshd.conn.read-error',
    re: /^(?:(?:Read error from remote host|packet_write_wait: Connection to) (?<host>\S+)(?: port (?<port>\d+))?: (?<message>.*)|(?:Read from socket failed|Write failed|Connection reset): (?<failed>.*))$/,
    kind: 'session.disconnected',
    detail: (g) => {
      const message = g.message ?? g.failed ?? '';
      return { reason: /timed out/i.test(message) ? 'timeout' : 'reset', message };
    },
  },
  { id: 'sshd.conn.closing', re: /^Closing connection to (?<host>\S+) port (?<port>\d+)$/, kind: 'info', detail: { what: 'closing' } },
  {
    id: 'sshd.conn.transferred',
    re: /^Transferred: sent (?<sent>\d+), received (?<received>\d+) bytes$/,
    kind: 'info',
    detail: (g) => ({ what: 'transferred', sent: Number(g.sent), received: Number(g.received) }),
  },
  {
    id: 'sshd.conn.dns',
    re: /^(?:reverse mapping checking getaddrinfo for \S+ \[(?<reverse>\S+)\] failed.*|Address (?<address>\S+) maps to \S+, but this does not map back to the address.*|Nasty PTR record ".*" is set up for (?<nasty>\S+), ignoring)$/,
    build: (g, _ctx, text) => ev('error.other', 'sshd.conn.dns', (g.reverse ?? g.address ?? g.nasty)!, undefined, undefined, { reason: 'dns-mismatch', message: text }),
  },
  // --- version exchange ----------------------------------------------------------------
  { id: 'sshd.ident.none', re: /^Did not receive identification string from (?<host>\S+?)(?: port (?<port>\d+))?$/, kind: 'version.failed', detail: { reason: 'no-banner' } },
  {
    id: 'sshd.ident.bad',
    re: /^(?:Bad protocol version identification '(?<banner>.*)' from (?<host>\S+)(?: port (?<port>\d+))?|Bad remote protocol version identification: '(?<remote>.*)'|Protocol major versions differ(?: for (?<host2>\S+)(?: port (?<port2>\d+))?)?: (?<major>.*))$/,
    build: (g) =>
      g.major !== undefined
        ? ev('version.failed', 'sshd.ident.bad', g.host2, g.port2, undefined, { reason: 'protocol-major', message: g.major })
        : ev('version.failed', 'sshd.ident.bad', g.host, g.port, undefined, { reason: 'invalid-banner', banner: (g.banner ?? g.remote)! }),
  },
  {
    id: 'sshd.ident.exchange',
    re: /^kex_exchange_identification: (?:(?<closed>Connection closed by remote host)|read: (?<read>.*)|client sent invalid protocol identifier "(?<banner>.*)"|(?<other>banner line .*|.+))$/,
    kind: 'version.failed',
    detail: (g): Detail => {
      if (g.closed) return { reason: 'closed', message: g.closed };
      if (g.read !== undefined) return { reason: 'reset', message: g.read };
      if (g.banner !== undefined) return { reason: 'invalid-banner', banner: g.banner };
      return { reason: 'invalid-banner', message: g.other! };
    },
  },
  {
    id: 'sshd.ident.probe',
    re: /^probed from (?<host>\S+) port (?<port>\d+) with (?<banner>.*?)\. {2}Don't panic\.$/,
    kind: 'version.failed',
    detail: (g) => ({ reason: 'probe', banner: g.banner! }),
  },
  {
    id: 'sshd.ident.banner-fatal',
    re: new RegExp(String.raw`^banner exchange: Connection from ${who()}: (?<message>.*)$`),
    kind: 'version.failed',
    detail: (g) => ({ reason: 'invalid-banner', message: g.message! }),
  },
  {
    id: 'sshd.ver.remote',
    re: /^(?:Client protocol version (?<protocol>[\d.]+); client software version (?<version>.*)|Remote protocol version (?<protocol2>[\d.]+), remote software version (?<version2>.*))$/,
    kind: 'version.remote',
    detail: (g) => ({ version: (g.version ?? g.version2)!, protocol: (g.protocol ?? g.protocol2)! }),
  },
  {
    id: 'sshd.ver.local',
    re: /^(?:Local version string|Enabling compatibility mode for protocol) (?<version>.*)$/,
    kind: 'version.local',
    detail: (g) => ({ version: g.version! }),
  },
];

export const KEX_ROWS: ReadonlyArray<Row<Ctx>> = [
  {
    id: 'sshd.kex.no-match',
    re: /^Unable to negotiate with (?<host>\S+)(?: port (?<port>\d+))?: no matching (?<what>.+?) found\. Their offer: (?<offer>.*)$/,
    kind: 'kex.failed',
    detail: (g) => ({ reason: 'no-common-algorithm', algClass: opensshAlgClass(g.what!), what: g.what!, clientOffer: g.offer! }),
  },
  {
    // 6.7–6.9: `fatal: no matching cipher found: client … server …`, `fatal: Unable to negotiate a key exchange method`, `no hostkey alg`
    id: 'sshd.kex.no-match-old',
    needs: ['no matching ', 'Unable to negotiate a ', 'no kex alg', 'no hostkey alg'],
    re: /^(?:[\w_]+: )?(?:no matching (?<what>cipher|mac|MAC|comp|compression method|key exchange method|host key type) found(?:: client (?<client>\S+) server (?<server>\S+))?|Unable to negotiate a (?<negotiate>key exchange method|host key algorithm|cipher|MAC|compression method)|no (?<none>kex|hostkey) alg(?:orithm)?)$/,
    kind: 'kex.failed',
    detail: (g) => {
      const detail: Detail = { reason: 'no-common-algorithm', algClass: opensshAlgClass((g.what ?? g.negotiate ?? g.none)!) };
      if (g.client) {
        detail.clientOffer = g.client;
        detail.serverOffer = g.server!;
      }
      return detail;
    },
  },
  {
    id: 'sshd.kex.protocol-error',
    re: /^(?:Hm, )?kex[ _]protocol[ _]error: type (?<type>\d+) seq (?<seq>\d+)$/,
    kind: 'kex.failed',
    detail: (g): Detail =>
      // type 30 = SSH2_MSG_KEX_DH_GEX_REQUEST_OLD: a pre-RFC 4419 group-exchange request (PuTTY ≤ 0.64)
      g.type === '30'
        ? { reason: 'protocol-error', type: Number(g.type), seq: Number(g.seq), algClass: 'kex', method: 'dh-group-exchange-old' }
        : { reason: 'protocol-error', type: Number(g.type), seq: Number(g.seq) },
  },
  {
    id: 'sshd.kex.dispatch-protocol-error',
    re: /^(?:Hm, )?dispatch[ _]protocol[ _]error: type (?<type>\d+) seq (?<seq>\d+)$/,
    kind: 'error.other',
    detail: (g) => ({ reason: 'protocol-error', type: Number(g.type), seq: Number(g.seq) }),
  },
  {
    id: 'sshd.kex.dispatch-fatal',
    re: new RegExp(String.raw`^ssh_dispatch_run_fatal: Connection (?:from|to) ${who()}: (?<message>.*)$`),
    build: (g) => {
      const { kind, detail } = classifyFatal('ssh_dispatch_run_fatal', g.message!);
      return ev(kind, 'sshd.kex.dispatch-fatal', g.host, g.port, g.user, userState(detail, g.state, g.user));
    },
  },
  {
    id: 'sshd.kex.gex',
    needs: ['DH GEX', 'DH grp', 'MONITOR_ANS_MODULI', 'DH_GEX'],
    re: /^(?:[\w_]+: )*(?:(?<range>DH GEX group out of range)|(?:Protocol error: )?no matching DH grp found|MONITOR_ANS_MODULI failed|(?<range2>DH_GEX group out of range: .*))$/,
    build: (g, _ctx, text) =>
      evd('kex.failed', 'sshd.kex.gex', { reason: g.range || g.range2 ? 'gex-range' : 'gex-no-group', algClass: 'kex', method: 'dh-group-exchange', message: text }),
  },
  {
    id: 'sshd.kex.moduli',
    needs: /modul|prime|disappeared/i,
    re: /^(?:WARNING: )?(?:(?<missing>could not open (?<file>.+) \(.*\), using fixed modulus)|(?<none>no suitable primes in (?<file2>.+))|line \d+ disappeared in (?<file3>.+), giving up|Bad prime description in line \d+|.+: (?:invalid|bad) (?:moduli|modulus|prime).*)$/i,
    build: (g, _ctx, text) => {
      const detail: Detail = { reason: g.missing ? 'moduli-missing' : g.none ? 'moduli-no-suitable' : 'moduli-bad', algClass: 'kex', message: text };
      const file = g.file ?? g.file2 ?? g.file3;
      if (file) detail.file = file;
      return evd('error.other', 'sshd.kex.moduli', detail);
    },
  },
  {
    id: 'sshd.kex.corrupt',
    re: /^(?:Corrupted MAC on input|Bad packet length \d+|Packet corrupt|Corrupted padlen \d+ on input|padding error: .*|message authentication code incorrect)\.?$/,
    build: (_g, _ctx, text) => evd('kex.failed', 'sshd.kex.corrupt', { reason: 'protocol-error', message: text }),
  },
  {
    id: 'sshd.kex.algorithm',
    re: /^kex: (?:(?<what>algorithm|host key algorithm): (?<method>\S+)|(?<direction>client->server|server->client) cipher: (?<cipher>\S+) MAC: (?<mac>\S+) compression: (?<compression>\S+))$/,
    build: (g) =>
      g.what
        ? evd('kex.method', 'sshd.kex.algorithm', { what: g.what, method: g.method! })
        : evd('kex.done', 'sshd.kex.algorithm', { direction: g.direction === 'server->client' ? 'out' : 'in', cipher: g.cipher!, mac: g.mac!, compression: g.compression! }),
  },
  {
    id: 'sshd.conn.fatal',
    needs: ['Connection from ', 'Connection to '],
    // `TAG: ` and, from 8.0, `FUNCTION: WHAT: ` before it (sshpkt_fatal)
    re: new RegExp(String.raw`^(?:(?<tag>[\w_ ]+(?:: [\w@. -]+)?): )?Connection (?:from|to) ${who()}: (?<message>.*)$`),
    build: (g) => {
      const { kind, detail } = classifyFatal(g.tag, g.message!);
      return ev(kind, 'sshd.conn.fatal', g.host, g.port, g.user, userState(detail, g.state, g.user));
    },
  },
];

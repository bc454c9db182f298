/**
 * The ssh client's `-v` lines declared as a table (agent/parsers/table.ts): what follows
 * `debugN: ` (the function-name prefix of 8.5+ `debug_f()` lines stays in the text). The steps a
 * connection goes through: where it connects, the versions, the key exchange, the methods tried.
 */
import { netReason } from './net-reason.js';
import { ev, info, who, type State } from './ssh-blocks.js';
import type { Row } from './table.js';

export const DEBUG_ROWS: ReadonlyArray<Row<State>> = [
  {
    id: 'ssh.debug.connecting',
    re: /^Connecting to (?<host>\S+) \[(?<address>[^\]]*)\] port (?<port>\d+)\.$/,
    build: (g) => ev('connect.start', 'ssh.debug.connecting', { ...who(g.host, g.port), detail: { address: g.address! } }),
  },
  {
    id: 'ssh.debug.connect-address',
    re: /^(?:ssh_connect_direct: )?connect to address (?<address>\S+) port (?<port>\d+): (?<message>.+)$/,
    build: (g) => info('ssh.debug.connect-address', 'connect-address-failed', { address: g.address!, reason: netReason(g.message!), message: g.message! }, { port: Number(g.port) }),
  },
  { id: 'ssh.debug.established', re: /^Connection established\.$/, build: () => ev('connect.established', 'ssh.debug.established') },
  { id: 'ssh.debug.local-version', re: /^Local version string (?<version>SSH-\S+(?: .*)?)$/, build: (g) => ev('version.local', 'ssh.debug.local-version', { detail: { version: g.version! } }) },
  {
    id: 'ssh.debug.remote-version',
    re: /^Remote protocol version (?<protocol>[\d.]+), remote software version (?<version>.*)$/,
    build: (g) => ev('version.remote', 'ssh.debug.remote-version', { detail: { version: g.version!, protocol: g.protocol! } }),
  },
  {
    id: 'ssh.debug.authenticating',
    re: /^Authenticating to (?<host>\S+):(?<port>\d+) as '(?<user>.*)'$/,
    build: (g) => ev('auth.username', 'ssh.debug.authenticating', { ...who(g.host, g.port, g.user) }),
  },
  { id: 'ssh.debug.kexinit-sent', re: /^SSH2_MSG_KEXINIT sent$/, build: () => ev('kex.start', 'ssh.debug.kexinit-sent') },
  {
    id: 'ssh.debug.kex-algorithm',
    re: /^kex: algorithm: (?<method>.+)$/,
    build: (g) => (g.method === '(no match)' ? info('ssh.debug.kex-algorithm', 'kex-no-match') : ev('kex.method', 'ssh.debug.kex-algorithm', { detail: { method: g.method! } })),
  },
  {
    id: 'ssh.debug.kex-hostkey-algorithm',
    re: /^kex: host key algorithm: (?<algorithm>.+)$/,
    build: (g) => info('ssh.debug.kex-hostkey-algorithm', 'kex-hostkey-algorithm', { algorithm: g.algorithm! }),
  },
  {
    id: 'ssh.debug.kex-cipher',
    re: /^kex: (?<direction>server->client|client->server) (?:cipher: (?<cipher>\S+) MAC: (?<mac>\S+) compression: (?<compression>\S+)|(?<oldCipher>\S+) (?<oldMac>\S+) (?<oldCompression>\S+))$/,
    build: (g) =>
      info('ssh.debug.kex-cipher', 'kex-cipher', {
        direction: g.direction === 'client->server' ? 'out' : 'in',
        cipher: g.cipher ?? g.oldCipher!,
        mac: g.mac ?? g.oldMac!,
        compression: g.compression ?? g.oldCompression!,
      }),
  },
  { id: 'ssh.debug.newkeys', re: /^SSH2_MSG_NEWKEYS received$/, build: () => ev('kex.done', 'ssh.debug.newkeys') },
  {
    id: 'ssh.debug.server-hostkey',
    re: /^Server host key: (?<keyType>\S+) (?<fingerprint>\S+)$/,
    build: (g) => ev('hostkey.fingerprint', 'ssh.debug.server-hostkey', { detail: { keyType: g.keyType!, fingerprint: g.fingerprint! } }),
  },
  {
    id: 'ssh.debug.hostkey-known',
    re: /^(?:Host '(?<knownAs>.+)' is known and matches the (?<keyType>\S+) host key\.|Found key in (?<file>.+):(?<line>\d+))$/,
    build: (g) => info('ssh.debug.hostkey-known', 'hostkey-known', g.knownAs ? { knownAs: g.knownAs, keyType: g.keyType! } : { knownHosts: g.file!, knownHostsLine: Number(g.line) }),
  },
  { id: 'ssh.debug.auth-continue', re: /^Authentications that can continue: (?<methods>.*)$/, build: (g) => info('ssh.debug.auth-continue', 'auth-methods', { methods: g.methods! }) },
  { id: 'ssh.debug.next-method', re: /^Next authentication method: (?<method>\S+)$/, build: (g) => ev('auth.attempt', 'ssh.debug.next-method', { detail: { method: g.method! } }) },
  {
    id: 'ssh.debug.offering',
    re: /^(?:Offering (?:(?<keyType>\S+) )?public key: (?<key>.+)|Trying private key: (?<file>.+))$/,
    build: (g) => ev('auth.attempt', 'ssh.debug.offering', { detail: { method: 'publickey', key: (g.key ?? g.file!).trim(), ...(g.keyType ? { keyType: g.keyType } : {}) } }),
  },
  {
    id: 'ssh.debug.no-mutual-sig',
    re: /^send_pubkey_test: no mutual signature algorithm$/,
    build: () => ev('auth.failed', 'ssh.debug.no-mutual-sig', { detail: { method: 'publickey', reason: 'no-mutual-signature-algorithm' } }),
  },
  { id: 'ssh.debug.auth-succeeded', re: /^Authentication succeeded \((?<method>[^)]*)\)\.$/, build: (g) => ev('auth.success', 'ssh.debug.auth-succeeded', { detail: { method: g.method! } }) },
  {
    id: 'ssh.debug.session',
    re: /^(?:Entering interactive session\.|Sending command: (?<command>.*)|Sending subsystem: (?<subsystem>.*))$/,
    build: (g) => ev('session.started', 'ssh.debug.session', { detail: g.command !== undefined ? { command: g.command } : g.subsystem !== undefined ? { subsystem: g.subsystem } : {} }),
  },
  { id: 'ssh.debug.exit-status', re: /^Exit status (?<status>-?\d+)$/, build: (g) => ev('session.ended', 'ssh.debug.exit-status', { detail: { exitStatus: Number(g.status) } }) },
];

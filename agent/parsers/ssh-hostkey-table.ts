/**
 * The ssh client's host-key messages declared as a table (agent/parsers/table.ts): the unknown
 * key's question, and the REMOTE HOST IDENTIFICATION HAS CHANGED block that ssh.ts turns into ONE
 * hostkey.changed event carrying the new fingerprint, the known_hosts file and line and the host
 * (the rows of the block fill State.changed; `inBlock` rows do not end the block).
 */
import { ev, FP, hostPort, info, type State } from './ssh-blocks.js';
import type { Row } from './table.js';

/**
 * A `@ WARNING: … @` banner that opens the host-key block and says at once why the key is not
 * trusted: hostkey.changed with that reason, remembered for the prompt and for `Host key
 * verification failed.`.
 */
function warning(id: string, re: RegExp, reason: 'revoked' | 'ip-mismatch'): Row<State> {
  return {
    id,
    re,
    build: (_g, st) => {
      st.block = 'hostkey-changed';
      st.keyState = reason;
      return ev('hostkey.changed', id, { detail: { reason } });
    },
  };
}

export const HOSTKEY_ROWS: ReadonlyArray<Row<State>> = [
  // --- host keys: unknown -------------------------------------------------------------------------
  {
    id: 'ssh.hostkey.authenticity',
    re: /^The authenticity of host '(?<name>.+) \((?<address>[^()]*)\)' can't be established\.?$/,
    build: (g, st) => {
      st.block = 'hostkey-new';
      st.keyState = 'new';
      return ev('hostkey.unknown', 'ssh.hostkey.authenticity', { ...hostPort(g.name!), detail: { address: g.address! } });
    },
  },
  {
    id: 'ssh.hostkey.fingerprint-is',
    re: new RegExp(String.raw`^(?<keyType>\S+) key fingerprint is:? ${FP}\.?$`),
    inBlock: true,
    build: (g) => ev('hostkey.fingerprint', 'ssh.hostkey.fingerprint-is', { detail: { keyType: g.keyType!, fingerprint: g.fp! } }),
  },
  {
    id: 'ssh.hostkey.other-names',
    re: /^(?:This key is not known by any other names\.?|This host key is known by the following other names\/addresses:|\s+\S+:\d+: .+|\s+\(\d+ additional names omitted\))$/,
    inBlock: true,
    build: () => info('ssh.hostkey.other-names', 'hostkey-other-names'),
  },
  {
    id: 'ssh.hostkey.strict-unknown',
    re: /^No (?<keyType>\S+) host key is known for (?<name>\S+) and you have requested strict checking\.$/,
    build: (g, st) => {
      st.keyState = 'new';
      return ev('hostkey.unknown', 'ssh.hostkey.strict-unknown', { ...hostPort(g.name!), detail: { keyType: g.keyType!, strict: true } });
    },
  },
  {
    id: 'ssh.hostkey.added',
    re: /^Warning: Permanently added (?:the (?<ipType>\S+) host key for IP address )?'(?<hosts>[^']+)'(?: \((?<keyType>\S+)\))? to the list of known hosts\.$/,
    build: (g) => info('ssh.hostkey.added', 'hostkey-added', { keyType: g.ipType ?? g.keyType ?? '', hosts: g.hosts! }, hostPort(g.hosts!.split(',')[0]!)),
  },
  {
    id: 'ssh.hostkey.verification-failed',
    re: /^Host key verification failed\.$/,
    build: (_g, st) => {
      const keyState = st.keyState ?? 'unknown';
      st.block = undefined;
      return ev('connect.aborted', 'ssh.hostkey.verification-failed', { detail: { reason: 'hostkey', keyState } });
    },
  },
  // --- host keys: changed (the block) --------------------------------------------------------------
  { id: 'ssh.hostkey.at-line', re: /^@{20,}$/, inBlock: true, build: () => info('ssh.hostkey.at-line', 'hostkey-warning-frame') },
  {
    id: 'ssh.hostkey.changed',
    re: /^@\s+WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!\s+@$/,
    inBlock: true,
    build: (_g, st) => {
      st.block = 'hostkey-changed';
      st.keyState = 'changed';
      st.changed = ev('hostkey.changed', 'ssh.hostkey.changed', { detail: {} });
      // The event itself is emitted when the block ends, complete with fingerprint and known_hosts.
      return info('ssh.hostkey.changed', 'hostkey-changed-banner');
    },
  },
  warning('ssh.hostkey.revoked', /^@\s+WARNING: REVOKED HOST KEY DETECTED!\s+@$/, 'revoked'),
  warning('ssh.hostkey.dns-spoofing', /^@\s+WARNING: POSSIBLE DNS SPOOFING DETECTED!\s+@$/, 'ip-mismatch'),
  {
    id: 'ssh.hostkey.ip-differs',
    re: /^Warning: the (?<keyType>\S+) host key for '(?<name>[^']+)' differs from the key for the IP address '(?<address>[^']+)'$/,
    build: (g, st) => {
      st.keyState = 'ip-mismatch';
      return ev('hostkey.changed', 'ssh.hostkey.ip-differs', { ...hostPort(g.name!), detail: { reason: 'ip-mismatch', keyType: g.keyType!, address: g.address! } });
    },
  },
  {
    id: 'ssh.hostkey.block-text',
    re: /^(?:IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!|Someone could be eavesdropping on you right now \(man-in-the-middle attack\)!|It is also possible that (?:a|the) (?:host key|RSA host key|DSA host key) has just been changed\.|Please contact your system administrator\.|\s*remove with:|The (\S+) host key for (\S+) is marked as revoked\.|This could mean that a stolen key is being used to|impersonate this host\.|The (\S+) host key for (\S+) has changed,|and the key for the corresponding IP address (\S+)|is unknown\. This could either mean that|DNS SPOOFING is happening or the IP address for the host|and its host key have changed at the same time\.|Offending key for IP in (\S+):(\d+)|Matching host key in (\S+):(\d+))$/,
    inBlock: true,
    build: () => info('ssh.hostkey.block-text', 'hostkey-warning-text'),
  },
  {
    id: 'ssh.hostkey.fingerprint-intro',
    re: /^The fingerprint for the (?<keyType>\S+) key sent by the remote host is$/,
    inBlock: true,
    build: (g, st) => {
      st.fingerprintOf = g.keyType!;
      if (st.changed) st.changed.detail = { ...st.changed.detail, keyType: g.keyType! };
      return info('ssh.hostkey.fingerprint-intro', 'hostkey-warning-text', { keyType: g.keyType! });
    },
  },
  {
    id: 'ssh.hostkey.fingerprint-line',
    re: new RegExp(String.raw`^${FP}\.?$`),
    inBlock: true,
    build: (g, st) => {
      const keyType = st.fingerprintOf;
      st.fingerprintOf = undefined;
      if (st.changed) st.changed.detail = { ...st.changed.detail, fingerprint: g.fp! };
      return ev('hostkey.fingerprint', 'ssh.hostkey.fingerprint-line', { detail: { fingerprint: g.fp!, ...(keyType ? { keyType } : {}) } });
    },
  },
  {
    id: 'ssh.hostkey.add-correct',
    re: /^Add correct host key in (?<file>.+) to get rid of this message\.$/,
    inBlock: true,
    build: (g, st) => {
      if (st.changed) st.changed.detail = { ...st.changed.detail, knownHosts: g.file! };
      return info('ssh.hostkey.add-correct', 'hostkey-warning-text', { knownHosts: g.file! });
    },
  },
  {
    id: 'ssh.hostkey.offending',
    re: /^Offending (?<keyType>\S+) key in (?<file>.+):(?<line>\d+)$/,
    inBlock: true,
    build: (g, st) => {
      if (st.changed) st.changed.detail = { ...st.changed.detail, knownHosts: g.file!, knownHostsLine: Number(g.line), offendingKeyType: g.keyType! };
      return info('ssh.hostkey.offending', 'hostkey-offending', { keyType: g.keyType!, knownHosts: g.file!, knownHostsLine: Number(g.line) });
    },
  },
  {
    id: 'ssh.hostkey.remove-with',
    re: /^\s*ssh-keygen -f "(?<file>.+)" -R "?(?<pattern>[^"]+)"?$/,
    inBlock: true,
    build: (g, st) => {
      if (st.changed) st.changed.detail = { ...st.changed.detail, knownHosts: g.file!, hostPattern: g.pattern! };
      return info('ssh.hostkey.remove-with', 'hostkey-remove-command', { knownHosts: g.file!, hostPattern: g.pattern! });
    },
  },
  {
    id: 'ssh.hostkey.strict-changed',
    re: /^(?:(?<keyType>\S+) )?[Hh]ost key for (?<name>\S+) has changed and you have requested strict checking\.$/,
    build: (g, st) => {
      st.keyState = 'changed';
      const hp = hostPort(g.name!);
      const held = st.changed ?? ev('hostkey.changed', 'ssh.hostkey.strict-changed', { detail: {} });
      st.changed = undefined;
      Object.assign(held, hp, { pattern: 'ssh.hostkey.strict-changed' });
      held.detail = { ...held.detail, strict: true, hostPattern: held.detail?.hostPattern ?? g.name!, ...(g.keyType && !held.detail?.keyType ? { keyType: g.keyType } : {}) };
      return held;
    },
  },
  {
    id: 'ssh.hostkey.mitm-disabled',
    re: /^(?:(?<feature>Password|Keyboard-interactive|Challenge\/response|Agent|X11|Port|Agent forwarding|X11 forwarding|Port forwarding) (?:authentication |forwarding )?is disabled to avoid man-in-the-middle attacks\.|UpdateHostkeys is disabled because the host key is not trusted\.)$/,
    build: (g) => info('ssh.hostkey.mitm-disabled', 'disabled-after-hostkey-change', g.feature ? { feature: g.feature } : {}),
  },
];

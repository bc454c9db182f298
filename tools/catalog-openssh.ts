/**
 * OpenSSH's messages (openssh/openssh-portable, tags V_6_6_P1 … V_10_x): every format string the
 * logging functions and macros print on the connection, authentication, key exchange and channel
 * paths, with its level, the function it is in, and what each conversion is filled with (roles the
 * renderer and the rendered-catalog test use: host, port, user, remote id, ...).
 */
import { conversions, findCalls, literal, listFiles, readAt, stripComments, tags, type Call } from './catalog-c.js';

export type Side = 'sshd' | 'ssh';

/** Files on the server's paths; files on both sides; files on the client's. */
const SERVER = /^(sshd|sshd-session|sshd-auth|auth|auth2|auth-[\w-]+|auth2-[\w-]+|monitor|monitor_wrap|session|serverloop|srclimit|groupaccess|entropy|kexgexs|sshpty|loginrec|sshlogin|uidswap|gss-serv)\.c$/;
const SHARED = /^(packet|dispatch|kex|kex-names|kexgen|kexdh|kexecdh|kexc25519|kexgex|kexsntrup761x25519|kexmlkem768x25519|dh|canohost|channels|nchan|compat)\.c$/;
const CLIENT = /^(ssh|sshconnect|sshconnect2|clientloop|kexgexc|hostfile|readpass|mux)\.c$/;

const LEVELS: Record<string, string> = { logit: 'INFO', verbose: 'VERBOSE', error: 'ERROR', fatal: 'FATAL', logdie: 'INFO', debug: 'DEBUG1', debug2: 'DEBUG2', debug3: 'DEBUG3', do_log2: 'VAR' };
const NAMES = new Set<string>(['packet_disconnect', 'ssh_packet_disconnect', 'sshpkt_disconnect', 'sshpkt_fatal']);
for (const base of Object.keys(LEVELS)) for (const suf of ['', '_f', '_r', '_fr']) NAMES.add(base + suf);

export interface RawEntry {
  side: Side;
  level: string;
  /** The message as printed, the function prefix of `_f` calls included. */
  format: string;
  /** What fills each conversion, in order (see roleOf). */
  roles: string[];
  file: string;
  func: string;
}

/** The tags to read: the last patch release of each minor version from 6.6 on. */
export function opensshVersions(git: string): Array<{ tag: string; version: string }> {
  const best = new Map<string, { tag: string; version: string; p: number }>();
  for (const t of tags(git)) {
    const m = /^V_(\d+)_(\d+)_P(\d+)$/.exec(t);
    if (!m) continue;
    const [maj, min, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (maj < 6 || (maj === 6 && min < 6)) continue;
    const key = `${maj}.${min}`;
    if ((best.get(key)?.p ?? -1) < p) best.set(key, { tag: t, version: key, p });
  }
  return [...best.values()].sort((a, b) => cmpVersion(a.version, b.version)).map(({ tag, version }) => ({ tag, version }));
}

export function cmpVersion(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** What an argument expression prints, as a role the renderer knows. */
export function roleOf(expr: string, spec: string, fmtBefore: string): string {
  const e = expr.replace(/\s+/g, ' ');
  if (e === '__func__') return 'func';
  if (/remote_id|connection_id|fmt_connection/.test(e)) return 'remote-id';
  if (/ssh_err\(/.test(e)) return 'ssh-err';
  if (/strerror\(/.test(e)) return 'strerror';
  if (/server_side/.test(e)) return 'direction';
  if (spec !== 's') return /port/i.test(e) || / port $/.test(fmtBefore) ? 'port' : 'number';
  if (/port/.test(e) && / port $/.test(fmtBefore)) return 'port';
  if (/ssh_remote_port|rport|_port\b/.test(e)) return 'port';
  if (/remote_ipaddr|remote_ip|ipaddr|hostaddr|ntop|remote_host|laddr|local_ipaddr|rhost|\bhost\b|peer/.test(e) || / from $| for $|Address $|by $/.test(fmtBefore) && /addr|ip|host/.test(e))
    return 'host';
  if (/user|pw_name|luser|ruser/.test(e)) return 'user';
  if (/method/.test(e)) return 'method';
  if (/\bfp\b|fingerprint/.test(e)) return 'fingerprint';
  if (/key_type|sshkey_ssh_name|sshkey_type|ktype|\balg\b|pkalg|sigalg/.test(e)) return 'keytype';
  return 'text';
}

export function extractOpenssh(git: string): { versions: string[]; entries: Map<string, RawEntry & { versions: Set<string> }> } {
  const versions = opensshVersions(git);
  const entries = new Map<string, RawEntry & { versions: Set<string> }>();
  for (const { tag, version } of versions) {
    const files = listFiles(git, tag, /^[\w-]+\.c$/).filter((f) => SERVER.test(f) || SHARED.test(f) || CLIENT.test(f));
    const sources = readAt(git, tag, files);
    const packet = sources.get('packet.c') ?? '';
    const disconnectPrefix = packet.includes('"Disconnecting %s: %.100s"') ? 'Disconnecting %s: ' : 'Disconnecting: ';
    for (const [file, text] of sources) {
      const sides: Side[] = SERVER.test(file) ? ['sshd'] : CLIENT.test(file) ? ['ssh'] : ['sshd', 'ssh'];
      for (const call of findCalls(stripComments(text), NAMES)) {
        const e = entryOf(call, disconnectPrefix);
        if (!e) continue;
        for (const side of sides) {
          const key = `${side}\t${e.level}\t${e.format}`;
          let have = entries.get(key);
          if (!have) entries.set(key, (have = { side, ...e, file, versions: new Set() }));
          have.versions.add(version);
        }
      }
    }
  }
  return { versions: versions.map((v) => v.version), entries };
}

function entryOf(call: Call, disconnectPrefix: string): Omit<RawEntry, 'side' | 'file'> | undefined {
  const fn = call.fn;
  let fmtAt = 0;
  let level: string;
  let prefix = '';
  let suffix = '';
  const prefixRoles: string[] = [];
  const suffixRoles: string[] = [];
  if (fn === 'packet_disconnect' || fn === 'ssh_packet_disconnect') {
    fmtAt = fn === 'packet_disconnect' ? 0 : 1;
    level = 'INFO';
    prefix = disconnectPrefix;
    if (prefix.includes('%s')) prefixRoles.push('remote-id');
  } else if (fn === 'sshpkt_disconnect') {
    fmtAt = 1;
    level = 'PEER'; // sent to the client in SSH_MSG_DISCONNECT, logged only at DEBUG2
  } else if (fn === 'sshpkt_fatal') {
    fmtAt = 2;
    level = 'INFO';
    suffix = ': Connection from %s: %s';
    suffixRoles.push('remote-id', 'ssh-err');
  } else {
    const m = /^(\w+?)(_f|_r|_fr)?$/.exec(fn)!;
    const base = m[1]!;
    const v = m[2] ?? '';
    level = LEVELS[base]!;
    if (v.includes('r')) fmtAt++;
    if (base === 'do_log2') {
      const lv = call.args[fmtAt] ?? '';
      const named = ['FATAL', 'ERROR', 'INFO', 'VERBOSE', 'DEBUG1', 'DEBUG2', 'DEBUG3'].find((l) => lv.includes(`SYSLOG_LEVEL_${l}`));
      level = named ?? 'INFO';
      fmtAt++;
    }
    if (v.includes('f')) prefix = `${call.func}: `;
    if (v.includes('r')) {
      suffix = ': %s';
      suffixRoles.push('ssh-err');
    }
  }
  const fmt = literal(call.args[fmtAt] ?? '');
  if (fmt === undefined || fmt === '%s' || fmt === '%.100s' || fmt.trim() === '') return undefined;
  const rest = call.args.slice(fmtAt + 1);
  const roles: string[] = [];
  let k = 0;
  const convs = conversions(fmt);
  convs.forEach((c, i) => {
    if (c.args === 2) k++; // the width argument
    const expr = rest[k++] ?? '';
    let role = expr === '__func__' ? `func:${call.func}` : roleOf(expr, c.spec, fmt.slice(0, c.at));
    // `%s%s%s` after a value: optional parts (an rdomain, a separator and a note), empty in the usual case
    const prev = convs[i - 1];
    if (role === 'text' && c.spec === 's' && prev && prev.end === c.at) role = 'empty';
    if (role === 'text' && c.spec === 's' && c.at === 0 && convs[1]?.at === c.end) role = 'empty';
    roles.push(role);
  });
  return { level, format: prefix + fmt + suffix, roles: [...prefixRoles, ...roles, ...suffixRoles], func: call.func };
}

/**
 * What the ssh client's rows (ssh-table.ts, ssh-hostkey-table.ts, ssh-debug-table.ts) share: the
 * state a parser keeps between lines (the host-key situation, the changed-key block being
 * completed), how a draft is made, hosts and ports as OpenSSH writes them, and the prompts ssh
 * writes to the terminal with no newline.
 */
import type { Detail, EventDraft, EventKind } from '../event.js';
import { opensshAlgClass } from './openssh-common.js';

export type KeyState = 'new' | 'changed' | 'revoked' | 'ip-mismatch';
export type Block = 'hostkey-changed' | 'hostkey-new' | 'key-permissions' | 'post-quantum';

export interface State {
  block: Block | undefined;
  keyState: KeyState | undefined;
  /** The hostkey.changed event being completed by the lines of its block. */
  changed: EventDraft | undefined;
  /** Key type announced by `The fingerprint for the T key sent by the remote host is`; the next line is the fingerprint. */
  fingerprintOf: string | undefined;
  /** A partial line that was not a prompt: completed by the continuation. */
  partialText: string | undefined;
  /** The last partial line was a prompt: its continuation is what was typed (echoed) after it. */
  afterPrompt: boolean;
}

export const ev = (kind: EventKind, pattern: string, extra: Partial<EventDraft> = {}): EventDraft => ({ kind, program: 'ssh', pattern, ...extra });
export const info = (pattern: string, what: string, detail: Detail = {}, extra: Partial<EventDraft> = {}): EventDraft => ev('info', pattern, { ...extra, detail: { what, ...detail } });

/** `host`, `[host]:port` (known_hosts notation) or `host:port` → host and port. */
export function hostPort(text: string): Partial<EventDraft> {
  const b = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text);
  if (b) return { host: b[1]!, port: Number(b[2]) };
  return text ? { host: text } : {};
}

/** host, port (numeric) and user, leaving out what is absent (and sshpkt_fatal's `UNKNOWN`). */
export function who(host: string | undefined, port?: string, user?: string): Partial<EventDraft> {
  const out: Partial<EventDraft> = {};
  if (host !== undefined && host !== '' && host !== 'UNKNOWN') out.host = host;
  if (port !== undefined && port !== '') out.port = Number(port);
  if (user !== undefined) out.user = user;
  return out;
}

/** The option that widens each algorithm class on the client. */
export const CLIENT_OPTION: Record<string, string> = {
  kex: 'KexAlgorithms',
  hostkey: 'HostKeyAlgorithms',
  cipher: 'Ciphers',
  mac: 'MACs',
  compression: 'Compression',
};

/** Messages of fatal packet errors (`ssh_dispatch_run_fatal: Connection to H port P: MSG`). */
export function packetFailure(message: string): Detail {
  if (/DH GEX group out of range/i.test(message)) return { reason: 'gex-range', algClass: 'kex', message };
  const nm = /no matching (.+?) found/.exec(message);
  if (nm) return { reason: 'no-common-algorithm', algClass: opensshAlgClass(nm[1]!), message };
  return { reason: 'protocol-error', message };
}

/** A host key fingerprint (SHA256, MD5, or the old bare hex), as the named group `fp`. */
export const FP = String.raw`(?<fp>SHA256:[A-Za-z0-9+/=]+|MD5(?::[0-9a-f]{2}){16}|(?:[0-9a-f]{2}:){15}[0-9a-f]{2})`;

/** Prompts: waiting for input on the terminal, no newline. */
export const PROMPTS: ReadonlyArray<{ id: string; re: RegExp; make: (g: Record<string, string | undefined>, text: string, st: State) => EventDraft }> = [
  {
    id: 'ssh.prompt.hostkey',
    re: /^(?:Are you sure you want to continue connecting \((?:yes\/no(?:\/\[fingerprint\])?)\)\?|Please type 'yes', 'no' or the fingerprint:|Please type 'yes' or 'no':) ?/,
    make: (_g, text, st) => {
      st.keyState ??= 'new';
      return ev('prompt.hostkey', 'ssh.prompt.hostkey', { detail: { prompt: text.trimEnd(), keyState: st.keyState } });
    },
  },
  {
    id: 'ssh.prompt.password',
    // Greedy user: the host is what follows the last "@".
    re: /^(?:(?<user>.{1,200})@(?<host>[^@\s']{1,255})'s password: ?|\((?<kuser>.{1,200})@(?<khost>[^@\s)]{1,255})\) Password: ?)/,
    make: (g, text) => ev('prompt.password', 'ssh.prompt.password', { ...who(g.host ?? g.khost, undefined, g.user ?? g.kuser), detail: { prompt: text.trimEnd() } }),
  },
  {
    id: 'ssh.prompt.kbd',
    re: /^(?:\((?<user>.{1,200})@(?<host>[^@\s)]{1,255})\) )?(?:Password|Verification code|One-time password|OTP|Duo two-factor login.*):\s?$/,
    make: (g, text) => ev('prompt.password', 'ssh.prompt.kbd', { ...who(g.host, undefined, g.user), detail: { prompt: text.trimEnd() } }),
  },
  {
    id: 'ssh.prompt.passphrase',
    re: /^(?:Enter passphrase for key '(?<file>[^']*)': ?|Bad passphrase, try again for (?<again>.+?): ?$|Enter PIN for (?<keyType>\S+) key (?<key>.+?): ?$)/,
    make: (g, text) => ev('prompt.passphrase', 'ssh.prompt.passphrase', { detail: { prompt: text.trimEnd(), ...(g.file ?? g.again ? { file: (g.file ?? g.again)! } : {}) } }),
  },
];

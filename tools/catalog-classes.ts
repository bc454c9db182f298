/**
 * The named `ignored` classes: messages a parser understands on purpose as of no diagnostic weight.
 * Each class says why. A catalog entry is ignored when its program, level and format fit a class.
 */
export interface IgnoredClass {
  name: string;
  why: string;
  programs: readonly string[];
  test: (level: string, format: string, file: string) => boolean;
}

export const IGNORED: readonly IgnoredClass[] = [
  { name: 'debug', why: 'debug chatter (LogLevel DEBUG*, -v): the steps, not their outcome', programs: ['sshd', 'ssh', 'plink', 'freerdp', 'rdesktop', 'remmina'], test: (l) => /^DEBUG|^TRACE/.test(l) },
  { name: 'sent-to-peer', why: 'sent to the client in SSH_MSG_DISCONNECT, not logged by the server (the client prints it)', programs: ['sshd', 'ssh'], test: (l) => l === 'PEER' },
  {
    name: 'forwarding-refused',
    why: 'a port or socket forwarding the configuration refuses inside an established session; the connection itself is fine',
    programs: ['sshd'],
    test: (_l, f) => /^(refused (local|streamlocal) port forward|Received request .*but the request was denied|X11 connection rejected|Rejected X11 connection)/.test(f),
  },
  { name: 'channel', why: 'channel bookkeeping inside an established session (forwardings, X11, window sizes)', programs: ['sshd'], test: (_l, _f, file) => /^(channels|nchan)\.c$/.test(file) },
  { name: 'login-records', why: 'utmp/wtmp/lastlog bookkeeping after login', programs: ['sshd'], test: (_l, _f, file) => /^(loginrec|sshlogin)\.c$/.test(file) },
  {
    name: 'protocol-1',
    why: 'SSH protocol 1 and its RSA host authentication, removed in 7.4/7.6',
    programs: ['sshd'],
    test: (_l, f, file) => /^auth-(rh-)?rsa\.c$/.test(file) || /RSA1|protocol version 1|RSA key generation|bit RSA key|fake encryption key/.test(f),
  },
  { name: 'kerberos-gssapi', why: 'Kerberos/GSSAPI mechanism details; the outcome is logged as Accepted/Failed gssapi-*', programs: ['sshd'], test: (_l, _f, file) => /^(auth-krb5|auth2-gss|gss-serv[\w-]*)\.c$/.test(file) },
  { name: 'rhosts-hostbased', why: 'rhosts/hostbased details; the outcome is logged as Accepted/Failed hostbased', programs: ['sshd'], test: (_l, _f, file) => /^(auth-rhosts|auth2-hostbased)\.c$/.test(file) },
  {
    name: 'key-policy',
    why: 'a key or certificate refused by authorized_keys options, certificate rules or the signature scheme; the attempt is logged as Failed publickey',
    programs: ['sshd'],
    test: (_l, f) =>
      /^(%s: )?(Bad options in|Certificate extension|Authentication tried for|refusing previously-used|Refusing RSA key|userauth_pubkey: certificate signature algorithm|%s: certificate signature algorithm|refusing %s key|Client version .*unsafe RSA|Remote version .*unsafe RSA)/.test(f),
  },
  {
    name: 'status-dump',
    why: 'the state sshd prints on request (SIGINFO/SIGUSR, 9.8+): startups, children, penalties',
    programs: ['sshd'],
    test: (_l, f) => /^(%d active startups|child %d: fd=|%zu active %s penalties|client %s %s \(|srclimit_penalise: %s penalty table full)/.test(f),
  },
  { name: 'relay', why: 'the monitor relaying a message of the unprivileged child (the message itself is in the catalog)', programs: ['sshd'], test: (_l, f) => f === '%s [preauth]' },
  {
    name: 'auth-info',
    why: 'authentication facts of no failure weight',
    programs: ['sshd'],
    test: (_l, f) => /^(Root login accepted for forced command|password change not supported|Login name %.100s does not match|Authentication methods list|Changed root directory)/.test(f),
  },
  {
    name: 'protocol-chatter',
    why: 'packets ignored or discarded on purpose; a failing connection also logs its own closing line',
    programs: ['sshd'],
    test: (_l, f) => /^(dispatch_protocol_ignore|Finished discarding|Unknown packet type received after authentication|Could not write ident string)/.test(f),
  },
  { name: 'server-lifecycle', why: 'start-up notes of no failure weight', programs: ['sshd'], test: (_l, f) => /^(-r option is deprecated|Disabling protocol version)/.test(f) },
  {
    name: 'internal',
    why: 'internal consistency checks and platform calls that a misbehaving build or system prints; nothing a user of the connection can act on',
    programs: ['sshd'],
    test: (_l, f) =>
      /bad id|called twice|wraps around|should have exited|could not allocate|not implemented|nvalid type field|bad size|wrong user name passed to monitor|groups list too small|glob "%s" failed|Unable to shield host key|ignoring bad proto spec|pam_putenv|CLOEXEC|gethostname|lseek|mkstemp|fchmod|^no session %d req|^%s: no session %d req|session_input_channel_req: no session/.test(f),
  },
];

/** Classes that apply at every level; the others only to INFO and VERBOSE (errors keep their level fallback). */
const ANY_LEVEL = new Set(['debug', 'sent-to-peer']);

export function ignoredClass(program: string, level: string, format: string, file: string): string | undefined {
  for (const c of IGNORED) {
    if (!c.programs.includes(program)) continue;
    if (!ANY_LEVEL.has(c.name) && level !== 'INFO' && level !== 'VERBOSE') continue;
    if (c.test(level, format, file)) return c.name;
  }
  return undefined;
}

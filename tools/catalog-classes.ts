/**
 * The named `ignored` classes: messages a parser understands on purpose as of no diagnostic weight.
 * Each class says why. A catalog entry is ignored when its program, level and format fit a class.
 */
export interface IgnoredClass {
  name: string;
  why: string;
  programs: readonly string[];
  /** The levels the class applies to (default: INFO and VERBOSE, or every level for debug and sent-to-peer). */
  levels?: readonly string[];
  test: (level: string, format: string, file: string) => boolean;
}

/** Literal characters a format needs to be told apart from other messages by its text alone. */
export const MIN_LITERAL = 6;

/** A format's own text: what is left without its conversions. */
export function literalOf(format: string): string {
  return format.replace(/%[-+ #0]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?:hh|h|ll|l|j|z|t|L|q)?[diouxXeEfgGcsp%]/g, '');
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

  {
    name: 'opaque',
    why: 'a format with (almost) no text of its own, such as `%s: %s`: what it prints is another message, which the catalog holds itself; no line can be told to be this one',
    programs: ['ssh', 'plink'],
    levels: ['INFO', 'ERROR', 'FATAL', 'EVENT'],
    test: (_l, f) => literalOf(f).trim().length < MIN_LITERAL,
  },
  // --- ssh (the client): INFO lines; its ERROR and FATAL lines are all understood (mapped, or the
  // parser's catalog table gives error.other / error.fatal with the message)
  {
    name: 'interactive',
    why: "answers to the ~ escape commands the person types (help, forwardings added or cancelled), written to their own terminal",
    programs: ['ssh'],
    levels: ['INFO'],
    test: (_l, f, file) => file === 'clientloop.c' && !/hostkey|host keys|trusted key/.test(f),
  },
  {
    name: 'hostkey-rotation',
    why: 'UpdateHostKeys bookkeeping: keys the server announced, learned or retired after a verified login',
    programs: ['ssh'],
    levels: ['INFO'],
    test: (_l, f, file) => file === 'clientloop.c' || (file === 'hostfile.c' && /Removed|Adding new key| for %s%s%s to |keysize mismatch|replace|invalid known_hosts|Created directory/.test(f)),
  },
  { name: 'channel', why: 'channel bookkeeping inside an established session (forwardings, X11, window sizes)', programs: ['ssh'], levels: ['INFO'], test: (_l, _f, file) => /^(channels|nchan)\.c$/.test(file) },
  { name: 'mux', why: 'ControlMaster multiplexing: the master and its clients talking to each other', programs: ['ssh'], levels: ['INFO'], test: (_l, _f, file) => file === 'mux.c' },
  {
    name: 'server-side',
    why: "code shared with sshd that only the server reaches (a client's peer address, moduli files, scanners): ssh never prints it",
    programs: ['ssh'],
    levels: ['INFO'],
    test: (_l, f) =>
      /Connection from|^Connection %s %|probed from|scanned from|Finished discarding|reverse mapping|maps to|Nasty PTR|fixed modulus|suitable primes|disappeared in|invalid public DH value|padding error|seqnr wraps|^send DEBUG|^dispatch_protocol_|ignoring bad proto spec|^Client version/.test(f),
  },
  {
    name: 'session-notes',
    why: 'notes on the options of a session that goes on (agent forwarding for an old protocol, a user with no passwd entry, rekeying unsupported)',
    programs: ['ssh'],
    levels: ['INFO'],
    test: (_l, f) => /^(Agent forwarding disabled for protocol|No user exists for uid|Warning: this server does not support rekeying|This session will eventually fail|No valid ciphers for protocol version 2|Mismatch; try again|Authenticated with partial success|%s host key for IP address '%.128s' not in list of known hosts|%s: certificate signature algorithm|Failed to add the |WARNING: %s key found for host|%skey %s %s returned incorrect signature type|warning: agent returned different signature type|Server version "%.100s" uses unsafe RSA|Remote version "%.100s" uses unsafe RSA|getifaddrs: %s: no suitable addresses)/.test(f),
  },
  {
    name: 'internal',
    why: "internal consistency checks (a size set twice, a channel missing, memory): a broken build, nothing a user of the connection can act on",
    programs: ['ssh'],
    levels: ['INFO', 'ERROR', 'FATAL'],
    test: (_l, f) => /should have exited|could not allocate|bad size %d|called twice|missing session channel/.test(f),
  },
  // --- plink (PuTTY's event log): what narrates the steps; their outcomes are mapped
  {
    name: 'server-side',
    why: "PuTTY's SSH server code (Uppity, its test server) shares the event log; plink never prints it",
    programs: ['plink'],
    levels: ['EVENT', 'FATAL'],
    test: (_l, _f, file) => /server|sesschan/.test(file),
  },
  { name: 'platform', why: "Windows start-up notes on the network stack and the process's ACL", programs: ['plink'], levels: ['EVENT'], test: (_l, _f, file) => /^windows\//.test(file) },
  {
    name: 'protocol-1',
    why: 'SSH-1, which no current server speaks (OpenSSH removed it in 7.4/7.6); PuTTY keeps the code',
    programs: ['plink'],
    levels: ['EVENT'],
    test: (_l, f, file) => /^ssh1/.test(file) || /SSH-1/.test(f),
  },
  {
    name: 'gssapi',
    why: 'GSSAPI/Kerberos mechanism steps; the outcome is the next method, Access granted or Access denied',
    programs: ['plink'],
    levels: ['EVENT'],
    test: (_l, f) => /GSSAPI|gssapi|No GSSAPI|fallback host key/.test(f),
  },
  {
    name: 'forwarding',
    why: 'port, X11 and agent forwarding and connection sharing inside a session that goes on',
    programs: ['plink'],
    levels: ['EVENT'],
    test: (_l, f, file) =>
      file === 'ssh/portfwd.c' ||
      /[Ff]orward|X11|[Pp]ort open|channel open|SOCKS|[Cc]onnection sharing|shared connection|Sharing this|Opening connection to|listening port|open request|direct-tcpip|Service lookup failed|Cancelling|Leaving host lookup to proxy/.test(f),
  },
  {
    name: 'session-setup',
    why: "the session's environment, pty, signals and EOF; its start and end are mapped",
    programs: ['plink'],
    levels: ['EVENT'],
    test: (_l, f, file) => file === 'ssh/mainchan.c' || /environment variable|Sent signal|exited on signal|Sent EOF|terminal mode|^%s %s$|bare ssh-connection/.test(f),
  },
  {
    name: 'auth-progress',
    why: 'the steps of authentication (keys tried, Pageant, certificates, plugins); the outcome is mapped (Access granted/denied, Server refused our key)',
    programs: ['plink'],
    levels: ['EVENT'],
    test: (_l, f) => /Pageant|public key|certificate|[Aa]uthentication plugin|Further authentication required|Sent new password|key file matches|matches configured key/.test(f),
  },
  {
    name: 'kex-progress',
    why: 'key re-exchange and host key certificate steps inside a connection that goes on',
    programs: ['plink'],
    levels: ['EVENT'],
    test: (_l, f) => /re-exchange|^Initialised %s encryption|[Cc]ertificat|Certification authority|certified host key|Continuing despite/.test(f),
  },
];

/** Classes that apply at every level; the others only to INFO and VERBOSE (errors keep their level fallback). */
const ANY_LEVEL = new Set(['debug', 'sent-to-peer']);

export function ignoredClass(program: string, level: string, format: string, file: string): string | undefined {
  for (const c of IGNORED) {
    if (!c.programs.includes(program)) continue;
    if (c.levels ? !c.levels.includes(level) : !ANY_LEVEL.has(c.name) && level !== 'INFO' && level !== 'VERBOSE') continue;
    if (c.test(level, format, file)) return c.name;
  }
  return undefined;
}

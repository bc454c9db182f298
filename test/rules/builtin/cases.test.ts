/**
 * Every built-in rule against real lines: each case replays real captures (test/fixtures/**) or
 * lines quoted from the parsers' samples files (real output, or the catalogued wording of other
 * releases, checked to be in those files) through the built-in rule pack, and expects EXACTLY the
 * listed rule ids to fire — nothing more, nothing less. A rule with no case fails the coverage test.
 * Cases that need a real program running (plink against silent servers, a client that maps a
 * replaced library) are in real.test.ts and declared in REAL_CASES below.
 *
 * Also: replaying every successful-connection capture raises nothing of severity warning or above.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEVERITIES, type Program } from '../../../agent/event.js';
import { FIXTURES } from '../../helpers/cli.js';
import { builtinRules, replayBuiltin, ruleIds, sampleLog } from './run.js';

interface Case {
  name: string;
  /** Files under test/fixtures, replayed together (merged by event time). */
  files?: string[];
  /** Or lines quoted from test/parsers/<samples>.samples.log. */
  samples?: { from: string; lines: string[]; partial?: boolean };
  program?: Program;
  expect: string[];
}

const P01 = 'plink/01-plink-success__';
const CAP = '../rules/captures/plink-0.78-';
const RDP11 = 'rdp/11-rdp-nla-shadow-server';

export const CASES: Case[] = [
  // ---- plink, real captures
  { name: 'plink 0.60 vs OpenSSH 7.2 (incident 1)', files: ['incidents/plink-0.60-gex-fail-openssh-7.2.txt'], expect: ['plink.kex.gex-old-client'] },
  { name: 'plink 0.78, server only offers sntrup761x25519', files: ['plink/02-plink-kex-mismatch__a-server-only-sntrup761x25519-sha512-batch/client.stderr'], expect: ['plink.kex.no-common-algorithm'] },
  { name: 'plink -batch, server only offers diffie-hellman-group1-sha1', files: ['plink/02-plink-kex-mismatch__b-server-only-dh-group1-sha1-batch/client.stderr'], expect: ['plink.kex.weak-crypto-batch'] },
  { name: 'plink -batch, 3des-cbc below the warn line', files: ['plink/03-plink-hostkey-and-cipher-mismatch__d-cipher-server-only-3des-cbc-session-Cipher-3des-below-WARN-batch/client.sshlog'], expect: ['plink.kex.weak-crypto-batch'] },
  { name: 'plink 0.67 stuck at "Update cached key?" (incident 1, as Xming saw it)', files: ['incidents/plink-0.67-hostkey-changed-hang.txt'], expect: ['plink.hostkey.prompt-hang'] },
  { name: 'plink 0.78 stuck at "Store key in cache?" with a silent stdin pipe', files: ['plink/04-plink-new-hostkey-prompt__a-nobatch-silent-stdin-pipe/client.stderr'], expect: ['plink.hostkey.prompt-hang'] },
  { name: 'plink 0.78, first connection, the host key stored with y', files: [`${P01}a-first-connect-store-hostkey/client.stderr`], expect: ['plink.hostkey.new'] },
  { name: 'plink -batch and an unknown host key', files: ['plink/04-plink-new-hostkey-prompt__b-batch/client.stderr'], expect: ['plink.hostkey.not-confirmed'] },
  { name: 'plink with stdin /dev/null at the host key question', files: ['plink/04-plink-new-hostkey-prompt__c-nobatch-stdin-devnull-EOF/client.sshlog'], expect: ['plink.hostkey.not-confirmed'] },
  { name: 'plink -batch and a changed host key', files: ['plink/05-plink-changed-hostkey__b-batch/client.stderr'], expect: ['plink.hostkey.not-confirmed'] },
  { name: 'plink 0.67 answers y to a changed host key', files: ['incidents/plink-0.67-hostkey-changed-openssh-7.2.txt'], expect: ['plink.hostkey.changed'] },
  { name: 'plink -batch with a wrong password', files: ['plink/06-plink-auth-failures__a-wrong-password-batch/client.sshlog'], expect: ['plink.auth.password-rejected'] },
  { name: 'plink -batch with a key the server refuses', files: ['plink/06-plink-auth-failures__c-refused-key-batch/client.stderr'], expect: ['plink.auth.key-refused'] },
  { name: 'plink to a closed port', files: ['plink/07-plink-connection-refused__a-ipv4-127.0.0.1-port-2290/client.stderr'], expect: ['plink.network.refused'] },
  // ---- plink 0.78 through connwatch wrap, no -v (test/rules/captures, issue 17)
  { name: 'plink 0.78 wrapped, nobody answers "Store key in cache?"', files: [`${CAP}new-hostkey-silent.jsonl`], expect: ['plink.hostkey.prompt-hang'] },
  { name: 'plink 0.78 wrapped, nobody answers "Update cached key?"', files: [`${CAP}changed-hostkey-silent.jsonl`], expect: ['plink.hostkey.prompt-hang'] },
  { name: 'plink 0.78 wrapped, nobody answers the weak-kex question', files: [`${CAP}weak-kex-silent.jsonl`], expect: ['plink.crypto.prompt-hang'] },
  { name: 'plink 0.78 wrapped, nobody answers "Wipe the log file?"', files: [`${CAP}logfile-silent.jsonl`], expect: ['plink.logfile.prompt-hang'] },
  { name: 'plink 0.78 wrapped, nobody types the password', files: [`${CAP}password-silent.jsonl`], expect: ['plink.auth.prompt-hang'] },
  { name: 'plink 0.78 wrapped, end of input at the weak-kex question', files: [`${CAP}weak-kex-eof.jsonl`], expect: ['plink.kex.weak-crypto-batch'] },
  { name: 'plink 0.78 wrapped, end of input at the password prompt (exit 0)', files: [`${CAP}password-eof.jsonl`], expect: ['plink.auth.prompt-eof'] },
  { name: 'plink 0.78 wrapped, -batch and a weak kex', files: [`${CAP}weak-kex-batch.jsonl`], expect: ['plink.kex.weak-crypto-batch'] },
  { name: 'plink 0.78 wrapped, -batch and no stored key', files: [`${CAP}hostkey-batch.jsonl`], expect: ['plink.hostkey.not-confirmed'] },
  { name: 'rdesktop 1.9 wrapped, a listener that never speaks (nothing printed, blocked on its socket)', files: ['../rules/captures/rdesktop-1.9-silent.jsonl'], expect: ['rdesktop.network.silent'] },
  { name: 'ssh 9.2 wrapped, a listener that never speaks (banner-exchange timeout)', files: ['../rules/captures/ssh-9.2-banner-timeout.jsonl'], expect: ['ssh.network.silent-server'] },
  { name: 'plink: a question no pattern knows, left waiting', samples: { from: 'plink', lines: ['Enter the one-time code from your token: '], partial: true }, program: 'plink', expect: ['client.prompt.hang'] },
  // ---- plink, catalogued wording of other releases (plink.samples.log)
  { name: 'plink: no DH reply', samples: { from: 'plink', lines: ['expected key exchange reply packet from server'] }, program: 'plink', expect: ['plink.kex.reply-missing'] },
  { name: 'plink: incorrect MAC', samples: { from: 'plink', lines: ['FATAL ERROR: Incorrect MAC received on packet'] }, program: 'plink', expect: ['plink.kex.corrupted'] },
  { name: 'plink: -hostkey mismatch', samples: { from: 'plink', lines: ['FATAL ERROR: Host key did not appear in manually configured list'] }, program: 'plink', expect: ['plink.hostkey.manual-mismatch'] },
  { name: 'plink: no usable auth method', samples: { from: 'plink', lines: ['FATAL ERROR: No supported authentication methods available (server sent: publickey)'] }, program: 'plink', expect: ['plink.auth.no-methods'] },
  { name: 'plink: no user name and no way to ask', samples: { from: 'plink', lines: ['Disconnected: No username provided'] }, program: 'plink', expect: ['plink.auth.batch-prompt'] },
  { name: 'plink: waits at "login as: "', samples: { from: 'plink', lines: ['login as: '], partial: true }, program: 'plink', expect: ['plink.auth.prompt-hang'] },
  { name: 'plink: connect timed out', samples: { from: 'plink', lines: ['FATAL ERROR: Network error: Connection timed out'] }, program: 'plink', expect: ['plink.network.unreachable'] },
  { name: 'plink: unknown host', samples: { from: 'plink', lines: ['Unable to open connection:', 'Host does not exist'] }, program: 'plink', expect: ['plink.network.dns'] },
  { name: 'plink: server closed the connection', samples: { from: 'plink', lines: ['FATAL ERROR: Server unexpectedly closed network connection'] }, program: 'plink', expect: ['plink.network.closed'] },
  {
    name: 'plink: server sent a disconnect message',
    samples: { from: 'plink', lines: ['FATAL ERROR: Remote side sent disconnect message', 'type 2 (protocol error):', '"Too many authentication failures"'] },
    program: 'plink',
    expect: ['plink.network.server-disconnect'],
  },
  // ---- sshd, real captures
  { name: 'sshd: ssh client offering only group1', files: ['sshd/09-openssh-client/e-kex-mismatch-client-group1-only/sshd.log'], expect: ['sshd.kex.no-common-algorithm'] },
  { name: 'sshd: moduli with 1024-bit primes only', files: ['sshd/10-dh-group-exchange-moduli/a-plink-moduli-only-1024bit/sshd.log'], expect: ['sshd.kex.moduli'] },
  {
    name: 'sshd -E log of the integration run (wrong passwords, invalid users, mismatches, an HTTP probe)',
    files: ['sshd/captured/sshd-E-integration.log'],
    expect: ['sshd.auth.repeated-failures', 'sshd.ident.closed-early', 'sshd.ident.invalid', 'sshd.kex.ffdh-only-client', 'sshd.kex.no-common-algorithm'],
  },
  // ---- sshd, other releases and real reports (sshd.samples.log)
  { name: 'sshd: kex protocol error type 30 (7.x)', samples: { from: 'sshd', lines: ['error: kex protocol error: type 30 seq 1 [preauth]'] }, program: 'sshd', expect: ['sshd.kex.protocol-error'] },
  {
    name: 'sshd: DH GEX group out of range (SSH.NET report)',
    samples: { from: 'sshd', lines: ['Sep 11 06:50:37 pi sshd[26033]: ssh_dispatch_run_fatal: Connection from 192.168.2.32 port 62346: DH GEX group out of range [preauth]'] },
    expect: ['sshd.kex.gex-out-of-range'],
  },
  { name: 'sshd: corrupted MAC', samples: { from: 'sshd', lines: ['Corrupted MAC on input. [preauth]'] }, program: 'sshd', expect: ['sshd.kex.corrupted'] },
  { name: 'sshd: MaxStartups drop (real)', samples: { from: 'sshd', lines: ['drop connection #1 from [127.0.0.1]:60030 on [127.0.0.1]:36105 past MaxStartups'] }, program: 'sshd', expect: ['sshd.server.maxstartups'] },
  {
    name: 'sshd 9.8+: PerSourcePenalties drop',
    samples: { from: 'sshd', lines: ['drop connection #0 from [192.168.56.1]:50123 on [192.168.56.10]:22 penalty: exceeded LoginGraceTime'] },
    program: 'sshd',
    expect: ['sshd.server.penalty'],
  },
  { name: 'sshd: LoginGraceTime (7.4-9.7)', samples: { from: 'sshd', lines: ['fatal: Timeout before authentication for 192.168.56.1 port 50123'] }, program: 'sshd', expect: ['sshd.server.preauth-timeout'] },
  {
    name: 'sshd: MaxAuthTries',
    samples: { from: 'sshd', lines: ['error: maximum authentication attempts exceeded for alice from 203.0.113.5 port 40122 ssh2 [preauth]'] },
    program: 'sshd',
    expect: ['sshd.auth.max-attempts'],
  },
  // ---- sshd, issue 18 failure families (lines rendered from the OpenSSH source, in sshd.samples.log)
  { name: 'sshd: a DSA key refused', samples: { from: 'sshd', lines: ['userauth_pubkey: key type ssh-dss not in PubkeyAcceptedKeyTypes [preauth]'] }, program: 'sshd', expect: ['sshd.auth.dsa-key'] },
  { name: 'sshd: OpenSSL version mismatch', samples: { from: 'sshd', lines: ['fatal: OpenSSL version mismatch. Built against 30000020, you have 30500010'] }, program: 'sshd', expect: ['sshd.server.openssl-mismatch'] },
  { name: 'sshd: no host keys', samples: { from: 'sshd', lines: ['sshd: no hostkeys available -- exiting.'] }, program: 'sshd', expect: ['sshd.server.no-hostkeys'] },
  { name: 'sshd: an expired account', samples: { from: 'sshd', lines: ['Account alice has expired'] }, program: 'sshd', expect: ['sshd.auth.expired'] },
  {
    name: 'sshd: authorized_keys unreadable',
    samples: { from: 'sshd', lines: ["Could not open user 'alice' authorized keys '/home/alice/.ssh/authorized_keys': Permission denied"] },
    program: 'sshd',
    expect: ['sshd.auth.keyfile'],
  },
  { name: 'sshd 10.0: MaxStartups drop in its new spelling', samples: { from: 'sshd', lines: ['drop connection #12 from [203.0.113.7]:4242 on [192.0.2.1]:22 Maxstartups'] }, program: 'sshd', expect: ['sshd.server.maxstartups'] },
  { name: 'sshd: ssh-rsa signatures refused', samples: { from: 'sshd', lines: ['userauth_pubkey: key type ssh-rsa not in PubkeyAcceptedAlgorithms [preauth]'] }, program: 'sshd', expect: ['sshd.auth.key-type-refused'] },
  // ---- rdesktop
  { name: 'rdesktop 1.8 after the 2018 CredSSP update (incident 2)', files: ['incidents/rdesktop-1.8-credssp.txt'], expect: ['rdesktop.credssp.failed'] },
  {
    name: 'rdesktop 1.9 vs an NLA-only server, certificate answered yes (stderr, then stdout)',
    files: [`${RDP11}/a3-rdesktop-answer-yes-to-cert/client.stderr`, `${RDP11}/a3-rdesktop-answer-yes-to-cert/client.stdout`],
    program: 'rdesktop',
    expect: ['rdesktop.credssp.failed'],
  },
  { name: 'rdesktop 1.9 to a port nothing listens on', files: [`${RDP11}/a3-rdesktop-answer-yes-to-cert/first-attempt-xvfb-reset/client.stderr`], expect: ['rdesktop.network.connect-failed'] },
  {
    name: 'rdesktop 1.9: HYBRID_REQUIRED_BY_SERVER alone',
    samples: { from: 'rdesktop', lines: ['Failed to connect, CredSSP required by server (check if server has disabled old TLS versions, if yes use -V option).'] },
    program: 'rdesktop',
    expect: ['rdesktop.nego.nla-required'],
  },
  { name: 'rdesktop: SSL not allowed', samples: { from: 'rdesktop', lines: ['Failed to connect, SSL not allowed by server.'] }, program: 'rdesktop', expect: ['rdesktop.nego.failed'] },
  {
    name: 'rdesktop 1.9: TLS handshake failed',
    samples: { from: 'rdesktop', lines: ['Core(error): tcp_tls_connect(), TLS handshake failed. GnuTLS error: A TLS fatal alert has been received.'] },
    program: 'rdesktop',
    expect: ['rdesktop.tls.failed'],
  },
  { name: 'rdesktop: waits at the certificate question (real 1.9 prompt)', samples: { from: 'rdesktop', lines: ['Do you trust this certificate (yes/no)? '], partial: true }, program: 'rdesktop', expect: ['rdesktop.cert.prompt-hang'] },
  {
    name: 'rdesktop: stored certificate differs',
    samples: { from: 'rdesktop', lines: ["ATTENTION! Found a certificate stored for host 'win10', but it does not match the certificate"] },
    program: 'rdesktop',
    expect: ['rdesktop.cert.changed'],
  },
  { name: 'rdesktop 1.9: connection closed by peer', samples: { from: 'rdesktop', lines: ['Core(error): rcp_recv(), connection closed by peer'] }, program: 'rdesktop', expect: ['rdesktop.network.closed'] },
  // ---- FreeRDP / Remmina, real captures
  { name: 'xfreerdp with a wrong NLA password', files: [`${RDP11}/b-xfreerdp-wrong-password/client.stderr`], expect: ['freerdp.errconnect.transport'] },
  { name: 'Remmina 1.4.29 with a wrong NLA password', files: ['rdp/13-remmina-nla-wrong-password/a-wrong-password/client.stdout'], program: 'remmina', expect: ['freerdp.errconnect.transport'] },
  // the shadow server logs ERRCONNECT_CONNECT_TRANSPORT_FAILED when a client goes away: not a client's failure
  ...[
    'a3-rdesktop-answer-yes-to-cert',
    'a3-rdesktop-answer-yes-to-cert/first-attempt-xvfb-reset',
    'b-xfreerdp-wrong-password',
    'c2-xfreerdp-correct-password-log-level-INFO',
    'c2-xfreerdp-correct-password-log-level-INFO/first-run-stdout-block-buffered',
    'd2-xfreerdp-default-cert-handling-stdin-devnull',
  ].map((d): Case => ({ name: `FreeRDP shadow server log on its own (${d})`, files: [`${RDP11}/${d}/server.log`], expect: [] })),
  {
    name: 'xfreerdp with a wrong NLA password, its log and the shadow server log replayed together',
    files: [`${RDP11}/b-xfreerdp-wrong-password/client.stderr`, `${RDP11}/b-xfreerdp-wrong-password/server.log`],
    expect: ['freerdp.errconnect.transport'],
  },
  {
    name: 'xfreerdp with stdin /dev/null at the certificate question (TLS error joined in)',
    files: [`${RDP11}/d2-xfreerdp-default-cert-handling-stdin-devnull/client.stderr`],
    expect: ['freerdp.cert.rejected'],
  },
  // ---- FreeRDP, reports and other releases (freerdp.samples.log, remmina.samples.log)
  {
    name: 'FreeRDP 2018 CredSSP mismatch (FreeRDP#4483)',
    samples: { from: 'freerdp', lines: ['[22:36:43:166] [11345:11346] [ERROR][com.freerdp.core] - freerdp_set_last_error ERRCONNECT_PASSWORD_CERTAINLY_EXPIRED [0x0002000F]'] },
    expect: ['freerdp.credssp.mismatch'],
  },
  {
    name: 'FreeRDP: host name not found (real)',
    samples: { from: 'freerdp', lines: ['[14:09:34:637] [7284:7285] [ERROR][com.freerdp.core] - freerdp_tcp_is_hostname_resolvable:freerdp_set_last_error_ex ERRCONNECT_DNS_NAME_NOT_FOUND [0x00020005]'] },
    expect: ['freerdp.errconnect.connect'],
  },
  {
    name: 'FreeRDP: TLS connect failed (real)',
    samples: { from: 'freerdp', lines: ['[13:41:31:353] [3630:3631] [ERROR][com.freerdp.crypto] - transport_connect_tls:freerdp_set_last_error_ex ERRCONNECT_TLS_CONNECT_FAILED [0x00020008]'] },
    expect: ['freerdp.errconnect.tls'],
  },
  {
    name: 'FreeRDP: security negotiation failed (FreeRDP#3929)',
    samples: { from: 'freerdp', lines: ['[14:23:39:268] [4190:4191] [ERROR][com.freerdp.core] - freerdp_set_last_error ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED [0x2000C]'] },
    expect: ['freerdp.errconnect.negotiation'],
  },
  {
    name: 'FreeRDP: HYBRID_REQUIRED_BY_SERVER (real, /sec:tls against an NLA server)',
    samples: { from: 'freerdp', lines: ['[14:09:32:603] [7199:7200] [WARN][com.freerdp.core.nego] - Error: HYBRID_REQUIRED_BY_SERVER'] },
    expect: ['freerdp.errconnect.nla-required'],
  },
  {
    name: 'FreeRDP: logon failure',
    samples: { from: 'freerdp', lines: ['[10:02:11:120] [4242:4243] [ERROR][com.freerdp.core] - nla_recv_pdu:freerdp_set_last_error_ex ERRCONNECT_LOGON_FAILURE [0x00020014]'] },
    expect: ['freerdp.errconnect.logon'],
  },
  {
    name: 'FreeRDP: password expired',
    samples: { from: 'freerdp', lines: ['[10:02:11:120] [4242:4243] [ERROR][com.freerdp.core] - nla_recv_pdu:freerdp_set_last_error_ex ERRCONNECT_PASSWORD_EXPIRED [0x0002000E]'] },
    expect: ['freerdp.errconnect.password-expired'],
  },
  {
    name: 'FreeRDP: account locked out',
    samples: { from: 'freerdp', lines: ['[10:02:11:120] [4242:4243] [ERROR][com.freerdp.core] - nla_recv_pdu:freerdp_set_last_error_ex ERRCONNECT_ACCOUNT_LOCKED_OUT [0x00020018]'] },
    expect: ['freerdp.errconnect.account'],
  },
  {
    name: 'FreeRDP: connection cancelled',
    samples: { from: 'freerdp', lines: ['[10:02:11:120] [4242:4243] [ERROR][com.freerdp.core] - transport_connect_tls:freerdp_set_last_error_ex ERRCONNECT_CONNECT_CANCELLED [0x0002000B]'] },
    expect: ['freerdp.errconnect.cancelled'],
  },
  { name: 'FreeRDP 2: certificate changed', samples: { from: 'freerdp', lines: ['!!!Certificate for win10:3389 (RDP-Server) has changed!!!'] }, program: 'freerdp', expect: ['freerdp.cert.changed'] },
  { name: 'xfreerdp waits at the certificate question (real prompt)', samples: { from: 'freerdp', lines: ['Do you trust the above certificate? (Y/T/N) '], partial: true }, program: 'freerdp', expect: ['freerdp.cert.prompt-hang'] },
  {
    name: 'xfreerdp to a silent listener (real DEBUG output, nothing after it)',
    samples: { from: 'freerdp', lines: ['[14:09:37:682] [7359:7360] [DEBUG][com.freerdp.core] - connecting to peer 127.0.0.1'] },
    expect: ['freerdp.network.silent'],
  },
  // ---- OpenSSH ssh client, real captures (OpenSSH 9.2p1; more in test/rules/ssh-client.test.ts and test/integration/ssh-real.test.ts)
  { name: 'ssh -o KexAlgorithms=diffie-hellman-group1-sha1 against a default sshd', files: ['ssh/e-kex-mismatch-client-group1-only/client.stderr'], expect: ['ssh.kex.no-common-algorithm'] },
  { name: 'ssh, BatchMode, changed host key', files: ['ssh/k-changed-hostkey/client.stderr'], expect: ['ssh.hostkey.changed'] },
  { name: 'ssh to a closed port', files: ['ssh/l-connection-refused/client.stderr'], expect: ['ssh.network.refused'] },
  { name: 'ssh, three wrong passwords', files: ['ssh/c-wrong-password-askpass/client.stderr'], expect: ['ssh.auth.permission-denied'] },
  // ---- OpenSSH ssh client, catalogued wording (ssh.samples.log)
  {
    name: 'ssh: BatchMode and an unknown host key',
    samples: { from: 'ssh', lines: ['No ED25519 host key is known for [127.0.0.1]:2201 and you have requested strict checking.', 'Host key verification failed.'] },
    program: 'ssh',
    expect: ['ssh.hostkey.verification-failed'],
  },
  {
    name: 'ssh: waits at the host-key question',
    samples: { from: 'ssh', lines: ["The authenticity of host 'vm.example (192.168.56.10)' can't be established.", 'Are you sure you want to continue connecting (yes/no/[fingerprint])? '], partial: true },
    program: 'ssh',
    expect: ['ssh.hostkey.prompt-hang'],
  },
  { name: 'ssh: waits at a password prompt', samples: { from: 'ssh', lines: ["alice@vm.example's password: "], partial: true }, program: 'ssh', expect: ['ssh.auth.prompt-hang'] },
  { name: 'ssh: connect timed out', samples: { from: 'ssh', lines: ['ssh: connect to host 192.0.2.10 port 22: Connection timed out'] }, program: 'ssh', expect: ['ssh.network.unreachable'] },
  { name: 'ssh: unknown host name', samples: { from: 'ssh', lines: ['ssh: Could not resolve hostname vm: Name or service not known'] }, program: 'ssh', expect: ['ssh.network.dns'] },
  {
    name: 'ssh: closed before the version exchange',
    samples: { from: 'ssh', lines: ['kex_exchange_identification: Connection closed by remote host', 'Connection closed by 192.168.56.10 port 22'] },
    program: 'ssh',
    expect: ['ssh.network.closed-early'],
  },
];

/** Rules whose case runs a real program: the test names in real.test.ts. */
export const REAL_CASES: Record<string, string> = {
  'plink.network.silent-server': 'real plink against a listener that never answers',
  'client.stale-library': 'a real process that maps a library replaced like dpkg does',
};

/** Captures of connections that worked: nothing of severity warning or above may come of them. */
const SUCCESSES: string[][] = [
  ...['a-first-connect-store-hostkey', 'b-batch-password', 'c-batch-publickey'].flatMap((d) => [[`${P01}${d}/client.stderr`], [`${P01}${d}/client.sshlog`]]),
  ...['a-first-connect-store-hostkey', 'b-batch-password', 'c-batch-publickey', 'd-batch-password-sshd-syslog', 'e-batch-password-sshd-E-logfile', 'f-batch-password-sshd-LogLevel-VERBOSE'].flatMap((d) => [
    [`${P01}${d}/client.stderr`, `${P01}${d}/sshd.log`],
    [`${P01}${d}/auth.log.syslog`],
  ]),
  ['plink/04-plink-new-hostkey-prompt__d-nobatch-answer-n-connect-once/client.stderr', 'sshd/04-plink-new-hostkey-prompt/d-nobatch-answer-n-connect-once/sshd.log'],
  ['sshd/04-plink-new-hostkey-prompt/d-nobatch-answer-n-connect-once/auth.log.syslog'],
  ['sshd/09-openssh-client/a-success-publickey/sshd.log'],
  ['ssh/a-success-publickey/client.stderr', 'ssh/a-success-publickey/sshd.log'],
  ['incidents/plink-0.60-ok-openssh-6.7.txt'],
  [`${RDP11}/c2-xfreerdp-correct-password-log-level-INFO/client.stdout`, `${RDP11}/c2-xfreerdp-correct-password-log-level-INFO/client.stderr`],
];

describe('built-in rules: each fires on its real lines, and only it', () => {
  for (const c of CASES) {
    it(`${c.name} → ${c.expect.join(', ')}`, async () => {
      const files = c.files ?? [sampleLog(c.samples!.from, c.samples!.lines, c.samples!.partial)];
      const { alerts } = await replayBuiltin(files, c.program ? { program: c.program } : {});
      expect(ruleIds(alerts)).toEqual([...c.expect].sort());
    });
  }
});

describe('built-in rules: coverage', () => {
  it('loads without problems', () => {
    expect(builtinRules().problems).toEqual([]);
  });

  it('every built-in rule has a case with real lines', () => {
    // Rule files written by others carry their own real-lines test under test/rules/ (e.g.
    // ssh-client.test.ts): a rule counts as covered there when such a test names its id in quotes.
    const elsewhere = readdirSync(join(FIXTURES, '..', 'rules'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.test.ts') && !f.startsWith('builtin'))
      .map((f) => readFileSync(join(FIXTURES, '..', 'rules', f), 'utf8'))
      .join('\n');
    const covered = new Set([...CASES.flatMap((c) => c.expect), ...Object.keys(REAL_CASES)]);
    for (const r of builtinRules().rules) if (elsewhere.includes(`'${r.id}'`)) covered.add(r.id);
    const missing = builtinRules()
      .rules.map((r) => r.id)
      .filter((id) => !covered.has(id));
    expect(missing).toEqual([]);
  });

  it('every case names only rules that exist', () => {
    const ids = new Set(builtinRules().rules.map((r) => r.id));
    const unknown = [...CASES.flatMap((c) => c.expect), ...Object.keys(REAL_CASES)].filter((id) => !ids.has(id));
    expect(unknown).toEqual([]);
  });
});

describe('built-in rules: connections that worked raise nothing of severity warning or above', () => {
  for (const files of SUCCESSES) {
    it(files.join(' + '), async () => {
      const { alerts } = await replayBuiltin(files);
      const loud = alerts.filter((a) => SEVERITIES.indexOf(a.severity) >= SEVERITIES.indexOf('warning'));
      expect(loud.map((a) => `${a.rule}: ${a.message}`)).toEqual([]);
    });
  }
});

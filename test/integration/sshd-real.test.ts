/**
 * The sshd parser on what a real sshd writes: starts OpenSSH sshd on 127.0.0.1 (test/helpers/
 * sshd-server.ts, `-E` log, LogLevel VERBOSE, restricted KexAlgorithms/Ciphers/MACs), runs real
 * `ssh -o BatchMode=yes` and `plink -batch` clients against it, and checks the events the parser
 * makes of the captured log: successes, wrong passwords, invalid (and hostile) user names, key
 * exchange / cipher / MAC mismatches, a non-SSH banner, and MaxStartups drops.
 *
 * Needs root (sshd authenticates as a throwaway local user it creates), openssh-server,
 * openssh-client and putty-tools; skips with the reason when one is missing.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event } from '../../agent/event.js';
import { LineRouter } from '../../agent/parsers/router.js';
import { plinkEnv } from '../helpers/putty.js';
import { ensureTestUser, sshdUnavailable, startSshd, which, type SshdServer } from '../helpers/sshd-server.js';

const missing = sshdUnavailable() ?? (which('ssh') ? undefined : 'ssh is missing (install openssh-client)') ?? (which('plink') && which('puttygen') ? undefined : 'plink/puttygen are missing (install putty-tools)');
if (missing) console.warn(`sshd-real: skipped: ${missing}`);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The log lines from `from` on, through the router as the agent would read the -E file. */
function parse(lines: string[]): Event[] {
  const router = new LineRouter({ program: 'sshd' });
  return lines.flatMap((text, i) => router.route({ sourceId: 'sshd-E', text, receivedAt: Date.now(), position: { source: 'sshd-E', line: i + 1 } }));
}

const USER = 'cwtest';
const SERVER_CONFIG = [
  'KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org',
  'Ciphers aes128-ctr,aes256-ctr,chacha20-poly1305@openssh.com',
  'MACs hmac-sha2-256,hmac-sha2-512,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com',
];

describe.skipIf(missing !== undefined)('sshd parser on a real sshd (127.0.0.1)', () => {
  let server: SshdServer;
  let keyDir: string;
  let ssh: (user: string, extra?: string[]) => Promise<Run>;
  let plink: (user: string, extra: string[]) => Promise<Run>;

  /** Runs a client, then waits until sshd has logged the end of that connection; returns the new lines' events. */
  async function attempt(client: () => Promise<Run>, end: RegExp): Promise<Event[]> {
    const from = server.lines().length;
    await client();
    await server.waitForLog(end, 20_000, from);
    return parse(server.lines()).slice(from);
  }

  beforeAll(async () => {
    ensureTestUser(USER);
    keyDir = mkdtempSync(join(tmpdir(), 'connwatch-sshclient-'));
    const key = join(keyDir, 'id_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'connwatch-test-client', '-f', key]);
    const conv = await run('puttygen', [key, '-O', 'private', '-o', `${key}.ppk`]);
    expect(conv.code, conv.stderr).toBe(0);
    server = await startSshd({ config: SERVER_CONFIG, authorizedKeys: readFileSync(`${key}.pub`, 'utf8') });
    const base = ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=15', '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR', '-p', String(server.port)];
    ssh = (user, extra = []) => run('ssh', [...base, '-i', key, ...extra, '-l', user, '127.0.0.1', 'true']);
    // plink's state in a throwaway directory (HOME alone is not enough: test/helpers/putty.ts), and the key pinned with -hostkey.
    const env = { ...process.env, ...plinkEnv(keyDir) };
    plink = (user, extra) => run('plink', ['-batch', '-noagent', '-ssh', '-hostkey', server.hostKeyFingerprint, '-P', String(server.port), '-l', user, ...extra, '127.0.0.1', 'true'], env);
  });

  afterAll(async () => {
    // CONNWATCH_SSHD_CAPTURE=FILE keeps the captured log, to refresh test/parsers/sshd.samples.log.
    const keep = process.env.CONNWATCH_SSHD_CAPTURE;
    if (keep && server) copyFileSync(server.logFile, keep);
    await server?.dispose();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  it('ssh with a public key: connect.start, auth.success (publickey), session.started, session.ended', async () => {
    const events = await attempt(() => ssh(USER), /^Disconnected from user cwtest|^Connection closed by 127\.0\.0\.1 port \d+$/);
    expect(events.filter((e) => e.kind === 'unknown')).toEqual([]);
    expect(events[0]).toMatchObject({ kind: 'connect.start', host: '127.0.0.1', detail: { local: '127.0.0.1', localPort: server.port } });
    const ok = events.find((e) => e.kind === 'auth.success');
    expect(ok).toMatchObject({ host: '127.0.0.1', user: USER, detail: { method: 'publickey', keyType: 'ED25519' } });
    expect(ok?.port).toBe(events[0]?.port);
    expect(events.some((e) => e.kind === 'session.started' && e.user === USER && e.host === '127.0.0.1')).toBe(true);
    expect(events.some((e) => e.kind === 'session.ended' && e.user === USER)).toBe(true);
  });

  it('plink -batch with a key: auth.success (publickey)', async () => {
    const events = await attempt(() => plink(USER, ['-i', join(keyDir, 'id_ed25519.ppk')]), /^Disconnected from user cwtest|^Connection closed by 127\.0\.0\.1 port \d+$/);
    expect(events.filter((e) => e.kind === 'unknown')).toEqual([]);
    expect(events.find((e) => e.kind === 'auth.success')).toMatchObject({ host: '127.0.0.1', user: USER, detail: { method: 'publickey' } });
  });

  it('plink -batch with a wrong password: auth.failed (password), then disconnected while authenticating', async () => {
    const events = await attempt(() => plink(USER, ['-pw', 'definitely-wrong']), /^Connection closed by authenticating user cwtest /);
    expect(events.filter((e) => e.kind === 'unknown')).toEqual([]);
    expect(events.find((e) => e.kind === 'auth.failed')).toMatchObject({ host: '127.0.0.1', user: USER, detail: { method: 'password' } });
    expect(events.at(-1)).toMatchObject({ kind: 'session.disconnected', host: '127.0.0.1', user: USER, detail: { userState: 'authenticating', preauth: true } });
  });

  it('invalid users, hostile names included: the user name never becomes the host', async () => {
    for (const user of ['nosuchuser', '10.0.0.1', 'evil from 10.0.0.1 port 22']) {
      const events = await attempt(() => ssh(user), /^Connection closed by invalid user /);
      expect(events.filter((e) => e.kind === 'unknown')).toEqual([]);
      expect(events.find((e) => e.kind === 'auth.invalid-user')).toMatchObject({ host: '127.0.0.1', user });
      expect(events.at(-1)).toMatchObject({ kind: 'session.disconnected', host: '127.0.0.1', user, detail: { userState: 'invalid' } });
      for (const e of events) if (e.host !== undefined) expect(e.host).toBe('127.0.0.1');
    }
    // plink with a password for a user name with a space
    const events = await attempt(() => plink('odd user', ['-pw', 'x']), /^Connection closed by invalid user odd user /);
    expect(events.filter((e) => e.kind === 'unknown')).toEqual([]);
    expect(events.find((e) => e.kind === 'auth.failed')).toMatchObject({ host: '127.0.0.1', user: 'odd user', detail: { method: 'password', invalidUser: true } });
  });

  it.each([
    ['kex', ['-o', 'KexAlgorithms=diffie-hellman-group14-sha256'], 'diffie-hellman-group14-sha256'],
    ['cipher', ['-o', 'Ciphers=aes256-cbc'], 'aes256-cbc'],
    ['mac', ['-o', 'Ciphers=aes128-ctr', '-o', 'MACs=hmac-sha1'], 'hmac-sha1'],
    ['hostkey', ['-o', 'HostKeyAlgorithms=ssh-rsa'], 'ssh-rsa'],
  ])('a %s mismatch: kex.failed with algClass and the client offer', async (algClass, extra, offered) => {
    const events = await attempt(() => ssh(USER, extra), /^Unable to negotiate with |^Connection closed by 127\.0\.0\.1 port \d+ \[preauth\]$/);
    expect(events.filter((e) => e.kind === 'unknown')).toEqual([]);
    const failed = events.find((e) => e.kind === 'kex.failed');
    expect(failed).toMatchObject({ host: '127.0.0.1', detail: { reason: 'no-common-algorithm', algClass, preauth: true } });
    expect(String(failed?.detail.clientOffer)).toContain(offered);
  });

  /** Opens a raw TCP connection, sends `data` (maybe nothing), half-closes and waits for sshd to close. */
  function rawClient(data: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const s: Socket = connect(server.port, '127.0.0.1', () => s.end(data));
      // sshd answers garbage by closing, sometimes with a reset: both end the attempt.
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.resume();
    });
  }

  it('a non-SSH client (HTTP request): version.failed with the banner it sent', async () => {
    const from = server.lines().length;
    await rawClient('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await server.waitForLog(/^banner exchange: /, 20_000, from);
    const events = parse(server.lines()).slice(from);
    expect(events.filter((e) => e.kind === 'unknown')).toEqual([]);
    expect(events.find((e) => e.pattern === 'sshd.ident.exchange')).toMatchObject({ kind: 'version.failed', detail: { reason: 'invalid-banner', banner: 'GET / HTTP/1.1' } });
    expect(events.find((e) => e.pattern === 'sshd.ident.banner-fatal')).toMatchObject({ kind: 'version.failed', host: '127.0.0.1', detail: { message: 'invalid format' } });
  });

  it('a client that connects and closes without a banner: version.failed (closed), then closed', async () => {
    const from = server.lines().length;
    await rawClient('');
    await server.waitForLog(/^Connection closed by 127\.0\.0\.1 port \d+$/, 20_000, from);
    const events = parse(server.lines()).slice(from);
    expect(events.filter((e) => e.kind === 'unknown')).toEqual([]);
    expect(events.map((e) => e.kind)).toEqual(['connect.start', 'version.failed', 'session.disconnected']);
    expect(events[1]).toMatchObject({ detail: { reason: 'closed' } });
  });

  it('every line sshd wrote maps to a known kind, and stop logs server.stopped', async () => {
    await server.stop();
    const events = parse(server.lines());
    expect(events.filter((e) => e.kind === 'unknown').map((e) => e.raw.text)).toEqual([]);
    expect(events[0]).toMatchObject({ kind: 'server.listening', detail: { address: '127.0.0.1', port: server.port } });
    expect(events.at(-1)).toMatchObject({ kind: 'server.stopped', detail: { signal: 15 } });
  });
});

describe.skipIf(missing !== undefined)('sshd MaxStartups on a real sshd (127.0.0.1)', () => {
  it('a connection past MaxStartups: server.dropped with the client address', async () => {
    const server = await startSshd({ config: ['MaxStartups 1'] });
    const sockets: Socket[] = [];
    try {
      const open = () =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect(server.port, '127.0.0.1', () => resolve(s));
          s.on('error', reject);
          sockets.push(s);
        });
      await open(); // holds the only unauthenticated slot (sends nothing)
      await server.waitForLog(/^Connection from /);
      await open().catch(() => undefined);
      const line = await server.waitForLog(/^drop connection #/);
      const events = parse(server.lines());
      expect(events.filter((e) => e.kind === 'unknown')).toEqual([]);
      const dropped = events.find((e) => e.raw.text === line);
      expect(dropped).toMatchObject({ kind: 'server.dropped', host: '127.0.0.1', detail: { reason: 'maxstartups', local: '127.0.0.1', localPort: server.port } });
      expect(events.some((e) => e.kind === 'server.dropped' && e.detail.phase === 'begin')).toBe(true);
    } finally {
      for (const s of sockets) s.destroy();
      await server.dispose();
    }
  });
});

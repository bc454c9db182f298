/**
 * The ssh client parser and rules on what a real OpenSSH `ssh -v` writes: starts sshd on 127.0.0.1
 * (test/helpers/sshd-server.ts) and runs real clients against it: a key login, a key-exchange
 * mismatch (-o KexAlgorithms=diffie-hellman-group1-sha1), a changed host key (a known_hosts entry
 * with another key for [127.0.0.1]:PORT, StrictHostKeyChecking=yes), a port nothing listens on, a
 * refused login (BatchMode, no key), and a first connection under a pseudo-terminal (`script`) that
 * stops at the host-key question, which nobody answers. The captured stderr goes through the parser
 * (events asserted, 0 unknown) and through the built binary (`connwatch replay --json`, exact rule ids).
 *
 * Needs root (sshd authenticates as a throwaway local user), openssh-server, openssh-client and
 * util-linux `script`; skips with the reason when one is missing.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event } from '../../agent/event.js';
import { LineRouter } from '../../agent/parsers/router.js';
import { jsonLines, runCli, waitFor } from '../helpers/cli.js';
import { ensureTestUser, freePort, sshdUnavailable, startSshd, which, type SshdServer } from '../helpers/sshd-server.js';

const missing =
  sshdUnavailable() ?? (which('ssh') ? undefined : 'ssh is missing (install openssh-client)') ?? (which('script') ? undefined : 'script is missing (install util-linux)');
if (missing) console.warn(`ssh-real: skipped: ${missing}`);

interface Run {
  code: number | null;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr });
    });
  });
}

/** Captured output through the router as the agent reads a file: CRLF removed, a last line without newline is partial. */
function parse(text: string): Event[] {
  const router = new LineRouter({ program: 'ssh' });
  const parts = text.split('\n');
  const last = parts.pop()!;
  const lines = parts.map((t) => ({ t: t.replace(/\r$/, ''), partial: false }));
  if (last) lines.push({ t: last, partial: true });
  const events = lines.flatMap((l, i) => router.route({ sourceId: 'ssh', text: l.t, receivedAt: 0, position: { source: 'ssh', line: i + 1 }, partial: l.partial }));
  return events.concat(router.end());
}

const USER = 'cwtest';

describe.skipIf(missing !== undefined)('ssh client parser and rules on a real ssh against a real sshd (127.0.0.1)', () => {
  let server: SshdServer;
  let dir: string;
  let key: string;
  let knownGood: string;
  const captures = new Map<string, string>();

  /** ssh -v with no user or system config, BatchMode, and the given known_hosts; returns stderr. */
  async function ssh(name: string, extra: string[], port: number, knownHosts = knownGood): Promise<string> {
    const r = await run('ssh', [
      '-v', '-F', '/dev/null',
      '-o', 'BatchMode=yes',
      '-o', `UserKnownHostsFile=${knownHosts}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'IdentitiesOnly=yes',
      '-o', 'ConnectTimeout=15',
      ...extra,
      '-p', String(port), `${USER}@127.0.0.1`, 'echo ok',
    ]);
    captures.set(name, r.stderr);
    return r.stderr;
  }

  async function rulesFor(name: string): Promise<string[]> {
    const file = join(dir, `${name}.stderr`);
    writeFileSync(file, captures.get(name)!);
    const r = await runCli(['replay', '--json', file]);
    expect(r.code, r.stderr).toBe(0);
    return [...new Set(jsonLines(r.stdout).map((a) => String(a.rule)))].sort();
  }

  beforeAll(async () => {
    ensureTestUser(USER);
    dir = mkdtempSync(join(tmpdir(), 'connwatch-ssh-real-'));
    key = join(dir, 'id_ed25519');
    expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'connwatch-test-client', '-f', key])).code).toBe(0);
    server = await startSshd({ config: ['KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org'], authorizedKeys: readFileSync(`${key}.pub`, 'utf8') });
    knownGood = join(dir, 'known_hosts.good');
    writeFileSync(knownGood, `[127.0.0.1]:${server.port} ${server.hostKeyPub}\n`);
  }, 60_000);

  afterAll(async () => {
    await server?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a key login: connect, versions, kex, host key, auth, session, exit status; no rule of severity warning or above', async () => {
    const events = parse(await ssh('success', ['-i', key, '-o', 'StrictHostKeyChecking=yes'], server.port));
    expect(events.filter((e) => e.kind === 'unknown').map((e) => e.raw.text)).toEqual([]);
    const kinds = events.map((e) => e.kind);
    for (const k of ['connect.start', 'connect.established', 'version.local', 'version.remote', 'kex.start', 'kex.method', 'hostkey.fingerprint', 'kex.done', 'auth.username', 'auth.attempt', 'auth.success', 'session.started', 'session.ended'] as const) {
      expect(kinds, k).toContain(k);
    }
    expect(events.find((e) => e.kind === 'connect.start')).toMatchObject({ host: '127.0.0.1', port: server.port });
    expect(events.find((e) => e.kind === 'kex.method')!.detail.method).toMatch(/^curve25519-sha256/);
    expect(events.find((e) => e.kind === 'hostkey.fingerprint')!.detail.fingerprint).toBe(server.hostKeyFingerprint);
    expect(events.find((e) => e.kind === 'auth.username')).toMatchObject({ user: USER, host: '127.0.0.1', port: server.port });
    expect(events.find((e) => e.kind === 'auth.success')).toMatchObject({ host: '127.0.0.1', port: server.port, detail: { method: 'publickey' } });
    expect(events.find((e) => e.kind === 'session.ended')!.detail.exitStatus).toBe(0);
    expect(await rulesFor('success')).toEqual([]);
  }, 60_000);

  it('no common key exchange: kex.failed with the server offer; rule ssh.kex.no-common-algorithm', async () => {
    const events = parse(await ssh('kex', ['-i', key, '-o', 'KexAlgorithms=diffie-hellman-group1-sha1'], server.port));
    expect(events.filter((e) => e.kind === 'unknown').map((e) => e.raw.text)).toEqual([]);
    const f = events.find((e) => e.kind === 'kex.failed');
    expect(f).toMatchObject({ host: '127.0.0.1', port: server.port, detail: { reason: 'no-common-algorithm', algClass: 'kex', option: 'KexAlgorithms' } });
    expect(String(f!.detail.serverOffer)).toContain('curve25519-sha256');
    expect(String(f!.detail.serverOffer)).not.toContain('diffie-hellman-group1-sha1');
    expect(await rulesFor('kex')).toEqual(['ssh.kex.no-common-algorithm']);
  }, 60_000);

  it('a changed host key: one hostkey.changed with the new fingerprint and known_hosts line, then the abort; rule ssh.hostkey.changed', async () => {
    const other = join(dir, 'other_host_key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'not-the-server', '-f', other]);
    const knownBad = join(dir, 'known_hosts.bad');
    writeFileSync(knownBad, `[127.0.0.1]:${server.port} ${readFileSync(`${other}.pub`, 'utf8').trim()}\n`);
    const events = parse(await ssh('changed', ['-i', key, '-o', 'StrictHostKeyChecking=yes'], server.port, knownBad));
    expect(events.filter((e) => e.kind === 'unknown').map((e) => e.raw.text)).toEqual([]);
    const changed = events.filter((e) => e.kind === 'hostkey.changed');
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({
      host: '127.0.0.1',
      port: server.port,
      detail: { keyType: 'ED25519', fingerprint: server.hostKeyFingerprint, knownHosts: knownBad, knownHostsLine: 1, hostPattern: `[127.0.0.1]:${server.port}`, strict: true },
    });
    expect(events.find((e) => e.kind === 'connect.aborted')).toMatchObject({ detail: { reason: 'hostkey', keyState: 'changed' } });
    expect(events.some((e) => e.kind === 'auth.success')).toBe(false);
    expect(await rulesFor('changed')).toEqual(['ssh.hostkey.changed']);
  }, 60_000);

  it('a port nothing listens on: connect.failed refused; rule ssh.network.refused', async () => {
    const port = await freePort();
    const events = parse(await ssh('refused', ['-i', key], port));
    expect(events.filter((e) => e.kind === 'unknown').map((e) => e.raw.text)).toEqual([]);
    expect(events.find((e) => e.kind === 'connect.failed')).toMatchObject({ host: '127.0.0.1', port, detail: { reason: 'refused' } });
    expect(await rulesFor('refused')).toEqual(['ssh.network.refused']);
  }, 60_000);

  it('BatchMode and no usable key: Permission denied as auth.no-methods for the user; rule ssh.auth.permission-denied', async () => {
    const events = parse(await ssh('denied', ['-o', 'PubkeyAuthentication=no', '-o', 'StrictHostKeyChecking=yes'], server.port));
    expect(events.filter((e) => e.kind === 'unknown').map((e) => e.raw.text)).toEqual([]);
    const d = events.find((e) => e.kind === 'auth.no-methods');
    expect(d).toMatchObject({ host: '127.0.0.1', user: USER });
    expect(String(d!.detail.methods)).toContain('publickey');
    expect(await rulesFor('denied')).toEqual(['ssh.auth.permission-denied']);
  }, 60_000);

  it('a first connection on a terminal nobody watches: the question waits (prompt.hostkey); rule ssh.hostkey.prompt-hang', async () => {
    const empty = join(dir, 'known_hosts.empty');
    writeFileSync(empty, '');
    const cmd = ['ssh', '-F', '/dev/null', '-o', `UserKnownHostsFile=${empty}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'IdentitiesOnly=yes', '-i', key, '-p', String(server.port), `${USER}@127.0.0.1`, 'echo ok'];
    // script gives ssh a pseudo-terminal; its stdin is a pipe we never write to: nobody answers.
    const child = spawn('script', ['-q', '-e', '-c', cmd.map((a) => `'${a}'`).join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    try {
      await waitFor(() => /continue connecting \(yes\/no[^)]*\)\? $/.test(out), 30_000, 'the host-key question');
    } finally {
      if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
    }
    captures.set('prompt', out);
    const events = parse(out);
    expect(events.filter((e) => e.kind === 'unknown').map((e) => e.raw.text)).toEqual([]);
    expect(events.find((e) => e.kind === 'hostkey.unknown')).toMatchObject({ host: '127.0.0.1', port: server.port });
    expect(events.find((e) => e.kind === 'hostkey.fingerprint')!.detail).toMatchObject({ keyType: 'ED25519', fingerprint: server.hostKeyFingerprint });
    expect(events.at(-1)).toMatchObject({ kind: 'prompt.hostkey', detail: { keyState: 'new' } });
    expect(await rulesFor('prompt')).toEqual(['ssh.hostkey.prompt-hang']);
  }, 60_000);
});

/**
 * `connwatch wrap -- plink …` against a real sshd on 127.0.0.1, with a HOME where plink knows no
 * host key, so plink asks "Store key in cache?", stdin a pipe (as Xming starts plink), no
 * controlling terminal (so no pty: plink behaves as under Xming):
 *   - a person answering it through the wrap still sees the question and gets plink's exit code;
 *     the capture holds the question, `waiting on:"stdin"` (from /proc) before the answer and an
 *     `input` record of 2 bytes (not their content) after it;
 *   - answered (`n`: connect just once) with a key that logs in and a command that stays quiet: after the answer
 *     the capture says `waiting on:"socket"` (in the session), never stdin again;
 *   - when nobody answers, the capture says `waiting on:"stdin"` and the running agent, which
 *     tails the capture directory, raises plink.hostkey.prompt-hang after the window.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, startCli, waitFor } from '../helpers/cli.js';
import { plinkEnv } from '../helpers/putty.js';
import { ensureTestUser, sshdUnavailable, startSshd, which, type SshdServer } from '../helpers/sshd-server.js';

const skip = sshdUnavailable() ?? (which('plink') ? undefined : 'plink (putty-tools) is not installed');

describe.skipIf(skip)('connwatch wrap -- plink, against a real sshd', () => {
  let server: SshdServer;
  let user: string;
  let home: string;

  let ppk: string;

  beforeAll(async () => {
    user = ensureTestUser();
    home = mkdtempSync(join(tmpdir(), 'connwatch-wrap-'));
    const key = join(home, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    ppk = `${key}.ppk`;
    execFileSync('puttygen', [key, '-O', 'private', '-o', ppk]);
    server = await startSshd({ authorizedKeys: readFileSync(`${key}.pub`, 'utf8') });
  });
  afterAll(async () => {
    await server?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  function wrapPlink(captureDir: string, auth: string[] = ['-pw', 'not-the-password'], command = 'echo connwatch-ok') {
    const child = spawn(
      process.execPath,
      [BIN, 'wrap', '--capture-dir', captureDir, '--', 'plink', '-v', '-ssh', '-P', String(server.port), '-l', user, ...auth, '127.0.0.1', command],
      // detached: a session of its own, without a controlling terminal, as under Xming
      { env: { ...process.env, ...plinkEnv(home) }, stdio: ['pipe', 'pipe', 'pipe'], detached: true },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, stderr: () => stderr, exited };
  }

  it('a person sees the host-key question through the wrap, answers it, and gets plink\'s exit code', async () => {
    const captures = join(home, 'captures-answered');
    const p = wrapPlink(captures);
    await waitFor(() => p.stderr().includes('Store key in cache? (y/n, Return cancels connection, i for more info) '), 20_000, 'the prompt');
    await new Promise((r) => setTimeout(r, 1000)); // a person reads before answering; the capture marks the wait
    p.child.stdin!.write('n\n');
    const code = await p.exited;
    // plink went past the question (key exchange finished, password tried), then failed the login
    expect(p.stderr()).toMatch(/Initialised .* encryption/);
    expect(p.stderr()).toMatch(/Configured password was not accepted|Access denied/);
    expect(code).toBe(1);
    const records = readCapture(captures);
    expect(records[0]).toMatchObject({ event: 'start', host: '127.0.0.1', port: server.port });
    expect(records[0]!.argv).toContain('***');
    expect(JSON.stringify(records)).not.toContain('not-the-password');
    const prompt = records.findIndex((r) => r.partial === true && String(r.text).startsWith('Store key in cache?'));
    expect(prompt).toBeGreaterThan(0);
    const waiting = records.findIndex((r) => r.event === 'waiting');
    expect(records[waiting]).toMatchObject({ on: 'stdin', fd: 0 });
    const input = records.findIndex((r) => r.event === 'input');
    expect(records[input]).toMatchObject({ bytes: 2, to: 'stdin' });
    expect(prompt).toBeLessThan(waiting);
    expect(waiting).toBeLessThan(input);
    expect(records.at(-1)).toMatchObject({ event: 'exit', code: 1 });
  });

  it('answered, logged in, a quiet command: after the answer the client waits on its socket', async () => {
    const captures = join(home, 'captures-session');
    const p = wrapPlink(captures, ['-i', ppk], 'sleep 3; echo connwatch-done');
    await waitFor(() => p.stderr().includes('Store key in cache?'), 20_000, 'the prompt');
    await waitFor(() => existsWaiting(captures, 'stdin'), 10_000, 'waiting on stdin');
    // "n" = carry on just this once: the next test of this file meets the same server and must
    // again be asked
    p.child.stdin!.write('n\n');
    expect(await p.exited).toBe(0);
    const records = readCapture(captures);
    const input = records.findIndex((r) => r.event === 'input');
    expect(records[input]).toMatchObject({ bytes: 2, to: 'stdin' });
    const after = records.slice(input + 1).filter((r) => r.event === 'waiting');
    expect(after.map((r) => r.on)).toContain('socket');
    expect(after.map((r) => r.on)).not.toContain('stdin');
    expect(records.some((r) => r.stream === 'stdout' && r.text === 'connwatch-done')).toBe(true);
  });

  it('nobody answers: the agent tailing the captures raises plink.hostkey.prompt-hang', async () => {
    const captures = join(home, 'captures-silent');
    mkdirSync(captures);
    const agentHome = mkdtempSync(join(tmpdir(), 'connwatch-wrap-agent-'));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: agentHome, XDG_CONFIG_HOME: join(agentHome, '.config'), XDG_STATE_HOME: join(agentHome, 'state') };
    delete env.JOURNAL_STREAM;
    const agent = startCli(['run', '--no-defaults', '--no-notify', '--watch', join(captures, '*.jsonl'), '--hang-window', '3s'], env);
    try {
      await waitFor(() => agent.output().includes('connwatch running'), 30_000, 'agent start');
      const p = wrapPlink(captures); // stdin stays open and silent, as under Xming
      await waitFor(() => p.stderr().includes('Store key in cache?'), 20_000, 'the prompt');
      await waitFor(() => existsWaiting(captures, 'stdin'), 10_000, 'waiting on stdin in the capture');
      const line = await waitFor(() => agent.output().split('\n').find((l) => l.includes('alert plink.hostkey.prompt-hang')), 30_000, 'the hang alert');
      expect(line).toContain('127.0.0.1');
      p.child.kill('SIGTERM');
      await p.exited;
    } finally {
      await agent.stop();
      rmSync(agentHome, { recursive: true, force: true });
    }
  });
});

function readCapture(dir: string): Array<Record<string, unknown>> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  expect(files).toHaveLength(1);
  return readFileSync(join(dir, files[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

function existsWaiting(dir: string, on: string): boolean {
  try {
    return readdirSync(dir).some((f) => readFileSync(join(dir, f), 'utf8').includes(`"event":"waiting","on":"${on}"`));
  } catch {
    return false;
  }
}

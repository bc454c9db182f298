/**
 * `connwatch wrap -- plink …` against a real sshd on 127.0.0.1, with a HOME where plink knows no
 * host key, so plink asks "Store key in cache?":
 *   - a person answering it through the wrap still sees the question and gets plink's exit code;
 *   - when nobody answers, the running agent, which tails the capture directory, raises
 *     plink.hostkey.prompt-hang after the window.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, startCli, waitFor } from '../helpers/cli.js';
import { ensureTestUser, sshdUnavailable, startSshd, which, type SshdServer } from '../helpers/sshd-server.js';

const skip = sshdUnavailable() ?? (which('plink') ? undefined : 'plink (putty-tools) is not installed');

describe.skipIf(skip)('connwatch wrap -- plink, against a real sshd', () => {
  let server: SshdServer;
  let user: string;
  let home: string;

  beforeAll(async () => {
    user = ensureTestUser();
    server = await startSshd();
    home = mkdtempSync(join(tmpdir(), 'connwatch-wrap-'));
  });
  afterAll(async () => {
    await server?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  function wrapPlink(captureDir: string) {
    const child = spawn(
      process.execPath,
      [BIN, 'wrap', '--capture-dir', captureDir, '--', 'plink', '-v', '-ssh', '-P', String(server.port), '-l', user, '-pw', 'not-the-password', '127.0.0.1', 'echo connwatch-ok'],
      { env: { ...process.env, HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] },
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
    const [capture] = readdirSync(captures);
    const records = readFileSync(join(captures, capture!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.some((r) => r.partial === true && String(r.text).startsWith('Store key in cache?'))).toBe(true);
    expect(records.at(-1)).toMatchObject({ event: 'exit', code: 1 });
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

/**
 * The founding incidents written live, line by line, into files that a real `connwatch run`
 * watches, with a real notification server on a private D-Bus session bus: the alerts arrive as
 * desktop notifications, the hang after the configured window.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, startCli, waitFor } from '../helpers/cli.js';
import { startNotifyServer, type NotifyServer } from '../helpers/notify-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes a transcript line by line, keeping its bytes: the last line may lack its newline. */
async function writeLive(path: string, transcript: string, delayMs = 20): Promise<void> {
  const parts = transcript.split(/(?<=\n)/);
  for (const p of parts) {
    appendFileSync(path, p);
    await sleep(delayMs);
  }
}

describe('connwatch run: incidents written live reach a real notification server', () => {
  let server: NotifyServer;
  let home: string;
  let agent: ReturnType<typeof startCli>;
  const files = { gex: '', hang: '', ok: '' };

  beforeAll(async () => {
    server = await startNotifyServer();
    home = mkdtempSync(join(tmpdir(), 'connwatch-e2e-'));
    for (const k of Object.keys(files) as Array<keyof typeof files>) {
      files[k] = join(home, `${k}.log`);
      writeFileSync(files[k], '');
    }
    const env: NodeJS.ProcessEnv = { ...process.env, ...server.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, '.local', 'state') };
    delete env.JOURNAL_STREAM;
    agent = startCli(
      ['run', '--no-defaults', '--watch', files.gex, '--watch', files.hang, '--watch', files.ok, '--hang-window', '3s', '--fold', '200ms', '--partial-flush', '300ms'],
      env,
    );
    await waitFor(() => agent.output().includes('connwatch running'), 30_000, 'the agent to start');
  });

  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('notifies the old-GEX failure, then the host-key hang after the window, and nothing for the good connection', async () => {
    const t0 = Date.now();
    await writeLive(files.ok, readFileSync(join(FIXTURES, 'incidents', 'plink-0.60-ok-openssh-6.7.txt'), 'utf8'));
    await writeLive(files.gex, readFileSync(join(FIXTURES, 'incidents', 'plink-0.60-gex-fail-openssh-7.2.txt'), 'utf8'));
    const [gex] = await server.waitForCalls(1, 20_000);
    expect(gex!.summary).toMatch(/^plink is too old for this SSH server — 127\.0\.0\.1/);
    expect(gex!.body).toMatch(/expected key exchange group packet from server/);
    expect(gex!.body).toMatch(/0\.65 or newer/);
    expect(gex!.appName).toBe('connwatch');
    expect(gex!.hints.urgency).toBe(1);

    const hangWritten = Date.now();
    await writeLive(files.hang, readFileSync(join(FIXTURES, 'incidents', 'plink-0.67-hostkey-changed-hang.txt'), 'utf8'));
    const hang = (await waitFor(async () => (await server.calls()).find((c) => c.summary.startsWith('plink waits')), 30_000, 'the hang notification'))!;
    const waited = Date.now() - hangWritten;
    expect(hang.summary).toMatch(/^plink waits for a host-key answer nobody can give — 127\.0\.0\.1/);
    expect(hang.body).toMatch(/Update cached key\?/);
    expect(hang.body).toMatch(/-batch/);
    expect(waited).toBeGreaterThanOrEqual(3000); // not before the window ran out

    // besides these, only the warning that the host key changed; the good connection raised nothing
    await sleep(1500);
    const summaries = (await server.calls()).map((c) => c.summary.replace(/ — .*/, ''));
    const allowed = ['plink is too old for this SSH server', 'plink waits for a host-key answer nobody can give', 'The host key of 127.0.0.1 changed'];
    expect(summaries.filter((x) => !allowed.includes(x))).toEqual([]);
    expect(summaries).toContain('plink is too old for this SSH server');
    expect(summaries).toContain('plink waits for a host-key answer nobody can give');
    expect(Date.now() - t0).toBeLessThan(120_000);
    const history = readFileSync(join(home, '.local', 'state', 'connwatch', 'alerts.jsonl'), 'utf8');
    expect(history).toMatch(/plink\.kex\.gex-old-client/);
    expect(history).toMatch(/plink\.hostkey\.prompt-hang/);
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    const code = await agent.stop();
    expect(code).toBe(0);
    expect(agent.output()).toMatch(/connwatch stopped/);
  });
});

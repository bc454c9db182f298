/**
 * Live absence windows and old timestamps: a prompt read from history (--from-start) whose line
 * says 2020 must not count as expired the moment it is read. The window runs from when the line
 * was read, so the answer written a second later still closes it; an unanswered one still fires.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCli, waitFor } from '../helpers/cli.js';

const T0 = Date.UTC(2020, 0, 1, 9, 0, 0);
const rec = (o: Record<string, unknown>) => JSON.stringify({ v: 1, pid: 4242, program: 'plink', ...o }) + '\n';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('live windows for lines with old timestamps', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  async function agentOn(lines: string) {
    const home = mkdtempSync(join(tmpdir(), 'connwatch-backlog-'));
    cleanup.push(() => rmSync(home, { recursive: true, force: true }));
    const log = join(home, 'capture.jsonl');
    writeFileSync(log, lines);
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, 'c'), XDG_STATE_HOME: join(home, 's') };
    delete env.JOURNAL_STREAM;
    const agent = startCli(['run', '--no-defaults', '--no-notify', '--from-start', '--watch', log, '--hang-window', '3s'], env);
    cleanup.push(() => agent.stop());
    await waitFor(() => agent.output().includes('connwatch running'), 30_000, 'agent start');
    return { agent, log };
  }

  const start =
    rec({ t: T0, event: 'start', argv: ['plink', '-v', '127.0.0.1'] }) +
    rec({ t: T0 + 10, stream: 'stderr', text: 'Connecting to 127.0.0.1 port 22' }) +
    rec({ t: T0 + 20, stream: 'stderr', text: 'Store key in cache? (y/n, Return cancels connection, i for more info) ', partial: true });

  it('an answer read a second after the old prompt closes its window', async () => {
    const { agent, log } = await agentOn(start);
    await sleep(1200);
    appendFileSync(log, rec({ t: T0 + 5000, stream: 'stderr', text: 'Initialised AES-256 SDCTR outbound encryption', cont: true }));
    await sleep(4500);
    expect(agent.output()).not.toContain('alert plink.hostkey.prompt-hang');
  });

  it('an old prompt that nothing follows still fires after the window', async () => {
    const { agent } = await agentOn(start);
    await waitFor(() => agent.output().includes('alert plink.hostkey.prompt-hang'), 20_000, 'the hang alert');
  });
});

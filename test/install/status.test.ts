/**
 * `connwatch status` against a real running agent in a temporary HOME: the service state from a
 * stand-in systemctl, the sources, counts and rules from the status file the agent keeps, and
 * "not running" once the agent stopped (stale status file) or never ran.
 */
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli, waitFor } from '../helpers/cli.js';
import { tempHome, writeSystemctl } from './home.js';

const h = tempHome('connwatch-status-');
let agent: ReturnType<typeof startCli> | undefined;
afterAll(async () => {
  await agent?.stop();
  rmSync(h.root, { recursive: true, force: true });
});

describe('connwatch status', () => {
  it('without a status file: not running, exit 3; without a user manager: says so', async () => {
    writeSystemctl(h.stubDir, h.argvLog, { noManager: true });
    const r = await runCli(['status'], { env: h.env() });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^service: unknown: no user manager \(Failed to connect to bus: No medium found\)$/m);
    expect(r.stdout).toMatch(/^agent: not running \(no status file at .*status\.json/m);
  });

  it('while the agent runs: service state, sources, counts; after it stops: stale, not running', async () => {
    writeSystemctl(h.stubDir, h.argvLog, { answers: { 'is-active connwatch.service': { stdout: 'active', code: 0 }, 'is-enabled connwatch.service': { stdout: 'enabled', code: 0 } } });
    const log = join(h.root, 'watched.log');
    writeFileSync(log, '');
    agent = startCli(['run', '--no-defaults', '--no-notify', '--watch', log], h.env());
    await waitFor(() => agent!.output().includes('connwatch running'), 30_000, 'the agent to start');
    appendFileSync(log, 'Looking up host "127.0.0.1" for SSH connection\n');
    const running = await waitFor(async () => {
      const r = await runCli(['status'], { env: h.env() });
      return / 1 lines/.test(r.stdout) ? r : undefined;
    }, 30_000, 'status to show the line');
    if (!running) throw new Error('unreachable');
    expect(running.code).toBe(0);
    expect(running.stdout).toMatch(/^service: active, enabled$/m);
    expect(running.stdout).toMatch(new RegExp(`^agent: running, pid ${agent.child.pid}, since `, 'm'));
    expect(running.stdout).toContain(`  ${log}: watching, 1 file, 1 lines`);
    expect(running.stdout).toMatch(/^counts: \d+ lines, \d+ events/m);
    expect(running.stdout).toMatch(/^rules: \d+ loaded/m);
    expect(await agent.stop()).toBe(0);
    const stopped = await runCli(['status'], { env: h.env() });
    expect(stopped.code).toBe(3);
    expect(stopped.stdout).toMatch(new RegExp(`^agent: not running \\(the status file .* is stale: pid ${agent.child.pid} is gone`, 'm'));
  });
});

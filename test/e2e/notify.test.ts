/**
 * Desktop notifications from the real agent process, received by a real notification server:
 * a failure, a hang, a burst folded into one notification with its count, no second
 * notification when a restart re-reads the same lines, hostile log text arriving as plain text,
 * and alerts kept while no server runs and delivered when one appears, with one warning.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCli, waitFor } from '../helpers/cli.js';
import { startNotifyServer, type NotifyServer } from '../helpers/notify-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const RULES = {
  rules: [
    {
      id: 'test.sshd.failed',
      title: 'Failed login for {user}',
      description: 'every failed sshd login (test rule)',
      severity: 'error',
      category: 'auth',
      conditions: {
        all: [
          { fact: 'program', operator: 'equal', value: 'sshd' },
          { fact: 'kind', operator: 'equal', value: 'auth.failed' },
          // the user-title rule's address: that attempt's notification is the user-title rule's alone
          { fact: 'host', operator: 'notEqual', value: '192.0.2.40' },
        ],
      },
      message: 'sshd refused {user} from {host}: {raw.text}',
      remedy: 'Check the password of {user}.',
      throttle: { within: '10m', key: ['host'] },
    },
    {
      id: 'test.sshd.user-title',
      title: '{user}',
      description: 'a title that starts with log text (test rule)',
      severity: 'warning',
      category: 'auth',
      conditions: { all: [{ fact: 'kind', operator: 'equal', value: 'auth.failed' }, { fact: 'host', operator: 'equal', value: '192.0.2.40' }] },
      message: '{user}',
      remedy: 'none',
    },
    {
      id: 'test.sshd.critical',
      title: 'Root login refused',
      description: 'critical test rule',
      severity: 'critical',
      category: 'security',
      conditions: { all: [{ fact: 'kind', operator: 'equal', value: 'auth.failed' }, { fact: 'user', operator: 'equal', value: 'root' }] },
      message: 'root from {host}',
      remedy: 'Nobody should log in as root.',
    },
  ],
};

const failed = (user: string, host: string, port: number, sec = 0) =>
  `2026-11-21T13:30:${String(sec).padStart(2, '0')}.000000+00:00 vm sshd[${1000 + port}]: Failed password for ${user} from ${host} port ${port} ssh2\n`;

interface Env {
  home: string;
  log: string;
  rules: string;
  env: NodeJS.ProcessEnv;
}

function makeEnv(server: NotifyServer | undefined): Env {
  const home = mkdtempSync(join(tmpdir(), 'connwatch-notify-'));
  const rules = join(home, 'rules');
  mkdirSync(rules);
  writeFileSync(join(rules, 'test.json'), JSON.stringify(RULES));
  const log = join(home, 'auth.log');
  writeFileSync(log, '');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, 'state') };
  delete env.JOURNAL_STREAM;
  delete env.DBUS_SESSION_BUS_ADDRESS;
  delete env.XDG_RUNTIME_DIR;
  if (server) Object.assign(env, server.env);
  return { home, log, rules, env };
}

function agentArgs(e: Env, extra: string[] = []): string[] {
  return ['run', '--no-defaults', '--no-builtin', '--rules', e.rules, '--watch', e.log, '--fold', '1500ms', ...extra];
}

describe('notifications from the running agent', () => {
  let server: NotifyServer;
  const cleanup: Array<() => Promise<unknown> | void> = [];

  beforeAll(async () => {
    server = await startNotifyServer();
  });
  beforeEach(async () => {
    await server.clear();
  });
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
    await server.clear();
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function start(e: Env, extra: string[] = []) {
    const agent = startCli(agentArgs(e, extra), e.env);
    cleanup.push(() => agent.stop());
    await waitFor(() => agent.output().includes('connwatch running'), 30_000, 'agent start');
    return agent;
  }

  it('a failure: summary, body, urgency, category and app name; a critical one stays', async () => {
    const e = makeEnv(server);
    cleanup.push(() => rmSync(e.home, { recursive: true, force: true }));
    await start(e);
    appendFileSync(e.log, failed('alice', '192.0.2.7', 50000));
    appendFileSync(e.log, failed('root', '192.0.2.8', 50001));
    const calls = await server.waitForCalls(2, 20_000);
    const alice = calls.find((c) => c.summary.startsWith('Failed login for alice'))!;
    expect(alice.summary).toBe('Failed login for alice — 192.0.2.7');
    expect(alice.body).toContain('sshd refused alice from 192.0.2.7');
    expect(alice.body).toContain('Check the password of alice.');
    expect(alice.appName).toBe('connwatch');
    expect(alice.hints.urgency).toBe(1);
    expect(alice.hints.category).toBe('network.error');
    const root = calls.find((c) => c.summary.startsWith('Root login refused'))!;
    expect(root.hints.urgency).toBe(2);
    expect(root.expireTimeout).toBe(0);
  });

  it('a burst of 50 identical failures is one notification, shown at once and updated in place to the count', async () => {
    const e = makeEnv(server);
    cleanup.push(() => rmSync(e.home, { recursive: true, force: true }));
    await start(e);
    let burst = '';
    for (let i = 0; i < 50; i++) burst += failed('bob', '198.51.100.9', 40000 + i, i % 60);
    appendFileSync(e.log, burst);
    await server.waitForCalls(1, 20_000);
    await sleep(3000);
    const calls = await server.calls();
    // one notification: a new one first, any later call an update of it (at most one per --fold
    // interval; when the whole burst is read within the first notification's gathering, none)
    expect(calls[0]!.replacesId).toBe(0);
    expect(calls.length).toBeLessThanOrEqual(4);
    for (const c of calls.slice(1)) expect(c.replacesId).toBeGreaterThan(0);
    expect(new Set(calls.slice(1).map((c) => c.replacesId)).size).toBeLessThanOrEqual(1);
    expect(calls.at(-1)!.summary).toMatch(/×50/);
  });

  it('a restart that re-reads the same lines does not notify again', async () => {
    const e = makeEnv(server);
    cleanup.push(() => rmSync(e.home, { recursive: true, force: true }));
    writeFileSync(e.log, failed('carol', '203.0.113.5', 41000) + failed('dave', '203.0.113.6', 41001));
    const first = await start(e, ['--from-start']);
    await server.waitForCalls(2, 20_000);
    expect(await first.stop()).toBe(0);
    rmSync(join(e.home, 'state', 'connwatch', 'checkpoints.json'), { force: true }); // force a re-read from the start
    const second = await start(e, ['--from-start']);
    await waitFor(() => second.output().includes('connwatch running'), 10_000);
    await sleep(3000);
    expect((await server.calls()).length).toBe(2);
  });

  it('hostile log text arrives as plain text and runs nothing', async () => {
    const e = makeEnv(server);
    cleanup.push(() => rmSync(e.home, { recursive: true, force: true }));
    const marker = join(e.home, 'pwned');
    await start(e);
    appendFileSync(e.log, failed('--urgency=low', '192.0.2.20', 42000));
    appendFileSync(e.log, failed(`<a href="http://evil.example/">click</a>\\temp\\new`, '192.0.2.21', 42001));
    appendFileSync(e.log, failed(`$(touch ${marker})\`touch ${marker}\`";touch ${marker};"`, '192.0.2.22', 42002));
    appendFileSync(e.log, failed('-u critical', '192.0.2.40', 42003));
    const calls = await server.waitForCalls(4, 20_000); // one per attempt
    const lead = calls.find((c) => c.summary.startsWith('‐u critical'))!; // U+2010: not taken as an option
    expect(lead.hints.urgency).toBe(1);
    expect(lead.body.startsWith('‐u critical')).toBe(true);
    const dash = calls.find((c) => c.summary.includes('urgency=low'))!;
    expect(dash.hints.urgency).toBe(1); // not lowered by the "option"
    expect(dash.summary).toBe('Failed login for --urgency=low — 192.0.2.20'); // mid-argument: harmless, kept as written
    const html = calls.find((c) => c.summary.includes('click'))!;
    expect(html.body).toContain('&lt;a href="http://evil.example/"&gt;click&lt;/a&gt;\\temp\\new');
    const shell = calls.find((c) => c.summary.includes('touch'))!;
    expect(shell.body).toContain(`$(touch ${marker})`);
    expect(existsSync(marker)).toBe(false);
  });

  it('with no notification server, alerts are kept, one warning is logged, and they arrive once a server runs', async () => {
    const bus = await startNotifyServer({ server: false });
    cleanup.push(() => bus.stop());
    const e = makeEnv(bus);
    cleanup.push(() => rmSync(e.home, { recursive: true, force: true }));
    const agent = await start(e, ['--retry-notify', '1s']);
    appendFileSync(e.log, failed('erin', '192.0.2.30', 43000));
    appendFileSync(e.log, failed('frank', '192.0.2.31', 43001));
    await waitFor(() => /notification/i.test(agent.output()) && agent.output().includes('warn'), 20_000, 'the warning');
    await sleep(2500);
    const warnings = agent.output().split('\n').filter((l) => / warn /.test(l) && /notif/i.test(l));
    expect(warnings).toHaveLength(1);
    await bus.startServer();
    const calls = await bus.waitForCalls(2, 30_000);
    expect(calls.map((c) => c.summary).sort()).toEqual(['Failed login for erin — 192.0.2.30', 'Failed login for frank — 192.0.2.31']);
  });

  for (const how of ['SIGTERM', 'SIGKILL'] as const) {
    it(`alerts not shown yet survive a ${how === 'SIGTERM' ? 'stop' : 'kill -9'}: the next start shows each once`, async () => {
      const bus = await startNotifyServer({ server: false });
      cleanup.push(() => bus.stop());
      const e = makeEnv(bus);
      cleanup.push(() => rmSync(e.home, { recursive: true, force: true }));
      const first = await start(e, ['--retry-notify', '1h']);
      appendFileSync(e.log, failed('gina', '192.0.2.50', 44000));
      appendFileSync(e.log, failed('hank', '192.0.2.51', 44001));
      const pending = join(e.home, 'state', 'connwatch', 'pending-notifications.json');
      await waitFor(() => existsSync(pending) && readFileSync(pending, 'utf8').includes('192.0.2.51'), 20_000, 'the pending file');
      expect(statSync(pending).mode & 0o777).toBe(0o600);
      if (how === 'SIGTERM') {
        expect(await first.stop()).toBe(0);
        expect(first.output()).toMatch(/2 alert\(s\) were not shown on the desktop yet; they are shown after the next start/);
      } else {
        first.child.kill('SIGKILL');
        await new Promise((r) => first.child.once('exit', r));
      }
      await bus.startServer();
      const second = await start(e);
      const calls = await bus.waitForCalls(2, 20_000);
      expect(calls.map((c) => c.summary).sort()).toEqual(['Failed login for gina — 192.0.2.50', 'Failed login for hank — 192.0.2.51']);
      await waitFor(() => !existsSync(pending), 10_000, 'the pending file removed once shown');
      // a third start has nothing left to show
      expect(await second.stop()).toBe(0);
      await start(e);
      await sleep(2000);
      expect(await bus.calls()).toHaveLength(2);
    });
  }
});

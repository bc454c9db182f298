/**
 * Hot reload of rule files in a real `connwatch run` (a separate process with its own HOME):
 * a good user rule alerts; a broken file that replaces it is reported with the file, the rule
 * and the field, and the agent keeps the last good rules (a matching line still alerts with the
 * old text); the fixed file's new text is used; and an absence window opened before a reload
 * still fires (or is closed by the event it waited for) after it.
 *
 * Lines carry RFC 3339 timestamps of the moment they are written, as rsyslog writes auth.log.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, waitFor } from '../helpers/cli.js';

const stamp = () => new Date().toISOString().replace('Z', '000+00:00');

function rules(version: string, probe: Record<string, unknown> = {}): string {
  const common = { description: 'A rule of the hot-reload test.', remedy: 'Nothing: this is a test.', severity: 'warning', category: 'other' };
  return JSON.stringify(
    {
      rules: [
        {
          id: 'local.reload.probe',
          title: `probe ${version} for {user}`,
          message: 'sshd refused {user} from {host}.',
          conditions: { all: [{ fact: 'program', operator: 'equal', value: 'sshd' }, { fact: 'kind', operator: 'equal', value: 'auth.failed' }] },
          key: ['user'],
          throttle: { within: '1ms', key: ['user'] },
          ...common,
          ...probe,
        },
        {
          id: 'local.reload.wait',
          title: `wait ${version} port {port}`,
          message: 'sshd saw a connection from {host} port {port} and nothing else for {within}.',
          conditions: { all: [{ fact: 'program', operator: 'equal', value: 'sshd' }, { fact: 'kind', operator: 'equal', value: 'connect.start' }] },
          expect: { within: '10s', key: ['connection.id'] },
          key: ['connection.id'],
          ...common,
        },
      ],
    },
    null,
    2,
  );
}

describe('connwatch run: rule files reloaded while it runs', () => {
  let home: string;
  let dir: string;
  let file: string;
  let log: string;
  let agent: ReturnType<typeof startCli>;
  const line = (pid: number, msg: string) => appendFileSync(log, `${stamp()} vm sshd[${pid}]: ${msg}\n`);
  const alerts = (rule: string) => agent.output().split('\n').filter((l) => l.includes(`alert ${rule} (`));
  const reloads = () => agent.output().split('\n').filter((l) => /rules reloaded: /.test(l)).length;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'connwatch-reload-'));
    dir = join(home, 'rules');
    mkdirSync(dir);
    file = join(dir, 'local.json');
    writeFileSync(file, rules('v1'));
    log = join(home, 'auth.log');
    writeFileSync(log, '');
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, '.local', 'state'), XDG_RUNTIME_DIR: join(home, 'run') };
    delete env.JOURNAL_STREAM;
    agent = startCli(['run', '--no-defaults', '--no-notify', '--rules', dir, '--watch', log], env);
    await waitFor(() => agent.output().includes('connwatch running'), 30_000, 'the agent to start');
  });

  afterAll(async () => {
    await agent?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('a good user rule alerts on a matching line', async () => {
    line(4101, 'Failed password for alice from 127.0.0.1 port 50001 ssh2');
    await waitFor(() => alerts('local.reload.probe').length === 1, 20_000, 'the first alert');
    const [a] = alerts('local.reload.probe');
    expect(a).toMatch(/alert local\.reload\.probe \(warning\): probe v1 for alice — 127\.0\.0\.1/);
  });

  it('a broken file: the error names file, rule and field, the last good rules stay, a matching line still alerts with the old text', async () => {
    const before = reloads();
    writeFileSync(file, rules('v2', { severity: 'urgent' }));
    await waitFor(() => reloads() > before, 20_000, 'the reload');
    expect(agent.output()).toContain(`${file}: rule "local.reload.probe": "severity" must be one of info, warning, error, critical, got "urgent" — keeping the last good rules of this file`);
    line(4102, 'Failed password for bob from 127.0.0.1 port 50002 ssh2');
    await waitFor(() => alerts('local.reload.probe').length === 2, 20_000, 'the alert with the old rule');
    expect(alerts('local.reload.probe')[1]).toMatch(/probe v1 for bob/);
    expect(agent.child.exitCode).toBeNull();
  });

  it('a file that is not JSON at all: reported, last good rules kept', async () => {
    const before = reloads();
    writeFileSync(file, rules('v2').slice(0, 40));
    await waitFor(() => reloads() > before, 20_000, 'the reload');
    expect(agent.output()).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: is not valid JSON.* — keeping the last good rules of this file`));
    line(4103, 'Failed password for carol from 127.0.0.1 port 50003 ssh2');
    await waitFor(() => alerts('local.reload.probe').length === 3, 20_000, 'the alert with the old rule');
    expect(alerts('local.reload.probe')[2]).toMatch(/probe v1 for carol/);
  });

  it('the fixed file: its new text is used', async () => {
    const before = reloads();
    writeFileSync(file, rules('v2'));
    await waitFor(() => reloads() > before, 20_000, 'the reload');
    expect(agent.output().split('\n').filter((l) => /rules reloaded: /.test(l)).at(-1)).toMatch(/0 problem\(s\)/);
    line(4104, 'Failed password for dave from 127.0.0.1 port 50004 ssh2');
    await waitFor(() => alerts('local.reload.probe').length === 4, 20_000, 'the alert with the new rule');
    expect(alerts('local.reload.probe')[3]).toMatch(/probe v2 for dave/);
  });

  it('absence windows opened before a reload survive it: the unanswered one fires (with the new text), the answered one does not', async () => {
    const opened = Date.now();
    line(4201, 'Connection from 127.0.0.1 port 50101 on 127.0.0.1 port 2201 rdomain ""');
    line(4202, 'Connection from 127.0.0.1 port 50102 on 127.0.0.1 port 2201 rdomain ""');
    const before = reloads();
    writeFileSync(file, rules('v3'));
    await waitFor(() => reloads() > before, 20_000, 'the reload');
    // the reload must come while both windows (10 s) are open, or this test proves nothing
    expect(Date.now() - opened).toBeLessThan(10_000);
    line(4202, 'Connection closed by 127.0.0.1 port 50102 [preauth]');
    await waitFor(() => alerts('local.reload.wait').length >= 1, 30_000, 'the absence alert');
    const [w] = alerts('local.reload.wait');
    expect(w).toMatch(/alert local\.reload\.wait \(warning\): wait v3 port 50101/);
    // the answered connection never alerts: give its deadline time to pass
    await new Promise((r) => setTimeout(r, 2000));
    expect(alerts('local.reload.wait')).toHaveLength(1);
    expect(agent.output()).not.toMatch(/wait v\d port 50102/);
  });
});

describe('connwatch run: a rules directory made after start, or deleted and made again', () => {
  it('is read without a restart: the first own rule alerts, and so does the one in the remade directory', async () => {
    const home = mkdtempSync(join(tmpdir(), 'connwatch-rulesd-'));
    const log = join(home, 'auth.log');
    writeFileSync(log, '');
    // no ~/.config/connwatch at all, as on a machine where nothing was installed
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, 'state') };
    delete env.JOURNAL_STREAM;
    const agent = startCli(['run', '--no-defaults', '--no-notify', '--watch', log], env);
    const rulesDir = join(home, '.config', 'connwatch', 'rules.d');
    const rule = (id: string) =>
      JSON.stringify({
        rules: [
          {
            id,
            title: `${id} for {user}`,
            description: 'A first own rule.',
            message: 'sshd refused {user} from {host}.',
            remedy: 'Nothing: this is a test.',
            severity: 'warning',
            category: 'auth',
            conditions: { all: [{ fact: 'program', operator: 'equal', value: 'sshd' }, { fact: 'kind', operator: 'equal', value: 'auth.failed' }] },
            throttle: { within: '1ms', key: ['user'] },
          },
        ],
      });
    const line = (pid: number, user: string) => appendFileSync(log, `${stamp()} vm sshd[${pid}]: Failed password for ${user} from 192.0.2.7 port ${40000 + pid} ssh2\n`);
    try {
      await waitFor(() => agent.output().includes('connwatch running'), 30_000, 'agent start');
      mkdirSync(rulesDir, { recursive: true });
      writeFileSync(join(rulesDir, 'mine.json'), rule('local.first'));
      await waitFor(() => /rules reloaded: .*\n/.test(agent.output()), 10_000, 'the reload');
      line(1, 'alice');
      await waitFor(() => agent.output().includes('alert local.first ('), 10_000, 'the first own rule\'s alert');
      rmSync(rulesDir, { recursive: true, force: true });
      await sleepMs(500);
      mkdirSync(rulesDir);
      writeFileSync(join(rulesDir, 'again.json'), rule('local.again'));
      await waitFor(() => agent.output().includes('alert local.again (') || (line(2, 'bob'), false), 10_000, 'the remade directory\'s rule');
      expect(agent.output()).not.toMatch(/Error|internal error/);
    } finally {
      await agent.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });
});

const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

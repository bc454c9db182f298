/**
 * An exhausted descriptor limit (issue 19): a glob matching 5,000 files at nofile 1024 crashed
 * the agent at start ("too many open files" from the rules watcher). Under `prlimit
 * --nofile=1024:1024` the agent now starts, says once what is wrong and what to do, keeps
 * running, and alerts on the files it could open.
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, assertBuilt, waitFor } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'connwatch-fds-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('5,000 watched files at nofile 1024', () => {
  it('starts, reports the limit once with the fix, and keeps alerting', async () => {
    assertBuilt();
    execFileSync('prlimit', ['--version']);
    const home = join(root, 'home');
    const rules = join(home, '.config', 'connwatch', 'rules.d');
    mkdirSync(rules, { recursive: true });
    writeFileSync(
      join(rules, 'every.json'),
      JSON.stringify({
        rules: [
          {
            id: 'local.fd.every',
            title: 'line',
            description: 'Every line.',
            severity: 'warning',
            category: 'other',
            conditions: { all: [{ fact: 'raw.text', operator: 'matches', value: 'fd-probe' }] },
            message: 'm',
            remedy: 'r',
            throttle: { within: '1ms', key: ['raw.text'] },
          },
        ],
      }),
    );
    const logs = join(root, 'logs');
    mkdirSync(logs);
    for (let i = 0; i < 5000; i++) writeFileSync(join(logs, `f${String(i).padStart(4, '0')}.log`), '');
    const out = join(root, 'agent.out');
    writeFileSync(out, '');
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, '.local', 'state') };
    delete env.JOURNAL_STREAM;
    const fd = openSync(out, 'a');
    const agent = spawn('prlimit', ['--nofile=1024:1024', process.execPath, BIN, 'run', '--no-defaults', '--watch', join(logs, '*.log'), '--program', 'sshd', '--no-notify', '--no-builtin'], { env, stdio: ['ignore', fd, fd] });
    try {
      await waitFor(() => readFileSync(out, 'utf8').includes('connwatch running') || agent.exitCode !== null, 60_000, 'the agent to start');
      expect(agent.exitCode, readFileSync(out, 'utf8').slice(-2000)).toBeNull();
      await waitFor(() => readFileSync(out, 'utf8').includes('Too many open files'), 30_000, 'the limit reported');
      appendFileSync(join(logs, 'f0000.log'), 'Dec  5 10:00:00 h sshd[1]: Invalid user fd-probe from 127.0.0.1 port 1\n');
      await waitFor(() => readFileSync(out, 'utf8').includes('alert local.fd.every'), 30_000, 'the alert on an open file');
      const text = readFileSync(out, 'utf8');
      expect(text.split('Too many open files').length - 1, text.slice(-2000)).toBe(1);
      expect(text).toContain('LimitNOFILE');
      expect(agent.exitCode).toBeNull();
    } finally {
      agent.kill('SIGKILL');
    }
  }, 120_000);
});

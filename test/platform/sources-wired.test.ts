/**
 * The platform sources as a user configures them: `{ "type": "wevtutil" }` and `{ "type": "oslog" }`
 * in config.json reach `connwatch run`, which starts `wevtutil` and `log` from PATH (here the
 * stand-ins of wevtutil.test.ts and oslog-source.test.ts: Windows and macOS cannot run here) and
 * records the alert of an sshd line that arrives after the start, and nothing of what came before.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCli, waitFor } from '../helpers/cli.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'connwatch-wired-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setUp(name: string, source: object, standin: string): { env: NodeJS.ProcessEnv; history: string } {
  const home = join(dir, name);
  const bin = join(home, 'bin');
  mkdirSync(join(home, '.config', 'connwatch'), { recursive: true });
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(home, '.config', 'connwatch', 'config.json'), JSON.stringify({ replaceDefaultSources: true, sources: [source] }));
  const exe = join(bin, name);
  writeFileSync(exe, `#!/bin/sh\nexec '${process.execPath}' '${join(HERE, standin)}' "$@"\n`);
  chmodSync(exe, 0o755);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, 'state'),
    PATH: `${bin}:${process.env.PATH ?? ''}`,
  };
  return { env, history: join(home, 'state', 'connwatch', 'alerts.jsonl') };
}

const rules = (history: string): string[] =>
  existsSync(history)
    ? readFileSync(history, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { rule: string }).rule)
    : [];

describe.skipIf(process.platform === 'win32')('platform sources configured in config.json', () => {
  it('wevtutil: an OpenSSH event logged after the start is an alert; the one before is not read', async () => {
    const { env, history } = setUp('wevtutil', { type: 'wevtutil' }, 'wevtutil-standin.mjs');
    const xml = readFileSync(join(HERE, 'wevtutil-openssh.xml'), 'utf8').split(/\r?\n/).filter((l) => l.includes('<Event'));
    const events = join(dir, 'events.xml');
    const negotiate = xml.filter((l) => l.includes('Unable to negotiate'));
    expect(negotiate).toHaveLength(1);
    writeFileSync(events, `${negotiate[0]}\r\n`); // before the start: the position, not an alert
    const agent = startCli(['run', '--no-notify'], { ...env, WEVTUTIL_EVENTS: events });
    try {
      await waitFor(() => agent.output().includes('event log OpenSSH/Operational, OpenSSH/Admin (wevtutil)'), 20_000, 'the start line');
      await new Promise((r) => setTimeout(r, 2500)); // a poll with nothing new
      expect(rules(history)).toEqual([]);
      const later = negotiate[0]!.replace(/<EventRecordID>\d+</, '<EventRecordID>9001<').replace('198.51.100.7', '198.51.100.8');
      appendFileSync(events, `${later}\r\n`);
      await waitFor(() => rules(history).length > 0, 20_000, 'the alert of the new event');
      await new Promise((r) => setTimeout(r, 2500));
      const recorded = readFileSync(history, 'utf8');
      expect(rules(history)).toEqual(['sshd.kex.ffdh-only-client']); // the offer: group1 and group14, finite-field DH only
      expect(recorded).toContain('198.51.100.8');
    } finally {
      expect(await agent.stop()).toBe(0);
    }
  }, 60_000);

  it('oslog: an sshd entry of the unified log after the start is an alert', async () => {
    const { env, history } = setUp('log', { type: 'oslog' }, 'log-standin.mjs');
    const entries = join(dir, 'entries.ndjson');
    writeFileSync(entries, '');
    const negotiate = readFileSync(join(HERE, 'oslog-sshd.ndjson'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('Unable to negotiate'));
    expect(negotiate).toHaveLength(1);
    const agent = startCli(['run', '--no-notify'], { ...env, OSLOG_ENTRIES: entries });
    try {
      await waitFor(() => agent.output().includes('unified log, sshd (log stream)'), 20_000, 'the start line');
      await new Promise((r) => setTimeout(r, 1000));
      appendFileSync(entries, `${negotiate[0]}\n`);
      await waitFor(() => rules(history).length > 0, 20_000, 'the alert of the new entry');
      expect(rules(history)).toEqual(['sshd.kex.no-common-algorithm']);
    } finally {
      expect(await agent.stop()).toBe(0);
    }
  }, 60_000);
});

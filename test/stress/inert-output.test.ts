/**
 * Inert text (issue 19): `connwatch replay`, `parse`, `rules test` and `alerts` printed ESC/OSC
 * sequences, NUL and U+202E from log text to the terminal as they were. Through the real binary,
 * a log line carrying each of them: no output holds an active character, JSON output still parses
 * to the original text, and the text form shows \uXXXX.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../helpers/cli.js';
import { HistorySink } from '../../agent/sinks/history.js';

const home = mkdtempSync(join(tmpdir(), 'connwatch-inert-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, '.local', 'state') };

const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const EVIL = 'Dec  5 10:00:00 host sshd[4242]: Invalid user \u001b]0;pwned\u0007\u001b[2J\u0000x\u202eexe.txt from 203.0.113.9 port 5000';

describe('terminal output is inert', () => {
  const dir = join(home, 'rules');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'every.json'),
    JSON.stringify({
      rules: [
        {
          id: 'local.every',
          title: 'line {{raw.text}}',
          description: 'Every line.',
          severity: 'warning',
          category: 'other',
          conditions: { all: [{ fact: 'raw.text', operator: 'matches', value: '.' }] },
          message: 'saw {{raw.text}}',
          remedy: 'none',
          throttle: { within: '1ms', key: ['raw.line'] },
        },
      ],
    }),
  );
  const log = join(home, 'auth.log');
  writeFileSync(log, `${EVIL}\n`);

  it('replay, parse and rules test, text and JSON', async () => {
    for (const args of [
      ['replay', '--no-builtin', '--rules', dir, log],
      ['replay', '--json', '--no-builtin', '--rules', dir, log],
      ['parse', log],
      ['parse', '--json', log],
      ['rules', 'test', '--no-builtin', '--rules', dir, log],
    ]) {
      const r = await runCli(args, { env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(ACTIVE.test(r.stdout), `${args.join(' ')} stdout: ${JSON.stringify(r.stdout)}`).toBe(false);
      expect(ACTIVE.test(r.stderr), `${args.join(' ')} stderr`).toBe(false);
      if (args.includes('--json')) expect(JSON.stringify(jsonLines(r.stdout))).toContain('\\u001b]0;pwned');
      else expect(r.stdout).toContain('\\u001b]0;pwned\\u0007');
    }
    const r = await runCli(['replay', '--json', '--no-builtin', '--rules', dir, log], { env });
    expect((jsonLines(r.stdout)[0]!.evidence as Array<{ text: string }>)[0]!.text).toBe(EVIL);
  });

  it('alerts, text and JSON', async () => {
    const h = new HistorySink(join(home, '.local', 'state', 'connwatch', 'alerts.jsonl'), 1 << 20, 1000, () => undefined);
    await h.deliver({ id: 'x', rule: 'r', severity: 'warning', category: 'other', title: EVIL, message: EVIL, remedy: EVIL, program: 'sshd', time: 1, key: '', count: 1, evidence: [{ text: EVIL, source: log }] });
    for (const args of [['alerts'], ['alerts', '--json']]) {
      const r = await runCli(args, { env });
      expect(r.code, r.stderr).toBe(0);
      expect(ACTIVE.test(r.stdout), `${args.join(' ')}: ${JSON.stringify(r.stdout)}`).toBe(false);
      expect(r.stdout).toContain('pwned');
    }
  });
});

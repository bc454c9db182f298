/**
 * The conventions of journalctl and fail2ban-regex (docs/cli.md): times for --since/--until,
 * `alerts -f`, `status --json`, colour only on a terminal, replay's rule sets said in its summary,
 * and a summary that does not contradict a hang alert it printed.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWhen } from '../../agent/cli/when.js';
import { BIN, FIXTURES, jsonLines, runCli, waitFor } from '../helpers/cli.js';

const home = mkdtempSync(join(tmpdir(), 'connwatch-conventions-'));
const state = join(home, '.local', 'state', 'connwatch');
mkdirSync(state, { recursive: true });
const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, '.local', 'state'), PATH: '/usr/bin:/bin' };
const history = join(state, 'alerts.jsonl');

function entry(id: string, rule: string, at: number): string {
  return JSON.stringify({ id, rule, severity: 'error', category: 'network', title: `title ${id}`, message: 'm', remedy: 'r', program: 'plink', host: 'h', time: at, key: id, count: 1, evidence: [], firstSeen: at, lastSeen: at }) + '\n';
}

describe('times for --since and --until', () => {
  const now = new Date(2026, 11, 5, 15, 30, 0).getTime();
  it.each([
    ['now', now],
    ['today', new Date(2026, 11, 5).getTime()],
    ['yesterday', new Date(2026, 11, 4).getTime()],
    ['-2h', now - 7_200_000],
    ['2h', now - 7_200_000],
    ['2h ago', now - 7_200_000],
    ['+30m', now + 1_800_000],
    ['14:00', new Date(2026, 11, 5, 14, 0).getTime()],
    ['2026-12-01', new Date(2026, 11, 1).getTime()],
    ['2026-12-01 08:15:30', new Date(2026, 11, 1, 8, 15, 30).getTime()],
    ['2026-12-01T08:15:30Z', Date.UTC(2026, 11, 1, 8, 15, 30)],
    ['2026-12-01T08:15:30+02:00', Date.UTC(2026, 11, 1, 6, 15, 30)],
    ['@1733400000', 1_733_400_000_000],
  ])('%s', (text, expected) => expect(parseWhen(text, now)).toBe(expected));
  it.each(['last tuesday', '2026-13-01', '25:00', '-+2h', '', '2h ago ago'])('refused: "%s"', (text) => expect(parseWhen(text, now)).toBeUndefined());
});

describe('alerts', () => {
  it('--since and --until take times; --json prints records', async () => {
    const day = 86_400_000;
    writeFileSync(history, entry('a', 'r.one.x', Date.now() - 3 * day) + entry('b', 'r.two.x', Date.now() - 2 * 3_600_000) + entry('c', 'r.three.x', Date.now() - 60_000));
    const r = await runCli(['alerts', '--json', '--since', '-3h', '--until', '-10m'], { env });
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).map((a) => a.id)).toEqual(['b']);
    const text = await runCli(['alerts', '--since', 'yesterday'], { env: { ...env, FORCE_COLOR: '1' } });
    expect(text.stdout).toMatch(/ERROR \[r\.three\.x\]/);
    expect(text.stdout).not.toContain('\x1b['); // not a terminal: no colour
  });

  it('-f prints the last alerts, then each new one as it is recorded', async () => {
    writeFileSync(history, entry('old', 'r.old.x', Date.now() - 1000));
    const child = spawn(process.execPath, [BIN, 'alerts', '-f', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => out.includes('"id":"old"'), 20_000, 'the existing alert');
      appendFileSync(history, entry('new', 'r.new.x', Date.now()));
      await waitFor(() => out.includes('"id":"new"'), 20_000, 'the new alert');
      expect(jsonLines(out).map((a) => a.id)).toEqual(['old', 'new']);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));
    expect(code).toBe(0);
  });
});

describe('status --json', () => {
  it('one JSON object; not running: exit 3', async () => {
    const r = await runCli(['status', '--json'], { env });
    expect(r.code).toBe(3);
    const [o] = jsonLines(r.stdout) as Array<{ agent: { running: boolean; statusFile: string } }>;
    expect(o!.agent.running).toBe(false);
    expect(o!.agent.statusFile).toBe(join(state, 'status.json'));
  });
});

describe('replay', () => {
  const hang = join(FIXTURES, 'incidents', 'plink-0.67-hostkey-changed-hang.txt');
  it('the summary names the hang alert it printed instead of saying there was none', async () => {
    const r = await runCli(['replay', '--json', hang], { env });
    expect(jsonLines(r.stdout).map((a) => a.rule)).toEqual(['plink.hostkey.prompt-hang']);
    expect(r.stderr).toMatch(/unfinished: connection c1 .* \(alert plink\.hostkey\.prompt-hang above\)/);
    expect(r.stderr).not.toMatch(/without proof that it hung/);
  });

  it('leaves out your rules.d unless --user, and says so', async () => {
    const dir = join(home, '.config', 'connwatch', 'rules.d');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'mine.json'),
      JSON.stringify({ rules: [{ id: 'local.mine.any', title: 'mine', description: 'd', severity: 'info', category: 'other', conditions: { all: [{ fact: 'program', operator: 'equal', value: 'plink' }] }, message: 'm', remedy: 'r', throttle: '1d' }] }),
    );
    const without = await runCli(['replay', '--json', hang], { env });
    expect(without.stderr).toMatch(/rules: \d+ from built-in \(your rules\.d is left out; --user adds it\)/);
    expect(jsonLines(without.stdout).map((a) => a.rule)).not.toContain('local.mine.any');
    const withUser = await runCli(['replay', '--json', '--user', hang], { env });
    expect(withUser.stderr).toContain(`from built-in, ${dir}`);
    expect(jsonLines(withUser.stdout).map((a) => a.rule)).toContain('local.mine.any');
  });
});

describe('rules test', () => {
  it('shows every line of the file, also those that produced no event or only noise', async () => {
    const file = join(home, 'mixed.log');
    writeFileSync(file, 'Looking up host "h" for SSH connection\n\nConnecting to 10.0.0.1 port 22\nfoo bar\n');
    const r = await runCli(['rules', 'test', file], { env });
    expect(r.code).toBe(0);
    const numbers = [...r.stdout.matchAll(/^line (\d+): /gm)].map((m) => Number(m[1]));
    expect(numbers).toEqual([1, 2, 3, 4]);
    expect(r.stdout).toMatch(/^line 2: \n {2}program: plink {3}noise: not about a connection/m);
  });
});

describe('progress of a long replay', () => {
  const big = join(home, 'big-auth.log');
  it('on a terminal: percent, lines, lines/s and time left on stderr, cleared at the end; not in a pipe', async () => {
    const { sshdShapes } = await import('../../bench/corpus.js');
    const { writeSshdLog } = await import('../../bench/generate.js');
    const { ROOT } = await import('../helpers/cli.js');
    writeSshdLog(big, sshdShapes(ROOT), { seed: 5, lines: 40_000, failureShare: 0.3 });
    const { execFile } = await import('node:child_process');
    // script(1) gives the command a terminal; its output is what the terminal received
    const tty = await new Promise<string>((resolve) => {
      execFile('script', ['-qec', `'${process.execPath}' '${BIN}' replay '${big}' > /dev/null`, '/dev/null'], { env: { ...env, CONNWATCH_PROGRESS_AFTER_MS: '0' }, timeout: 120_000 }, (_err, stdout) => resolve(stdout));
    });
    expect(tty).toMatch(/\r\x1b\[Kconnwatch replay: \d+%, [\d,]+ lines, [\d,]+ lines\/s, \d+ s left/);
    expect(tty).toMatch(/\r\x1b\[Kconnwatch replay: 40000 lines,/);
    const piped = await runCli(['replay', big], { env: { ...env, CONNWATCH_PROGRESS_AFTER_MS: '0' } });
    expect(piped.stderr).not.toContain('\x1b[K');
    expect(piped.stderr).toMatch(/^connwatch replay: 40000 lines/);
  });
});

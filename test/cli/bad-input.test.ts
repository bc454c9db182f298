/**
 * Every command with each bad input the usability report listed: one clear line naming the option
 * or path and what was expected, the documented exit code (docs/cli.md: 2 usage, 1 findings), and
 * never a stack trace; `--debug` shows the trace. Unreadable files are met for real: as root the
 * command runs as user nobody (setpriv), so a 0600 file really cannot be read.
 */
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BIN, FIXTURES, runCli, type CliResult } from '../helpers/cli.js';

const base = mkdtempSync(join(tmpdir(), 'connwatch-bad-input-'));
chmodSync(base, 0o755);
const home = join(base, 'home');
mkdirSync(home, { mode: 0o777 });
const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, '.local', 'state'), NO_COLOR: '1' };
const LOG = join(FIXTURES, 'incidents', 'plink-0.60-gex-fail-openssh-7.2.txt');

const secret = join(base, 'secret.log');
copyFileSync(LOG, secret);
chmodSync(secret, 0o600);
const binary = join(base, 'core.bin');
writeFileSync(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, 10, 0, 0]));
const gz = join(base, 'auth.log.2.gz');
writeFileSync(gz, gzipSync('Dec  5 10:00:00 host sshd[1]: Accepted password for a from 127.0.0.1 port 1 ssh2\n'));
const badRules = join(base, 'bad-rules');
mkdirSync(badRules);
const badRuleFile = join(badRules, 'typo.json');
writeFileSync(
  badRuleFile,
  JSON.stringify({
    rules: [
      {
        id: 'local.rdp.typo',
        title: 'RDP failed',
        description: 'A program name with a typo',
        severity: 'error',
        category: 'network',
        conditions: { all: [{ fact: 'program', operator: 'equal', value: 'rdeskotp' }, { fact: 'kind', operator: 'equal', value: 'connect.failed' }] },
        message: 'failed',
        remedy: 'retry',
      },
    ],
  }),
);

const asRoot = (process.getuid?.() ?? 0) === 0;

/** connwatch as a user without privileges: nobody when the tests run as root. */
function runUnprivileged(args: string[]): Promise<CliResult> {
  if (!asRoot) return runCli(args, { env });
  return new Promise((resolve) => {
    execFile('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** One clear line first (a hint may follow), nothing that looks like a stack trace. */
function expectClear(r: CliResult, code: number, says: RegExp): void {
  const lines = r.stderr.trimEnd().split('\n');
  expect(r.code, r.stderr).toBe(code);
  expect(lines[0]).toMatch(/^connwatch: /);
  expect(lines[0]).toMatch(says);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
}

const FILE_COMMANDS: string[][] = [['replay'], ['parse'], ['rules', 'test'], ['report', '--json']];

describe('bad files named on the command line: exit 2, one line naming the file', () => {
  for (const cmd of FILE_COMMANDS) {
    const name = cmd.slice(0, cmd[0] === 'rules' ? 2 : 1).join(' ');
    it(`${name}: an unreadable file (EACCES)`, async () => {
      expectClear(await runUnprivileged([...cmd, secret]), 2, new RegExp(`${secret}: permission denied`));
    });
    it(`${name}: a directory`, async () => {
      expectClear(await runCli([...cmd, base], { env }), 2, new RegExp(`${base} is a directory`));
    });
    it(`${name}: a missing file`, async () => {
      expectClear(await runCli([...cmd, join(base, 'nope.log')], { env }), 2, /nope\.log: no such file/);
    });
    it(`${name}: a binary file is not replayed as a log`, async () => {
      expectClear(await runCli([...cmd, binary], { env }), 2, /core\.bin is binary .*not a text log/);
    });
    it(`${name}: a gzip file says how to read it`, async () => {
      const r = await runCli([...cmd, gz], { env });
      expectClear(r, 2, /gzip-compressed, not a text log/);
      expect(r.stderr).toMatch(/zcat .*auth\.log\.2\.gz \| connwatch/);
    });
  }
});

describe('bad options: exit 2, one line naming the option and what it expected', () => {
  it('--rules DIR that cannot be read (EACCES)', async () => {
    const closed = join(base, 'closed-rules');
    mkdirSync(closed, { mode: 0o700 });
    if (!asRoot) chmodSync(closed, 0o000);
    expectClear(await runUnprivileged(['replay', '--rules', closed, LOG]), 2, new RegExp(`--rules <dir>.*${closed}: permission denied`));
  });
  it('--config FILE that does not exist', async () => {
    expectClear(await runCli(['run', '--config', join(base, 'nope.json')], { env }), 2, /--config <file>.*nope\.json: no such file/);
  });

  const cases: Array<[string[], RegExp]> = [
    [['replay', '--rules', '/nonexistent', LOG], /--rules <dir>.*\/nonexistent: no such directory/],
    [['rules', 'test', '--rules', '/nonexistent', LOG], /--rules <dir>.*\/nonexistent: no such directory/],
    [['rules', 'list', '--rules', '/nonexistent'], /--rules <dir>.*\/nonexistent: no such directory/],
    [['replay', '--disable', 'plink.kex.gex-old-clent', LOG], /--disable: no rule has the id "plink\.kex\.gex-old-clent" \(did you mean "plink\.kex\.gex-old-client"\?\)/],
    [['rules', 'test', '--disable', 'nosuch.rule', LOG], /--disable: no rule has the id "nosuch\.rule"/],
    [['rules', 'list', '--disable', 'nosuch.rule'], /--disable: no rule has the id "nosuch\.rule"/],
    [['run', '--min-severity', 'loud'], /--min-severity <level>.*Expected one of info, warning, error, critical, got "loud"/],
    [['run', '--fold', 'soon'], /--fold <duration>.*Expected a duration/],
    [['replay', '--hang-window', '10', LOG], /--hang-window <duration>.*Expected a duration/],
    [['alerts', '-n', 'abc'], /--limit <n>.*Expected a whole number of 1 or more, got "abc"/],
    [['alerts', '--since', 'last tuesday'], /--since <when>.*Expected a time/],
    [['alerts', '--until', '2026-13-40'], /--until <when>.*Expected a time/],
    [['replay', '--program', 'rdeskotp', LOG], /--program <name>.*rdeskotp.*invalid/],
    [['replay', '-', '-'], /"-" \(standard input\) can be named only once/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['uninstall', '--purg'], /unknown option '--purg' \(did you mean --purge\?\)$/],
    [['status', '--jsn'], /unknown option '--jsn' \(did you mean --json\?\)$/],
    [['doctor', 'now'], /too many arguments for 'doctor'/],
    [['report', '--since', 'soon', LOG], /--since <when>.*Expected a time/],
    [['completion', 'tcsh'], /completion: expected bash, zsh or fish, got "tcsh"/],
  ];
  for (const [args, says] of cases) {
    it(args.join(' '), async () => {
      const r = await runCli(args, { env });
      expectClear(r, 2, says);
    });
  }
});

describe('a rule comparing program to a name no parser produces', () => {
  it('rules validate: an error naming the rule, the file and the known programs, exit 1', async () => {
    const r = await runCli(['rules', 'validate', badRules], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${badRuleFile}: rule "local.rdp.typo": "conditions.all[0].value" unknown program "rdeskotp": it can never match; known programs: plink, sshd, ssh, rdesktop, freerdp`);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
  it('replay --rules DIR with it: the same line on stderr, the rule left out, the replay goes on (nothing fatal)', async () => {
    const r = await runCli(['replay', '--json', '--rules', badRules, LOG], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${badRuleFile}: rule "local.rdp.typo": "conditions.all[0].value" unknown program "rdeskotp"`);
    expect(r.stdout).toMatch(/"rule":"plink\.kex\.gex-old-client"/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('--debug and standard input', () => {
  it('--debug shows the stack trace of the same error', async () => {
    const r = await runCli(['replay', '--debug', join(base, 'nope.log')], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^connwatch: .*nope\.log: no such file/);
    expect(r.stderr).toMatch(/^\s+at /m);
  });
  it('"-" reads standard input', async () => {
    const { readFileSync } = await import('node:fs');
    const r = await runCli(['replay', '--json', '-'], { env, input: readFileSync(LOG, 'utf8') });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/"rule":"plink\.kex\.gex-old-client"/);
  });
});

/**
 * Shell completion and the man page, generated from the commander definitions: the real shells
 * load the scripts and complete a command, an option and an option's values; man renders the page.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'connwatch-completion-'));

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0, stdout, stderr });
    });
  });
}

async function script(shell: string): Promise<string> {
  const r = await runCli(['completion', shell]);
  expect(r.code).toBe(0);
  const file = join(dir, `connwatch.${shell}`);
  writeFileSync(file, r.stdout);
  return file;
}

/** What bash completes for the words typed so far (the last one being completed). */
async function bashComplete(file: string, words: string[]): Promise<string[]> {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const r = await run('bash', ['-c', `source '${file}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _connwatch; printf '%s\\n' "\${COMPREPLY[@]}"`]);
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean);
}

describe('completion', () => {
  it('bash: commands, subcommands, options and option values', async () => {
    const f = await script('bash');
    expect((await bashComplete(f, ['connwatch', 're'])).sort()).toEqual(['replay', 'report']);
    expect(await bashComplete(f, ['connwatch', 'rules', ''])).toEqual(['validate', 'list', 'test']);
    expect((await bashComplete(f, ['connwatch', 'rules', 'test', '--no-'])).sort()).toEqual(['--no-builtin', '--no-user']);
    expect(await bashComplete(f, ['connwatch', 'run', '--min-severity', 'e'])).toEqual(['error']);
    expect(await bashComplete(f, ['connwatch', 'alerts', '--'])).toContain('--follow');
  });

  it('an unknown shell is a usage error', async () => {
    const r = await runCli(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^connwatch: completion: expected bash, zsh or fish, got "tcsh"$/m);
  });

  it('zsh loads the script and completes the commands', async () => {
    const f = await script('zsh');
    // compinit in a throwaway ZDOTDIR; the completion function is exercised by zsh's own test hook
    const r = await run('zsh', ['-f', '-c', `autoload -U compinit; compinit -u -D; source '${f}' 2>&1; whence -w _connwatch _connwatch_rules_test _connwatch_replay`], { ...process.env, ZDOTDIR: dir });
    expect(r.stdout).toMatch(/_connwatch: function\n_connwatch_rules_test: function\n_connwatch_replay: function/);
    expect(r.code).toBe(0);
  });

  it('fish completes commands and option values', async () => {
    const f = await script('fish');
    const r = await run('fish', ['--no-config', '-c', `source '${f}'; complete -C 'connwatch rep'; complete -C 'connwatch run --min-severity '`]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^replay\trun the whole pipeline/m);
    expect(r.stdout.split('\n').map((l) => l.split('\t')[0]).filter((l) => /^(info|warning|error|critical)$/.test(l!)).sort()).toEqual(['critical', 'error', 'info', 'warning']);
  });
});

describe('man page', () => {
  it('renders with man, lists every command and the exit codes', async () => {
    const r = await runCli(['man']);
    expect(r.code).toBe(0);
    const page = join(dir, 'connwatch.1');
    writeFileSync(page, r.stdout);
    const m = await run('man', ['-l', page], { ...process.env, MANWIDTH: '100', MAN_KEEP_FORMATTING: '', PAGER: 'cat' });
    expect(m.code).toBe(0);
    for (const c of ['run', 'replay', 'parse', 'rules test', 'alerts', 'install', 'uninstall', 'status', 'doctor', 'wrap']) expect(m.stdout).toContain(`connwatch ${c}`);
    expect(m.stdout).toMatch(/EXIT STATUS\n\s+0\s+success;\s+1\s+findings/);
    expect(m.stdout).toMatch(/--min-severity <level>/);
  });
});

/**
 * runWrapped with a real child: the bytes reach the terminal unchanged, stdin is passed on,
 * the capture file holds partial + cont records, a `waiting` record (from /proc) while the
 * client reads its stdin, an `input` record (byte count only) for the answer, and the exit
 * code comes back; 127/126 for a command that is not found / not executable. With a pty
 * (util-linux script) what the client writes to /dev/tty is captured as stream "tty".
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chmodSync, mkdirSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { pruneCaptures, redactArgv, runWrapped } from '../../agent/sources/wrap.js';
import { targetOf } from '../../agent/sources/wrap-argv.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, waitFor } from './helpers.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');
// node --import tsx, not the tsx CLI: the CLI runs node as a grandchild that SIGKILL would orphan.
const tsxNode = [process.execPath, '--import', 'tsx'] as const;

function runChild(captureDir: string, args: string[]) {
  const child = spawn(tsxNode[0], [...tsxNode.slice(1), join(here, 'wrap-child.ts'), captureDir, '--', process.execPath, join(here, 'prompt-client.mjs'), ...args], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, out, err, exited };
}

function records(dir: string): Array<Record<string, unknown>> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  expect(files).toHaveLength(1);
  return readFileSync(join(dir, files[0] as string), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('runWrapped', () => {
  it('passes bytes through, lets a person answer the prompt, captures partial + cont, returns exit code 3', async () => {
    const dir = tempDir();
    const { child, out, err, exited } = runChild(dir, []);
    await waitFor(() => Buffer.concat(err).toString().includes('(y/n) '), 'the prompt on stderr');
    // The prompt is captured as partial after ~300 ms of quiet, before anyone answers.
    await waitFor(() => readdirSync(dir).length === 1 && readFileSync(join(dir, readdirSync(dir)[0] as string), 'utf8').includes('"partial":true'), 'partial record');
    // /proc shows it blocked reading its stdin (node: epoll_wait with fd 0 registered)
    await waitFor(() => readFileSync(join(dir, readdirSync(dir)[0] as string), 'utf8').includes('"event":"waiting"'), 'waiting record');
    child.stdin.write('y\n');
    expect(await exited).toBe(3);
    expect(Buffer.concat(out)).toEqual(Buffer.concat([Buffer.from([0x4f, 0x6b, 0x20, 0xff, 0x0d, 0x0a]), Buffer.from('done\n')]));
    expect(Buffer.concat(err).toString()).toBe('Store key in cache? (y/n) Keeping going after "y"\n');

    const recs = records(dir);
    const pid = recs[0]?.pid;
    expect(typeof pid).toBe('number');
    expect(recs[0]).toMatchObject({ v: 1, event: 'start' });
    expect((recs[0]?.argv as string[]).at(-1)).toMatch(/prompt-client\.mjs$/);
    const text = recs.filter((r) => 'text' in r).map((r) => [r.stream, r.text, r.partial ?? false, r.cont ?? false]);
    expect(text.filter((t) => t[0] === 'stderr')).toEqual([
      ['stderr', 'Store key in cache? (y/n) ', true, false],
      ['stderr', 'Keeping going after "y"', false, true],
    ]);
    expect(text.filter((t) => t[0] === 'stdout')).toEqual([
      ['stdout', 'Ok \uFFFD', false, false],
      ['stdout', 'done', false, false],
    ]);
    expect(recs.at(-1)).toMatchObject({ v: 1, pid, event: 'exit', code: 3, signal: null });
    for (const r of recs) expect(typeof r.t).toBe('number');
    const events = recs.filter((r) => r.event === 'waiting' || r.event === 'input').map(({ event, on, fd, bytes, to }) => ({ event, on, fd, bytes, to }));
    expect(events).toEqual([
      { event: 'waiting', on: 'stdin', fd: 0, bytes: undefined, to: undefined },
      { event: 'input', on: undefined, fd: undefined, bytes: 2, to: 'stdin' },
    ]);
    expect(JSON.stringify(recs)).not.toContain('"y\\n"');
  });

  it('forwards SIGTERM to the client and returns its code', async () => {
    const dir = tempDir();
    const { child, err, exited } = runChild(dir, ['sleep']);
    await waitFor(() => Buffer.concat(err).toString().includes('(y/n) '), 'the prompt');
    await waitFor(() => readdirSync(dir).length === 1, 'capture file');
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(Buffer.concat(err).toString()).toContain('got SIGTERM');
    expect(records(dir).at(-1)).toMatchObject({ event: 'exit', code: 143 });
  });

  it('returns 128 + signal number when the client is killed', async () => {
    const dir = tempDir();
    const code = await runWrapped({ argv: ['/bin/sh', '-c', 'kill -KILL $$'], captureDir: dir, stdin: 'ignore' });
    expect(code).toBe(128 + 9);
    expect(records(dir).at(-1)).toMatchObject({ event: 'exit', code: null, signal: 'SIGKILL' });
  });

  it('a command that is not found exits 127, one that is not executable 126, each with one line', async () => {
    const dir = tempDir();
    const run = async (argv: string[], env?: NodeJS.ProcessEnv): Promise<[number, string]> => {
      const err = new PassThrough();
      let text = '';
      err.on('data', (d: Buffer) => (text += d.toString()));
      const code = await runWrapped({ argv, captureDir: dir, stdin: 'ignore', stderr: err, ...(env ? { env } : {}) });
      return [code, text];
    };
    expect(await run(['/nonexistent/plink'])).toEqual([127, 'connwatch wrap: /nonexistent/plink: no such file\n']);
    expect(await run(['no-such-client-xyz'], { PATH: '/usr/bin:/bin' })).toEqual([127, 'connwatch wrap: no-such-client-xyz: command not found\n']);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'plink'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(bin, 'plink'), 0o644);
    expect(await run(['plink'], { PATH: bin })).toEqual([126, `connwatch wrap: ${join(bin, 'plink')}: permission denied (not executable)\n`]);
    expect(await run([bin])).toEqual([126, `connwatch wrap: ${bin}: is a directory\n`]);
    expect(readdirSync(dir)).toEqual(['bin']); // nothing ran, nothing captured
    // the real CLI: same codes, one line, no stack trace
    const cli = await runCli(['wrap', '--capture-dir', dir, '--', 'no-such-client-xyz'], { env: { ...process.env, PATH: '/usr/bin:/bin' } });
    expect([cli.code, cli.stderr]).toEqual([127, 'connwatch wrap: no-such-client-xyz: command not found\n']);
    const cli2 = await runCli(['wrap', '--capture-dir', dir, '--', join(bin, 'plink')]);
    expect([cli2.code, cli2.stderr]).toEqual([126, `connwatch wrap: ${join(bin, 'plink')}: permission denied (not executable)\n`]);
  });

  it('with a pty, what the client writes to /dev/tty is captured as stream tty and it waits on tty', async () => {
    const dir = tempDir();
    const tty = new PassThrough();
    let shown = '';
    tty.on('data', (d: Buffer) => (shown += d.toString()));
    const done = runWrapped({
      argv: ['sh', '-c', 'echo to-stdout; printf "Are you sure (yes/no)? " >/dev/tty; read answer </dev/tty'],
      captureDir: dir,
      pty: 'always',
      stdin: 'ignore',
      ttyOut: tty,
      stdout: new PassThrough(),
      quietMs: 200,
      waitPollMs: 100,
    });
    await waitFor(() => readdirSync(dir).length === 1 && readFileSync(join(dir, readdirSync(dir)[0] as string), 'utf8').includes('"event":"waiting"'), 'waiting record');
    const recs = records(dir);
    const pid = recs[0]?.pid as number;
    process.kill(pid, 'SIGTERM');
    expect(await done).toBe(143);
    expect(shown).toBe('Are you sure (yes/no)? ');
    const all = records(dir);
    expect(all.filter((r) => 'text' in r).map((r) => [r.stream, r.text, r.partial ?? false])).toEqual([
      ['stdout', 'to-stdout', false],
      ['tty', 'Are you sure (yes/no)? ', true],
    ]);
    expect(all.find((r) => r.event === 'waiting')).toMatchObject({ on: 'tty', fd: 0, pid });
    expect(all.at(-1)).toMatchObject({ event: 'exit', code: 143 });
  });

  it('hides passwords given on the command line, in every client form', () => {
    expect(redactArgv(['plink', '-pw', 'secret', 'host'])).toEqual(['plink', '-pw', '***', 'host']);
    expect(redactArgv(['xfreerdp', '/u:me', '/p:secret', '/v:h'])).toEqual(['xfreerdp', '/u:me', '/p:***', '/v:h']);
    expect(redactArgv(['xfreerdp', '/gp:gw-secret', '/pth:0123abcd', '/gateway:g:gw,u:me,p:s3cret,d:dom'])).toEqual(['xfreerdp', '/gp:***', '/pth:***', '/gateway:g:gw,u:me,p:***,d:dom']);
    expect(redactArgv(['rdesktop', '-u', 'me', '-p', 'secret', 'h'])).toEqual(['rdesktop', '-u', 'me', '-p', '***', 'h']);
    expect(redactArgv(['rdesktop', '-psecret', 'h'])).toEqual(['rdesktop', '-p***', 'h']);
    expect(redactArgv(['rdesktop', '-p', '-', 'h'])).toEqual(['rdesktop', '-p', '-', 'h']);
    expect(redactArgv(['ssh', '-p', '2222', 'h'])).toEqual(['ssh', '-p', '2222', 'h']);
    expect(redactArgv(['remmina', '-c', 'rdp://me:pa:ss@host:3390'])).toEqual(['remmina', '-c', 'rdp://me:***@host:3390']);
    expect(redactArgv(['xfreerdp', 'rdp://me:secret@host'])).toEqual(['xfreerdp', 'rdp://me:***@host']);
    expect(redactArgv(['client', '--password=secret', '--password', 'secret2'])).toEqual(['client', '--password=***', '--password', '***']);
    expect(redactArgv(['sshpass', '-p', 'secret', 'ssh', '-p', '22', 'h'])).toEqual(['sshpass', '-p', '***', 'ssh', '-p', '22', 'h']);
  });

  it('reads host and port from the command line of each client', () => {
    expect(targetOf('plink', ['plink', '-v', '-P', '2222', '-l', 'me', '-pw', 'x', 'me@vm1', 'echo hi'])).toEqual({ host: 'vm1', port: 2222, user: 'me' });
    expect(targetOf('plink', ['plink', '-batch', 'vm1'])).toEqual({ host: 'vm1' });
    expect(targetOf('ssh', ['ssh', '-v', '-p2201', '-i', 'k', 'me@vm1', 'ls'])).toEqual({ host: 'vm1', port: 2201, user: 'me' });
    expect(targetOf('ssh', ['ssh', '-o', 'Port=2202', 'vm1'])).toEqual({ host: 'vm1', port: 2202 });
    expect(targetOf('freerdp', ['xfreerdp', '/u:me', '/v:win1:3390'])).toEqual({ host: 'win1', port: 3390 });
    expect(targetOf('freerdp', ['xfreerdp', '/v:[fe80::1]:3391'])).toEqual({ host: 'fe80::1', port: 3391 });
    expect(targetOf('freerdp', ['xfreerdp', '/v:win1', '/port:3392'])).toEqual({ host: 'win1', port: 3392 });
    expect(targetOf('rdesktop', ['rdesktop', '-u', 'me', '-g', '1024x768', 'win2:3393'])).toEqual({ host: 'win2', port: 3393 });
    expect(targetOf('remmina', ['remmina', '-c', 'rdp://me@win3:3394'])).toEqual({ host: 'win3', port: 3394 });
    expect(targetOf(undefined, ['foo', 'bar'])).toEqual({});
    // the user, for ssh and plink (the capture's process.start names it): user@host before -l
    expect(targetOf('ssh', ['ssh', '-l', 'me', 'vm1'])).toEqual({ host: 'vm1', user: 'me' });
    expect(targetOf('ssh', ['ssh', '-l', 'me', 'you@vm1'])).toEqual({ host: 'vm1', user: 'you' });
    expect(targetOf('plink', ['plink', '-l', 'me', '-P', '2201', 'vm1'])).toEqual({ host: 'vm1', port: 2201, user: 'me' });
    expect(targetOf('ssh', ['ssh', 'ssh://me@vm1:2203'])).toEqual({ host: 'vm1', port: 2203, user: 'me' });
  });

  it('prunes capture files by age, then by total size, oldest first', async () => {
    const dir = tempDir();
    const now = Date.now();
    const mk = (name: string, ageMs: number, size: number): void => {
      writeFileSync(join(dir, name), 'x'.repeat(size));
      const t = (now - ageMs) / 1000;
      utimesSync(join(dir, name), t, t);
    };
    mk('ancient.jsonl', 10 * 86_400_000, 10);
    mk('old.jsonl', 3_000_000, 600);
    mk('mid.jsonl', 2_000_000, 600);
    mk('new.jsonl', 1_000_000, 600);
    mk('keep.txt', 20 * 86_400_000, 10);
    const removed = await pruneCaptures(dir, 7, 1300, now);
    expect(removed.map((p) => p.slice(dir.length + 1)).sort()).toEqual(['ancient.jsonl', 'old.jsonl']);
    expect(readdirSync(dir).sort()).toEqual(['keep.txt', 'mid.jsonl', 'new.jsonl']);
    expect(statSync(join(dir, 'new.jsonl')).size).toBe(600);
  });
});

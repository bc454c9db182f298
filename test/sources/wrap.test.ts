/**
 * runWrapped with a real child: the bytes reach the terminal unchanged, stdin is inherited,
 * the capture file holds partial + cont records, and the exit code comes back.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pruneCaptures, redactArgv, runWrapped } from '../../agent/sources/wrap.js';
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

  it('reports a client that does not exist as WRAP_FAILED with a hint', async () => {
    const dir = tempDir();
    await expect(runWrapped({ argv: ['/nonexistent/plink'], captureDir: dir, stdin: 'ignore' })).rejects.toMatchObject({ code: 'WRAP_FAILED' });
  });

  it('hides passwords given on the command line', () => {
    expect(redactArgv(['plink', '-pw', 'secret', 'host'])).toEqual(['plink', '-pw', '***', 'host']);
    expect(redactArgv(['xfreerdp', '/u:me', '/p:secret', '/v:h'])).toEqual(['xfreerdp', '/u:me', '/p:***', '/v:h']);
    expect(redactArgv(['rdesktop', '-u', 'me', '-p', 'secret', 'h'])).toEqual(['rdesktop', '-u', 'me', '-p', '***', 'h']);
    expect(redactArgv(['ssh', '-p', '2222', 'h'])).toEqual(['ssh', '-p', '2222', 'h']);
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

/**
 * FileTail in a child process: killed with SIGKILL in the middle of a 100,000-line burst, and
 * run as user `nobody` against a file it may not read until its mode changes (the tests run
 * as root, which chmod cannot stop, so the child drops to uid 65534 with setpriv).
 */
import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numbered, sleep, tempDir, waitFor } from './helpers.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');
// node --import tsx, not the tsx CLI: the CLI runs node as a grandchild that SIGKILL would orphan.
const tsxNode = [process.execPath, '--import', 'tsx'] as const;

function startChild(args: string[], asNobody = false): { child: ChildProcess; ready: Promise<void> } {
  const argv = [join(here, 'tail-child.ts'), ...args];
  const child = asNobody
    ? spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', ...tsxNode, ...argv], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HOME: '/tmp' } })
    : spawn(tsxNode[0], [...tsxNode.slice(1), ...argv], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      if (c.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`tail child exited early with ${code}`)));
  });
  return { child, ready };
}

function readLines(path: string): string[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return text === '' ? [] : text.slice(0, text.endsWith('\n') ? -1 : undefined).split('\n');
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
}

describe('FileTail in a child process', () => {
  it('kill -9 during a 100,000-line burst, then restart: every line at least once, repeats only after the last checkpoint', async () => {
    const dir = tempDir();
    const f = join(dir, 'burst.log');
    const out = join(dir, 'out.txt');
    const ck = join(dir, 'ck.json');
    writeFileSync(f, '');
    const first = startChild(['--path', f, '--out', out, '--ckpt', ck, '--from-start']);
    await first.ready;
    const N = 100_000;
    let written = 0;
    let killed = false;
    while (written < N) {
      appendFileSync(f, numbered(written + 1, written + 1000).map((l) => `${l}\n`).join(''));
      written += 1000;
      if (!killed && existsSync(ck) && readLines(out).length >= 20_000) {
        first.child.kill('SIGKILL');
        killed = true;
      }
      await sleep(killed ? 0 : 5);
    }
    if (!killed) {
      await waitFor(() => existsSync(ck) && readLines(out).length >= 20_000, '20,000 lines and a checkpoint before the kill', 60_000);
      first.child.kill('SIGKILL');
    }
    await exited(first.child);
    const before = readLines(out);
    const saved = JSON.parse(readFileSync(ck, 'utf8')) as { entries: Record<string, { files: Array<{ offset: number }> }> };
    const offset = Object.values(saved.entries)[0]?.files[0]?.offset ?? 0;
    const checkpointed = readFileSync(f).subarray(0, offset).toString().split('\n').length - 1;
    expect(before).toEqual(numbered(1, before.length)); // in order, none skipped
    expect(checkpointed).toBeLessThanOrEqual(before.length);
    expect(before.length).toBeLessThan(N);

    const second = startChild(['--path', f, '--out', out, '--ckpt', ck, '--from-start']);
    await second.ready;
    await waitFor(() => readLines(out).at(-1) === `line ${N}`, 'the last line', 60_000);
    second.child.kill('SIGTERM');
    await exited(second.child);
    const after = readLines(out).slice(before.length);
    // The restart resumes exactly at the saved offset: the only repeats are the lines delivered
    // after the last checkpoint was written.
    expect(after).toEqual(numbered(checkpointed + 1, N));
    console.log(`kill -9 burst: ${before.length} lines before the kill, checkpoint at ${checkpointed}, ${before.length - checkpointed} delivered twice`);
  });

  it('permission denied is reported once, retried, and the file is read once it is readable', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o777);
    const f = join(dir, 'secret.log');
    const out = join(dir, 'out.txt');
    const problems = join(dir, 'problems.jsonl');
    writeFileSync(f, 'one\ntwo\n');
    chmodSync(f, 0o000);
    const c = startChild(['--path', f, '--out', out, '--ckpt', join(dir, 'ck.json'), '--problems', problems], true);
    try {
      await c.ready;
      await waitFor(() => readLines(problems).length >= 1, 'the problem report');
      await sleep(2500); // at least one retry (backoff starts at 1 s)
      const reports = readLines(problems).map((l) => JSON.parse(l) as { code: string; message: string; hint: string });
      expect(reports).toHaveLength(1);
      expect(reports[0]?.code).toBe('SOURCE_UNREADABLE');
      expect(reports[0]?.message).toContain('permission denied');
      expect(readLines(out)).toEqual([]);
      chmodSync(f, 0o644);
      appendFileSync(f, 'three\n');
      await waitFor(() => readLines(out).length >= 3, 'the lines', 30_000);
      await sleep(300);
      expect(readLines(out)).toEqual(['one', 'two', 'three']);
    } finally {
      c.child.kill('SIGTERM');
      await exited(c.child);
    }
  });
});

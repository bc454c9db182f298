/**
 * The benchmark still runs: `BENCH_QUICK=1 node dist/bench/run.js` (small inputs, one repetition)
 * completes every case against the real binary and writes a report naming each of them. No timing
 * is asserted: speed is measured by `npm run bench` on a quiet machine, not by tests.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'connwatch-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function build(): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT }, (err, _o, stderr) => (err && !existsSync(join(ROOT, 'dist/bench/run.js')) ? reject(new Error(stderr)) : resolve())),
  );
}

describe('npm run bench (BENCH_QUICK=1)', () => {
  it('runs every case and writes the report', async () => {
    await build(); // errors elsewhere in a shared checkout must not hide the bench: dist is used if present
    const out = join(dir, 'results.md');
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [join(ROOT, 'dist/bench/run.js')], { cwd: ROOT, env: { ...process.env, BENCH_QUICK: '1', BENCH_OUT: out }, timeout: 240_000 }, (err, _o, se) =>
        resolve({ code: err ? (child.exitCode ?? 1) : 0, stderr: se }),
      );
    });
    expect(code, stderr).toBe(0);
    const md = readFileSync(out, 'utf8');
    for (const heading of ['## Machine', '## Replay throughput: sshd auth.log', 'fail2ban-regex sshd.conf', 'wc -l (floor)', 'node split loop (floor)', 'node split + one regex (floor)', '## Replay throughput: harder sshd log', '## Replay throughput: sshd auth.log, long', '## Replay throughput: harder sshd log, long', '## Replay throughput: mixed', '## Peak memory on a big log', '## Live latency', '## Idle agent', '## Targets']) {
      expect(md).toContain(heading);
    }
    // the replay really read the generated lines, and notifications really arrived
    expect(md).toMatch(/connwatch replay: 5000 lines, \d+ events/);
    // the long cases (quick: 20,000 lines) with their distance to the one-regex floor
    expect(md).toMatch(/connwatch replay: 20000 lines, \d+ events/);
    expect(md).toMatch(/takes \*\*\d+\.\d\d×\*\* the time of the one-regex-per-line floor/);
    // every failure and every hang of the latency case notified, once each
    expect(md).toMatch(/\| failure line appended \| (\d+) of \1 \|/);
    expect(md).toMatch(/\| hang window ended \| (\d+) of \1 \|/);
    expect(md).toContain('Calls beyond one per attempt: 0.');
    // start-up and the rate per line: both tools on the empty file and on the first quarter
    expect(md).toContain('### Start-up and the rate per line');
    expect(md).toMatch(/\| connwatch replay \| \d+\.\d\d \| \d+\.\d\d \| \d+\.\d\d \| [\d,—]+ \|/);
    expect(md).toMatch(/\| fail2ban-regex sshd\.conf \| \d+\.\d\d \| \d+\.\d\d \| \d+\.\d\d \| [\d,—]+ \|/);
    // both idle agents were measured: the one-file agent (the targets) and the default sources
    expect(md).toMatch(/\| one quiet file .*\| \d+\.\d MB \|/);
    expect(md).toMatch(/\| its default sources .*\| \d+\.\d MB \|/);
  }, 300_000);
});

/**
 * Degrade, never die (issue 19): the live agent with a state directory it cannot write (before:
 * exit 1 and a crash loop). It keeps running and notifying, says so once, naming the directory's
 * files, `connwatch doctor` shows what it could not write, and once the directory is writable
 * again it saves its history, delivered ids and read positions by itself.
 *
 * Read-only even for root (the tests run as root): the directory gets the immutable attribute
 * (chattr +i), so no file can be created in it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, assertBuilt, runCli } from '../helpers/cli.js';
import { startNotifyServer, type NotifyServer } from '../helpers/notify-server.js';

const RULE = {
  rules: [
    {
      id: 'local.state.every-line',
      title: 'state test line',
      description: 'Alerts on every line.',
      severity: 'warning',
      category: 'other',
      conditions: { all: [{ fact: 'raw.text', operator: 'matches', value: 'state-L\\d+' }] },
      message: 'line',
      remedy: 'none',
      throttle: { within: '1ms', key: ['raw.text'] },
    },
  ],
};
const line = (n: number): string => `Dec  5 10:00:00 statehost sshd[4242]: Invalid user state-L${n} from 127.0.0.1 port ${2000 + n}\n`;

let agent: ChildProcess | undefined;
let server: NotifyServer | undefined;
let locked: string | undefined;
let root: string | undefined;
afterEach(async () => {
  if (locked) execFileSync('chattr', ['-i', locked]);
  locked = undefined;
  if (agent && agent.exitCode === null && agent.signalCode === null) {
    const exited = new Promise((r) => agent!.once('exit', r));
    agent.kill('SIGKILL');
    await exited;
  }
  agent = undefined;
  await server?.stop();
  server = undefined;
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the live agent with a read-only state directory', () => {
  it('keeps running and notifying, says so once naming the path, doctor shows it, and it saves again once writable', async () => {
    assertBuilt();
    root = mkdtempSync(join(tmpdir(), 'cw-state-ro-'));
    const home = join(root, 'home');
    mkdirSync(join(home, '.config', 'connwatch', 'rules.d'), { recursive: true });
    writeFileSync(join(home, '.config', 'connwatch', 'rules.d', 'state.json'), JSON.stringify(RULE));
    const stateDir = join(home, '.local', 'state', 'connwatch');
    mkdirSync(stateDir, { recursive: true });
    const log = join(root, 'app.log');
    writeFileSync(log, '');
    server = await startNotifyServer();
    const runtime = join(root, 'run');
    mkdirSync(runtime, { mode: 0o700 });
    // the agent records what it cannot write in the runtime directory, where doctor looks
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, '.local', 'state'), ...server.env, XDG_RUNTIME_DIR: runtime };
    delete env.JOURNAL_STREAM;
    execFileSync('chattr', ['+i', stateDir]);
    locked = stateDir;

    let out = '';
    const a = spawn(process.execPath, [BIN, 'run', '--no-defaults', '--watch', log, '--program', 'sshd', '--no-builtin'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    agent = a;
    a.stdout.on('data', (d: Buffer) => (out += d.toString()));
    a.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => out.includes('connwatch running'), 'the agent to start');

    for (let n = 1; n <= 5; n++) appendFileSync(log, line(n));
    const calls = await server.waitForCalls(1);
    expect(calls[0]!.summary).toMatch(/state test line/);
    await until(() => (out.match(/alert local\.state\.every-line/g) ?? []).length >= 5, 'five alerts');
    await new Promise((r) => setTimeout(r, 3000)); // checkpoint retries, status writes, delivered ids
    expect(a.exitCode).toBeNull();
    // one warning for the directory, naming a file in it and what to do
    const warnings = out.split('\n').filter((l) => /Cannot write/.test(l));
    expect(warnings, out).toHaveLength(1);
    expect(warnings[0]).toContain(`${stateDir}/`);
    expect(out).toMatch(/hint: Make its directory writable/);
    expect(existsSync(join(stateDir, 'checkpoints.json'))).toBe(false);

    // doctor: the directory and what the running agent could not write
    const doctor = await runCli(['doctor', '--json'], { env });
    const state = doctor.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { check: string; status: string; finding: string })
      .filter((r) => r.check === 'state');
    expect(state.find((r) => r.status === 'fail')?.finding).toMatch(new RegExp(`^the state directory ${stateDir.replace(/[/.]/g, '\\$&')} is not writable`));
    const recorded = state.filter((r) => r.finding.startsWith(`the running agent (pid ${a.pid})`)).map((r) => r.finding);
    expect(recorded.some((f) => f.includes(join(stateDir, 'alerts.jsonl')))).toBe(true);
    expect(recorded.some((f) => f.includes(join(stateDir, 'checkpoints.json')))).toBe(true);

    // writable again: it saves by itself, and keeps notifying
    execFileSync('chattr', ['-i', stateDir]);
    locked = undefined;
    for (let n = 6; n <= 7; n++) appendFileSync(log, line(n));
    await until(() => existsSync(join(stateDir, 'checkpoints.json')) && existsSync(join(stateDir, 'alerts.jsonl')) && readFileSync(join(stateDir, 'alerts.jsonl'), 'utf8').includes('state-L7'), 'the state files to be written', 20_000);
    await until(() => out.includes(`${stateDir}: state files written again`), 'the all-clear in the log');
    // the read position reaches the end of the log (every line's alerts recorded)
    const offset = (): number => {
      try {
        const positions = JSON.parse(readFileSync(join(stateDir, 'checkpoints.json'), 'utf8')) as { entries: Record<string, { files: Array<{ offset: number }> }> };
        return Object.values(positions.entries)[0]!.files[0]!.offset;
      } catch {
        return -1;
      }
    };
    await until(() => offset() === readFileSync(log).length, 'the read position at the end of the log');
    expect(a.exitCode).toBeNull();
  }, 90_000);
});

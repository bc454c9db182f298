/**
 * From the person's side: real plink 0.78 started through `connwatch wrap` with stdin a pipe that
 * never writes (as Xming starts it), a real sshd on 127.0.0.1, the agent tailing the captures and
 * a real notification server on a private bus. What counts is what the server received:
 *
 *   - the founding hang (a host key never seen, nobody answers): exactly ONE notification, within
 *     the hang window + 1 s, naming 127.0.0.1 and the port; its text quotes plink, never a
 *     capture record; the same connection with the key pinned (-hostkey) and a quiet command
 *     longer than the window: nothing;
 *   - a -batch failure: notified within 1 s of plink's exit, no "(×2)"; a second attempt updates
 *     the same notification to "(×2)" (replaces_id), it does not add one;
 *   - the old-GEX transcript appended to a watched file: notified within 1 s; the server's
 *     "kex protocol error: type 30" appended after it updates that notification to name both ends;
 *   - actions, where the server offers them: "stop" ends the waiting plink, "show the log lines"
 *     opens a file holding them, "silence for a day" keeps that rule's notification for that host
 *     from coming back.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../helpers/agent.js';
import { BIN, type startCli, waitFor } from '../helpers/cli.js';
import { startNotifyServer, type NotifyCall, type NotifyServer } from '../helpers/notify-server.js';
import { plinkEnv } from '../helpers/putty.js';
import { ensureTestUser, sshdUnavailable, startSshd, which, type SshdServer } from '../helpers/sshd-server.js';

const skip = sshdUnavailable() ?? (which('plink') ? (which('puttygen') ? undefined : 'puttygen (putty-tools) is not installed') : 'plink (putty-tools) is not installed');
const HANG_S = 3;
const GEX = readFileSync(join(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'incidents', 'plink-0.60-gex-fail-openssh-7.2.txt'), 'utf8');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** New notifications (not updates of one on screen). */
const fresh = (calls: NotifyCall[]) => calls.filter((c) => c.replacesId === 0);
/** The test's own polling of the notification server (a python3 D-Bus call every ~100 ms, slower under load). */
const POLL_MS = 500;

/**
 * How long after `from` the first Notify call since `since` reached the bus: timed by
 * dbus-monitor, so the test's polling (hundreds of ms on a loaded machine) is not counted; without
 * dbus-monitor, when the test saw it less one polling interval.
 */
function busLatency(server: NotifyServer, since: number, from: number): number {
  const at = server.arrivals().find((a) => a.at >= since)?.at ?? Date.now() - POLL_MS;
  return at - from;
}

describe.skipIf(skip)('a person is told at once, once per attempt (real plink, sshd, notification server)', () => {
  let sshd: SshdServer;
  let user: string;
  let dir: string;
  let key: string;

  beforeAll(async () => {
    user = ensureTestUser();
    dir = mkdtempSync(join(tmpdir(), 'connwatch-attempts-'));
    key = join(dir, 'key.ppk');
    const gen = spawnSync('puttygen', ['-t', 'ed25519', '-o', key, '--new-passphrase', '/dev/null'], { encoding: 'utf8' });
    if (gen.status !== 0) throw new Error(`puttygen failed: ${gen.stderr}`);
    const pub = spawnSync('puttygen', [key, '-O', 'public-openssh'], { encoding: 'utf8' });
    sshd = await startSshd({ authorizedKeys: pub.stdout });
  });
  afterAll(async () => {
    await sshd?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  interface Scene {
    home: string;
    captures: string;
    plinkLog: string;
    opened: string;
    agent: ReturnType<typeof startCli>;
    wraps: ChildProcess[];
  }

  async function scene(server: NotifyServer): Promise<Scene> {
    const home = mkdtempSync(join(dir, 'home-'));
    const captures = join(home, 'captures');
    mkdirSync(captures);
    const plinkLog = join(home, 'plink.log');
    writeFileSync(plinkLog, '');
    // the desktop's opener for "show the log lines": records what it was asked to open
    const opened = join(home, 'opened.txt');
    const opener = join(home, 'opener.sh');
    writeFileSync(opener, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${opened}'\n`);
    chmodSync(opener, 0o755);
    const agent = (await startAgent({
      notes: server,
      home,
      watch: [join(captures, '*.jsonl'), plinkLog],
      hangWindow: `${HANG_S}s`,
      args: ['--program', 'plink', '--fold', '1s'],
      env: { XDG_STATE_HOME: join(home, 'state'), CONNWATCH_OPEN: opener },
    })).cli;
    return { home, captures, plinkLog, opened, agent, wraps: [] };
  }

  function plink(s: Scene, args: string[]) {
    const home = join(s.home, 'plink-home'); // plink's own HOME and PUTTYDIR: a host-key cache that knows nothing
    mkdirSync(home, { recursive: true });
    const child = spawn(process.execPath, [BIN, 'wrap', '--capture-dir', s.captures, '--', 'plink', '-v', '-ssh', '-P', String(sshd.port), '-l', user, ...args], {
      env: { ...process.env, ...plinkEnv(home) },
      stdio: ['pipe', 'pipe', 'pipe'], // stdin: a pipe nobody writes to, as under Xming
    });
    s.wraps.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, stderr: () => stderr, exited };
  }

  async function end(s: Scene) {
    for (const w of s.wraps) w.kill('SIGTERM');
    await s.agent.stop();
  }

  describe('notifications', () => {
    let server: NotifyServer;
    beforeAll(async () => {
      server = await startNotifyServer();
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('the founding hang: one notification within the window + 1 s, with host and port, quoting plink', async () => {
      await server.clear();
      const s = await scene(server);
      try {
        const started = Date.now();
        const p = plink(s, ['127.0.0.1', 'true']);
        await waitFor(() => p.stderr().includes('Store key in cache?'), 20_000, 'the prompt');
        const asked = Date.now();
        const [call] = await server.waitForCalls(1, (HANG_S + 5) * 1000);
        const after = busLatency(server, started, asked);
        console.log(`founding hang: Notify on the bus ${Math.round(after)} ms after the prompt`);
        expect(after).toBeLessThanOrEqual((HANG_S + 1) * 1000);
        expect(call!.summary).toContain(`127.0.0.1:${sshd.port}`);
        expect(call!.summary).not.toMatch(/×/);
        expect(call!.body).toContain('Store key in cache?');
        expect(call!.body).not.toContain('{"v":1');
        expect(call!.hints.urgency).toBeGreaterThanOrEqual(1);
        await sleep((HANG_S + 2) * 1000);
        expect(fresh(await server.calls())).toHaveLength(1);
      } finally {
        await end(s);
      }
    });

    it('the same connection with the key pinned and a quiet command longer than the window: nothing', async () => {
      await server.clear();
      const s = await scene(server);
      try {
        const p = plink(s, ['-batch', '-i', key, '-hostkey', sshd.hostKeyFingerprint, '127.0.0.1', `sleep ${HANG_S + 2}`]);
        expect(await p.exited).toBe(0);
        await sleep(2000);
        expect(await server.calls()).toEqual([]);
      } finally {
        await end(s);
      }
    });

    it('-batch: notified within 1 s of the exit, once; a second attempt updates it to (×2)', async () => {
      await server.clear();
      const s = await scene(server);
      try {
        const started = Date.now();
        const p = plink(s, ['-batch', '127.0.0.1', 'true']);
        expect(await p.exited).not.toBe(0);
        const exited = Date.now();
        const [call] = await server.waitForCalls(1, 10_000);
        const after = busLatency(server, started, exited);
        console.log(`-batch: Notify on the bus ${Math.round(after)} ms after the exit`);
        expect(after).toBeLessThanOrEqual(1000);
        expect(call!.summary).toContain('127.0.0.1');
        expect(call!.summary).not.toMatch(/×/);
        await sleep(2500);
        expect(await server.calls()).toHaveLength(1); // one attempt, one notification, no update
        const again = plink(s, ['-batch', '127.0.0.1', 'true']);
        await again.exited;
        const calls = await server.waitForCalls(2, 10_000);
        expect(fresh(calls)).toHaveLength(1);
        expect(calls[1]!.replacesId).toBeGreaterThan(0);
        expect(calls[1]!.summary).toMatch(/\(×2\)/);
      } finally {
        await end(s);
      }
    });

    it('old GEX: notified within 1 s of the append; the server\'s line updates the same notification', async () => {
      await server.clear();
      const s = await scene(server);
      try {
        await sleep(300);
        const appended = Date.now();
        appendFileSync(s.plinkLog, GEX);
        const [first] = await server.waitForCalls(1, 10_000);
        const after = busLatency(server, appended, appended);
        console.log(`old GEX: Notify on the bus ${Math.round(after)} ms after the append`);
        expect(after).toBeLessThanOrEqual(1000);
        expect(first!.summary).toContain('127.0.0.1:52022');
        expect(first!.body).toContain('expected key exchange group packet from server');
        // the server's side of the same attempt, a moment later (a syslog line names its program)
        appendFileSync(s.plinkLog, `${new Date().toISOString()} vm sshd[4242]: error: kex protocol error: type 30 seq 1 [preauth]\n`);
        const calls = await server.waitForCalls(2, 10_000);
        expect(fresh(calls)).toHaveLength(1);
        expect(calls[1]!.replacesId).toBeGreaterThan(0);
        expect(calls[1]!.body).toContain('kex protocol error: type 30');
        expect(calls[1]!.body).toContain('expected key exchange group packet');
      } finally {
        await end(s);
      }
    });
  });

  describe('actions', () => {
    let server: NotifyServer;
    beforeAll(async () => {
      server = await startNotifyServer({ capabilities: ['body', 'actions'] });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('stop ends the waiting plink; show opens its lines; silence keeps the rule quiet for that host', async () => {
      const s = await scene(server);
      try {
        // 1: the hang, with "stop" (dbusmock numbers new notifications from 1)
        const p = plink(s, ['127.0.0.1', 'true']);
        const [hang] = await server.waitForCalls(1, (HANG_S + 20) * 1000);
        expect(hang!.actions.filter((_, i) => i % 2 === 0)).toEqual(['evidence', 'silence', 'stop']);
        expect(hang!.body).not.toContain('&lt;'); // no body-markup capability: nothing escaped for it
        await server.invokeAction(1, 'stop');
        await Promise.race([p.exited, sleep(5000).then(() => Promise.reject(new Error('plink was not stopped')))]);
        await waitFor(() => s.agent.output().includes('stopped the waiting plink'), 5000, 'the agent saying so');

        // 2: a failure, its lines shown
        appendFileSync(s.plinkLog, GEX);
        const calls = await server.waitForCalls(2, 10_000);
        expect(calls[1]!.actions.filter((_, i) => i % 2 === 0)).toEqual(['evidence', 'silence']);
        await server.invokeAction(2, 'evidence');
        const file = (await waitFor(() => (existsSync(s.opened) ? readFileSync(s.opened, 'utf8').trim() : ''), 5000, 'the opener'));
        expect(readFileSync(file, 'utf8')).toContain('expected key exchange group packet from server');

        // 3: another attempt of it updates notification 2 (with its actions again); silence it
        appendFileSync(s.plinkLog, GEX);
        await server.waitForCalls(3, 10_000);
        await server.invokeAction(2, 'silence');
        await waitFor(() => s.agent.output().includes('silenced for 127.0.0.1'), 5000, 'the silence');
        const silences = JSON.parse(readFileSync(join(s.home, 'state', 'connwatch', 'silences.json'), 'utf8')) as { silences: Array<{ rule: string; host: string }> };
        expect(silences.silences).toMatchObject([{ rule: 'plink.kex.gex-old-client', host: '127.0.0.1' }]);
        appendFileSync(s.plinkLog, GEX);
        await sleep(2500);
        expect(await server.calls()).toHaveLength(3);
      } finally {
        await end(s);
      }
    });
  });
});

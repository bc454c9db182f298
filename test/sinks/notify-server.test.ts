/**
 * The notification-server harness itself: a real notify-send reaches the private bus, the
 * recorded call is parsed field by field, clear() forgets, and the server can go and come back.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNotifyServer, type NotifyServer } from '../helpers/notify-server.js';

function notifySend(env: Record<string, string>, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('notify-send', args, { env: { ...process.env, ...env }, timeout: 30_000 }, (err, _out, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, stderr });
    });
  });
}

describe('notify-server harness', () => {
  let server: NotifyServer;
  beforeAll(async () => {
    server = await startNotifyServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('records what notify-send sent, every field parsed', async () => {
    const r = await notifySend(server.env, [
      '--app-name=harness', '--urgency=critical', '--category=network.error', '--icon=dialog-warning',
      '--expire-time=0', 'Summary ü', 'Body <b>x</b>',
    ]);
    expect(r).toEqual({ code: 0, stderr: '' });
    const [call] = await server.waitForCalls(1);
    expect(call).toMatchObject({
      appName: 'harness', replacesId: 0, appIcon: 'dialog-warning', summary: 'Summary ü',
      body: 'Body <b>x</b>', actions: [], expireTimeout: 0,
    });
    expect(call?.hints).toMatchObject({ urgency: 2, category: 'network.error' });
    expect(typeof call?.hints['sender-pid']).toBe('number');
  });

  it('clear() forgets the recorded calls', async () => {
    await server.clear();
    expect(await server.calls()).toEqual([]);
  });

  it('offers the bus socket under runtimeDir, as $XDG_RUNTIME_DIR/bus', () => {
    expect(existsSync(join(server.runtimeDir, 'bus'))).toBe(true);
    expect(server.address).toContain(join(server.runtimeDir, 'bus'));
  });

  it('the server can stop (notify-send fails) and start again (notify-send works)', async () => {
    await server.stopServer();
    const down = await notifySend(server.env, ['down', 'body']);
    expect(down.code).not.toBe(0);
    expect(down.stderr).toContain('org.freedesktop.Notifications');
    await server.startServer();
    expect(await notifySend(server.env, ['up', 'body'])).toEqual({ code: 0, stderr: '' });
    const calls = await server.waitForCalls(1);
    expect(calls.map((c) => c.summary)).toEqual(['up']);
  });

  it('waitForCalls rejects with what it saw when too few calls come', async () => {
    await expect(server.waitForCalls(5, 500)).rejects.toThrow(/expected 5 Notify call\(s\) within 500 ms, got 1/);
  });
});

/**
 * Finding the session bus: the variable first, then a real socket at $XDG_RUNTIME_DIR/bus
 * (the harness's private bus), else an error with the import-environment fix.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSessionBus } from '../../agent/sinks/session-bus.js';
import { startNotifyServer, type NotifyServer } from '../helpers/notify-server.js';

describe('findSessionBus', () => {
  let bus: NotifyServer;
  let tmp: string;
  beforeAll(async () => {
    bus = await startNotifyServer({ server: false });
    tmp = mkdtempSync(join(tmpdir(), 'connwatch-sb-'));
  });
  afterAll(async () => {
    await bus?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('uses DBUS_SESSION_BUS_ADDRESS when set', () => {
    expect(findSessionBus({ DBUS_SESSION_BUS_ADDRESS: bus.address, XDG_RUNTIME_DIR: tmp })).toEqual({
      found: true, address: bus.address, from: 'DBUS_SESSION_BUS_ADDRESS',
    });
  });

  it('falls back to the socket $XDG_RUNTIME_DIR/bus', () => {
    expect(findSessionBus({ XDG_RUNTIME_DIR: bus.runtimeDir })).toEqual({
      found: true, address: `unix:path=${join(bus.runtimeDir, 'bus')}`, from: 'XDG_RUNTIME_DIR',
    });
  });

  it('a regular file named bus is not a bus', () => {
    writeFileSync(join(tmp, 'bus'), '');
    const r = findSessionBus({ XDG_RUNTIME_DIR: tmp });
    expect(r.found).toBe(false);
    if (!r.found) {
      expect(r.error.code).toBe('NOTIFY_UNAVAILABLE');
      expect(r.error.message).toContain(`${join(tmp, 'bus')} is not a socket`);
      expect(r.error.hint).toContain('systemctl --user import-environment DBUS_SESSION_BUS_ADDRESS DISPLAY');
    }
  });

  it('says so when neither is set', () => {
    const r = findSessionBus({ DBUS_SESSION_BUS_ADDRESS: '  ' });
    expect(r.found).toBe(false);
    if (!r.found) expect(r.error.message).toContain('XDG_RUNTIME_DIR is not set either');
  });
});

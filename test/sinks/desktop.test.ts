/**
 * DesktopSink against a real notification server (dbusmock on a private bus) through the real
 * path: node-notifier → /bin/sh → notify-send → D-Bus. Every assertion is on what the server
 * received. Hostile text must arrive as exactly the intended text (body markup-escaped) and
 * never reach the shell; a missing notify-send, bus or server keeps alerts pending until it works.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../agent/alert.js';
import { DesktopSink, type DesktopStatus } from '../../agent/sinks/desktop.js';
import { startNotifyServer, type NotifyServer } from '../helpers/notify-server.js';

function alert(over: Partial<Alert> = {}): Alert {
  return {
    id: 'a1',
    rule: 'test.rule',
    severity: 'error',
    category: 'network',
    title: 'Title',
    message: 'Message.',
    remedy: 'Remedy.',
    program: 'plink',
    time: Date.UTC(2024, 0, 2, 3, 4, 5),
    key: 'plink:test',
    count: 1,
    evidence: [],
    ...over,
  };
}

class Recorder {
  warnings: string[] = [];
  infos: string[] = [];
  warn(m: string): void {
    this.warnings.push(m);
  }
  info(m: string): void {
    this.infos.push(m);
  }
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'connwatch-desktop-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('DesktopSink with a notification server', () => {
  let server: NotifyServer;
  let sink: DesktopSink;
  let log: Recorder;
  beforeAll(async () => {
    server = await startNotifyServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    await server.clear();
    log = new Recorder();
    sink = new DesktopSink({ env: { ...process.env, ...server.env }, logger: log });
  });
  afterEach(() => {
    expect(log.warnings).toEqual([]);
  });

  async function only(a: Alert) {
    expect(await sink.send(a)).toBe('shown');
    const calls = await server.waitForCalls(1);
    expect(calls).toHaveLength(1);
    return calls[0]!;
  }

  it('a negotiation failure: summary with host, message and remedy, normal urgency, network.error', async () => {
    const call = await only(alert({
      severity: 'error',
      category: 'negotiation',
      title: 'plink and the server share no key exchange',
      host: '127.0.0.1',
      message: 'plink 0.60 expected a key exchange group packet from 127.0.0.1; the server dropped the old group exchange.',
      remedy: 'Upgrade plink to 0.70 or later.',
    }));
    expect(call).toMatchObject({
      appName: 'connwatch',
      appIcon: 'network-error',
      summary: 'plink and the server share no key exchange — 127.0.0.1',
      body: 'plink 0.60 expected a key exchange group packet from 127.0.0.1; the server dropped the old group exchange.\n\nUpgrade plink to 0.70 or later.',
      actions: [],
      expireTimeout: 30_000,
    });
    expect(call.hints).toMatchObject({ urgency: 1, category: 'network.error' });
    expect(sink.status).toEqual({ state: 'available' });
  });

  it('a hang: plink waits at a host-key prompt', async () => {
    const call = await only(alert({
      severity: 'warning',
      category: 'hang',
      title: 'plink waits at a host-key prompt',
      host: '127.0.0.1',
      message: 'plink has been waiting 30 s for an answer to "Store key in cache? (y/n)" and nobody can see it.',
      remedy: 'Run plink -ssh 127.0.0.1 once in a terminal and answer "y".',
    }));
    expect(call.summary).toBe('plink waits at a host-key prompt — 127.0.0.1');
    expect(call.body).toBe('plink has been waiting 30 s for an answer to "Store key in cache? (y/n)" and nobody can see it.\n\n' +
      'Run plink -ssh 127.0.0.1 once in a terminal and answer "y".');
    expect(call.hints).toMatchObject({ urgency: 1, category: 'network.error' });
    expect(call.appName).toBe('connwatch');
    expect(call.expireTimeout).toBe(30_000);
  });

  it('a critical alert is critical and stays until dismissed', async () => {
    const call = await only(alert({ severity: 'critical', category: 'hostkey', title: 'The host key of 127.0.0.1 changed', host: '127.0.0.1' }));
    expect(call.hints).toMatchObject({ urgency: 2, category: 'network.error' });
    expect(call.expireTimeout).toBe(0);
    expect(call.appIcon).toBe('security-low');
    expect(call.summary).toBe('The host key of 127.0.0.1 changed — 127.0.0.1');
  });

  it('an info alert is low urgency, category network, short-lived', async () => {
    const call = await only(alert({ severity: 'info', title: 'Connected', message: 'Session up.', remedy: '' }));
    expect(call.hints).toMatchObject({ urgency: 0, category: 'network' });
    expect(call).toMatchObject({ expireTimeout: 10_000, appIcon: 'dialog-information', summary: 'Connected', body: 'Session up.' });
  });

  it('a stale-library alert uses a vendor category', async () => {
    const call = await only(alert({ category: 'stale', title: 'Remmina still uses the old FreeRDP' }));
    expect(call.hints).toMatchObject({ urgency: 1, category: 'x-connwatch.stale' });
    expect(call.appIcon).toBe('software-update-available');
  });

  it('a folded burst shows its count in the summary', async () => {
    const call = await only(alert({ count: 50, title: 'Authentication failed', category: 'auth', host: '127.0.0.1' }));
    expect(call.summary).toBe('Authentication failed (×50) — 127.0.0.1');
    expect(call.appIcon).toBe('dialog-password');
  });

  it('alerts sent at once are shown one after another, in order', async () => {
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => sink.send(alert({ id: `c${i}`, title: `Concurrent ${i}` }))));
    expect(results).toEqual(['shown', 'shown', 'shown', 'shown', 'shown']);
    expect((await server.waitForCalls(5)).map((c) => c.summary)).toEqual([1, 2, 3, 4, 5].map((i) => `Concurrent ${i}`));
    expect(sink.delivered).toBe(5);
  });

  it('by default uses the process environment, as the agent does', async () => {
    const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.DBUS_SESSION_BUS_ADDRESS = server.address;
    try {
      sink = new DesktopSink({ logger: log });
      const call = await only(alert({ title: 'From process.env' }));
      expect(call.summary).toBe('From process.env');
    } finally {
      if (saved === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = saved;
    }
  });

  describe('hostile text arrives as text', () => {
    const marker = () => join(tmp, 'pwned');
    // [name, input, summary the server must receive, body the server must receive before "\n\nR."]
    const cases: Array<[string, () => string, string | (() => string), string | (() => string)]> = [
      ['an option as a user name', () => '--urgency=low', '\u2010-urgency=low', '\u2010-urgency=low'],
      ['a short option', () => '-u critical', '\u2010u critical', '\u2010u critical'],
      ['a link', () => '<a href="http://x">click</a>', '<a href="http://x">click</a>', '&lt;a href="http://x"&gt;click&lt;/a&gt;'],
      ['bold and an image', () => '<b>bold</b><img src="file:///etc/passwd"/>', '<b>bold</b><img src="file:///etc/passwd"/>',
        '&lt;b&gt;bold&lt;/b&gt;&lt;img src="file:///etc/passwd"/&gt;'],
      ['an entity', () => 'Tom &amp; Jerry & co', 'Tom &amp; Jerry & co', 'Tom &amp;amp; Jerry &amp; co'],
      ['a Windows path', () => 'C:\\temp\\new', 'C:\\temp\\new', 'C:\\temp\\new'],
      ['backslash escapes', () => '\\\\ \\n \\t \\0 \\101 end\\', '\\\\ \\n \\t \\0 \\101 end\\', '\\\\ \\n \\t \\0 \\101 end\\'],
      ['an ANSI escape written out', () => '\\x1b[31m', '\\x1b[31m', '\\x1b[31m'],
      ['a real ANSI escape', () => '\u001b[31mred\u001b[0m', '\u241b[31mred\u241b[0m', '\u241b[31mred\u241b[0m'],
      ['command substitution', () => `$(touch ${marker()})`, () => `$(touch ${marker()})`, () => `$(touch ${marker()})`],
      ['backticks', () => `\`touch ${marker()}\``, () => `\`touch ${marker()}\``, () => `\`touch ${marker()}\``],
      ['breaking out of the quotes', () => `"; touch ${marker()}; "`, () => `"; touch ${marker()}; "`, () => `"; touch ${marker()}; "`],
      ['variables', () => '${HOME} $HOME \'single\' !!', '${HOME} $HOME \'single\' !!', '${HOME} $HOME \'single\' !!'],
      ['newlines', () => 'one\ntwo\r\nthree\rfour', 'one two three four', 'one\ntwo\nthree\nfour'],
      ['NUL and DEL', () => 'a\u0000b\u007fc', 'a\u2400b\u2421c', 'a\u2400b\u2421c'],
      ['tabs', () => 'tab\there', 'tab here', 'tab here'],
      ['invalid UTF-16', () => 'a\ud800b\udc00c \ud83d\ude00', 'a\ufffdb\ufffdc \ud83d\ude00', 'a\ufffdb\ufffdc \ud83d\ude00'],
      ['a bidi override', () => 'invoice\u202Efdp.exe', 'invoice\ufffdfdp.exe', 'invoice\ufffdfdp.exe'],
      ['very long text', () => 'x'.repeat(5000), 'x'.repeat(119) + '…', 'x'.repeat(995) + '…'],
      ['very long emoji text (no pair split)', () => '😀'.repeat(3000), '😀'.repeat(119) + '…', '😀'.repeat(995) + '…'],
    ];

    it.each(cases)('%s', async (_name, input, summary, body) => {
      const text = input();
      const call = await only(alert({ title: text, message: text, remedy: 'R.', severity: 'error' }));
      expect(call.summary).toBe(typeof summary === 'function' ? summary() : summary);
      expect(call.body).toBe(`${typeof body === 'function' ? body() : body}\n\nR.`);
      // Nothing in the text changed how notify-send was called.
      expect(call.hints).toMatchObject({ urgency: 1, category: 'network.error' });
      expect(call).toMatchObject({ appName: 'connwatch', appIcon: 'network-error', expireTimeout: 30_000, actions: [] });
      expect(existsSync(marker())).toBe(false);
    });

    it('the payloads are live: run by a shell they do create the marker', () => {
      const probe = join(tmp, 'probe');
      execFileSync('/bin/sh', ['-c', `echo "$(touch ${probe})"`]);
      expect(existsSync(probe)).toBe(true);
      expect(existsSync(marker())).toBe(false);
    });

    it('hostile host names are one line in the summary and cannot push the title out', async () => {
      const call = await only(alert({ title: 'Authentication failed', host: `-h\n<b>${'h'.repeat(200)}` }));
      expect(call.summary).toBe(`Authentication failed — -h <b>${'h'.repeat(53)}…`);
    });

    it('a huge message leaves the remedy whole', async () => {
      const call = await only(alert({ message: 'm'.repeat(5000), remedy: 'Do this.' }));
      expect(call.body).toBe(`${'m'.repeat(989)}…\n\nDo this.`);
    });
  });
});

describe('DesktopSink without notifications', () => {
  it('no server: alerts stay pending, one warning; once a server runs they are shown in order', async () => {
    const bus = await startNotifyServer({ server: false });
    try {
      const log = new Recorder();
      const statuses: DesktopStatus[] = [];
      const sink = new DesktopSink({ env: { ...process.env, ...bus.env }, logger: log, onStatus: (s) => statuses.push(s) });
      expect(await sink.send(alert({ id: 'first', title: 'First' }))).toBe('pending');
      await sink.deliver(alert({ id: 'second', title: 'Second' }));
      expect(sink.pending().map((a) => a.id)).toEqual(['first', 'second']);
      expect(sink.status).toMatchObject({ state: 'unavailable', reason: 'no-server' });
      expect(log.warnings).toHaveLength(1);
      expect(log.warnings[0]).toContain('no notification server answers');
      expect(log.warnings[0]).toContain('systemctl --user import-environment DBUS_SESSION_BUS_ADDRESS DISPLAY');
      expect(await sink.retryPending()).toEqual({ delivered: 0, pending: 2 });
      expect(log.warnings).toHaveLength(1);

      await bus.startServer();
      expect(await sink.retryPending()).toEqual({ delivered: 2, pending: 0 });
      const calls = await bus.waitForCalls(2);
      expect(calls.map((c) => c.summary)).toEqual(['First', 'Second']);
      expect(sink.status).toEqual({ state: 'available' });
      expect(log.infos).toEqual(['Desktop notifications work again; showed 2 pending alert(s).']);
      expect(statuses.map((s) => s.state)).toEqual(['unavailable', 'available']);
      await sink.close();
      expect(log.warnings).toHaveLength(1);
    } finally {
      await bus.stop();
    }
  });

  it('notify-send missing: pending with the apt hint; after "installing" it, shown', async () => {
    const server = await startNotifyServer();
    try {
      const bin = mkdtempSync(join(tmp, 'bin-'));
      const env: NodeJS.ProcessEnv = { ...process.env, ...server.env, PATH: bin };
      const log = new Recorder();
      const sink = new DesktopSink({ env, logger: log });
      await sink.deliver(alert({ id: 'x', title: 'Waiting' }));
      await sink.deliver(alert({ id: 'y', title: 'Waiting too' }));
      expect(sink.status).toMatchObject({ state: 'unavailable', reason: 'notify-send-missing' });
      expect(log.warnings).toHaveLength(1);
      expect(log.warnings[0]).toContain('notify-send is not installed');
      expect(log.warnings[0]).toContain('sudo apt install libnotify-bin');
      expect(await server.calls()).toEqual([]);

      symlinkSync('/usr/bin/notify-send', join(bin, 'notify-send'));
      expect(await sink.retryPending()).toEqual({ delivered: 2, pending: 0 });
      expect((await server.waitForCalls(2)).map((c) => c.summary)).toEqual(['Waiting', 'Waiting too']);
    } finally {
      await server.stop();
    }
  });

  it('no session bus: the import-environment hint; $XDG_RUNTIME_DIR/bus is found once it exists', async () => {
    const server = await startNotifyServer();
    try {
      const runtime = mkdtempSync(join(tmp, 'run-'));
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, XDG_RUNTIME_DIR: runtime };
      const log = new Recorder();
      const sink = new DesktopSink({ env, logger: log });
      await sink.deliver(alert({ title: 'Via the runtime dir' }));
      expect(sink.status).toMatchObject({ state: 'unavailable', reason: 'no-bus' });
      expect(log.warnings).toHaveLength(1);
      expect(log.warnings[0]).toContain(`${runtime}/bus is not a socket`);
      expect(log.warnings[0]).toContain('systemctl --user import-environment DBUS_SESSION_BUS_ADDRESS DISPLAY');

      env.XDG_RUNTIME_DIR = server.runtimeDir;
      expect(await sink.retryPending()).toEqual({ delivered: 1, pending: 0 });
      expect((await server.waitForCalls(1)).map((c) => c.summary)).toEqual(['Via the runtime dir']);
    } finally {
      await server.stop();
    }
  });

  it('a dead bus address is reported as no bus', async () => {
    const log = new Recorder();
    const sink = new DesktopSink({ env: { PATH: process.env.PATH, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(tmp, 'gone')}` }, logger: log });
    expect(await sink.send(alert())).toBe('pending');
    expect(sink.status).toMatchObject({ state: 'unavailable', reason: 'no-bus' });
    expect(log.warnings[0]).toContain(`the D-Bus session bus at unix:path=${join(tmp, 'gone')} does not answer`);
  });

  it('the queue is bounded: the newest alerts are kept, the drop is reported on recovery', async () => {
    const bus = await startNotifyServer({ server: false });
    try {
      const log = new Recorder();
      const sink = new DesktopSink({ env: { ...process.env, ...bus.env }, logger: log, maxPending: 3 });
      for (let i = 1; i <= 5; i++) await sink.deliver(alert({ id: `a${i}`, title: `Alert ${i}` }));
      expect(sink.pending().map((a) => a.id)).toEqual(['a3', 'a4', 'a5']);
      await bus.startServer();
      await sink.deliver(alert({ id: 'a6', title: 'Alert 6' }));
      expect((await bus.waitForCalls(3)).map((c) => c.summary)).toEqual(['Alert 4', 'Alert 5', 'Alert 6']);
      expect(log.infos).toEqual(['Desktop notifications work again; showed 3 pending alert(s); 3 older alert(s) did not fit the queue.']);
    } finally {
      await bus.stop();
    }
  });

  it('a server that rejects one notification: retried, given up after 3 failures, the rest goes on', async () => {
    const server = await startNotifyServer();
    try {
      await server.failNotify('org.example.Broken', 'cannot show this');
      const log = new Recorder();
      const statuses: DesktopStatus[] = [];
      const sink = new DesktopSink({ env: { ...process.env, ...server.env }, logger: log, onStatus: (s) => statuses.push(s) });
      expect(await sink.send(alert({ id: 'poison', title: 'Poison' }))).toBe('pending');
      expect(sink.status).toMatchObject({ state: 'unavailable', reason: 'failed' });
      expect(log.warnings).toHaveLength(1);
      expect(log.warnings[0]).toContain('notify-send failed: GDBus.Error:org.example.Broken: cannot show this');
      expect(await sink.retryPending()).toEqual({ delivered: 0, pending: 1 });
      expect(await sink.retryPending()).toEqual({ delivered: 0, pending: 0 });
      expect(log.warnings[1]).toBe('Gave up showing alert poison ("Poison") after 3 failures.');
      expect((await server.calls()).map((c) => c.summary)).toEqual(['Poison', 'Poison', 'Poison']);
      expect(statuses.map((s) => s.state)).toEqual(['unavailable']);
      expect(log.infos).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('the process environment is left as it was', async () => {
    const before = { ...process.env };
    const sink = new DesktopSink({ env: { PATH: '/nonexistent', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' }, logger: new Recorder() });
    await sink.deliver(alert());
    expect(process.env).toEqual(before);
  });
});

describe('DesktopSink: one notification per alert id, as the server allows', () => {
  it('the same id again replaces the notification on screen; another id is a new one', async () => {
    const server = await startNotifyServer();
    try {
      const sink = new DesktopSink({ env: { ...process.env, ...server.env }, logger: new Recorder() });
      await sink.send(alert({ id: 'story-1', title: 'First' }));
      await sink.send(alert({ id: 'story-1', title: 'First', count: 2 }));
      await sink.send(alert({ id: 'story-2', title: 'Second' }));
      const calls = await server.waitForCalls(3);
      expect(calls.map((c) => [c.summary, c.replacesId])).toEqual([
        ['First', 0],
        ['First (×2)', 1], // dbusmock numbers new notifications from 1
        ['Second', 0],
      ]);
      expect(sink.replaced).toBe(1);
    } finally {
      await server.stop();
    }
  });

  it('body markup is escaped only for a server that reads it; actions only where it shows them', async () => {
    const hostile = alert({ message: 'user <b>x</b> & "y"', remedy: 'Do it.' });
    const plain = await startNotifyServer({ capabilities: ['body'] });
    const marked = await startNotifyServer({ capabilities: ['body', 'body-markup', 'actions'] });
    try {
      const onAction = () => undefined;
      await new DesktopSink({ env: { ...process.env, ...plain.env }, logger: new Recorder(), onAction }).send(hostile);
      const withActions = new DesktopSink({ env: { ...process.env, ...marked.env }, logger: new Recorder(), onAction });
      await withActions.send(hostile);
      const [p] = await plain.waitForCalls(1);
      const [m] = await marked.waitForCalls(1);
      expect(p!.body).toBe('user <b>x</b> & "y"\n\nDo it.');
      expect(p!.actions).toEqual([]);
      expect(m!.body).toBe('user &lt;b&gt;x&lt;/b&gt; &amp; "y"\n\nDo it.');
      expect(m!.actions).toEqual(['evidence', 'Show the log lines', 'silence', 'Silence for a day']);
      await withActions.close(); // ends the notify-send that waits for an action
    } finally {
      await plain.stop();
      await marked.stop();
    }
  });
});

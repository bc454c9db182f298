/**
 * The pieces of the desktop sink on their own: the queue of alerts not shown yet and its file
 * (desktop-pending.ts), and what is on screen with the processes waiting for actions
 * (desktop-screen.ts, with real child processes). The sink as a whole: desktop.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../agent/alert.js';
import { formatNotification } from '../../agent/sinks/desktop-format.js';
import { PendingQueue } from '../../agent/sinks/desktop-pending.js';
import { Screen } from '../../agent/sinks/desktop-screen.js';

const dir = mkdtempSync(join(tmpdir(), 'connwatch-pending-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function alert(id: string, count = 1): Alert {
  return { id, rule: 'test.rule', severity: 'error', category: 'network', title: `T ${id}`, message: 'M', remedy: 'R', program: 'plink', time: 0, key: id, count, evidence: [] };
}
const entry = (a: Alert) => ({ alert: a, notification: formatNotification(a), failures: 0 });

describe('PendingQueue', () => {
  it('bounded: the oldest give way and are counted; a later version of an id takes its place, keeping its failures', () => {
    const q = new PendingQueue(2, undefined, () => undefined);
    q.add(entry(alert('a')));
    q.head!.failures = 2;
    q.add(entry(alert('a', 2)));
    expect(q.length).toBe(1);
    expect(q.head).toMatchObject({ alert: { id: 'a', count: 2 }, failures: 2 });
    q.add(entry(alert('b')));
    q.add(entry(alert('c')));
    expect(q.alerts().map((a) => a.id)).toEqual(['b', 'c']);
    expect(q.dropped).toBe(1);
  });

  it('kept in a 0600 file while something waits, removed when nothing does; read back in order', () => {
    const file = join(dir, 'pending.json');
    const warnings: string[] = [];
    const q = new PendingQueue(10, file, (m) => warnings.push(m));
    q.add(entry(alert('a')));
    q.add(entry(alert('b')));
    q.save();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(new PendingQueue(10, file, () => undefined).load().map((a) => a.id)).toEqual(['a', 'b']);
    q.shift();
    q.shift();
    q.save();
    expect(existsSync(file)).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('a file that is not ours is reported and yields nothing; a missing one is silent', () => {
    const file = join(dir, 'not-ours.json');
    writeFileSync(file, '{"something": "else"}');
    const warnings: string[] = [];
    expect(new PendingQueue(10, file, (m) => warnings.push(m)).load()).toEqual([]);
    expect(warnings).toEqual([`${file}: cannot read the alerts left to show (not a list of pending alerts); they are in the history (\`connwatch alerts\`).`]);
    expect(new PendingQueue(10, join(dir, 'missing.json'), (m) => warnings.push(m)).load()).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toBe('{"something": "else"}');
  });
});

describe('Screen', () => {
  const children: ChildProcess[] = [];
  const waiter = () => {
    const c = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(c);
    return c;
  };
  const ended = (c: ChildProcess) => new Promise<NodeJS.Signals | null>((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.signalCode) : c.once('exit', (_code, sig) => r(sig))));
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('knows the server id per alert; a replacement ends the waiter of the notification it replaced', async () => {
    const s = new Screen();
    expect(s.idOf('a')).toBeUndefined();
    const first = waiter();
    s.remember('a', { id: 7, waiter: first });
    expect(s.idOf('a')).toBe(7);
    const second = waiter();
    s.remember('a', { id: 7, waiter: second });
    expect(await ended(first)).toBe('SIGTERM');
    expect(second.exitCode).toBeNull();
    s.close();
    expect(await ended(second)).toBe('SIGTERM');
  });

  it('at most 20 processes wait for actions at once; one that ends frees its place', async () => {
    const s = new Screen();
    const ws = Array.from({ length: 20 }, (_, i) => {
      const w = waiter();
      s.remember(`a${i}`, { id: i + 1, waiter: w });
      return w;
    });
    expect(s.mayWait).toBe(false);
    ws[0]!.kill('SIGTERM');
    await ended(ws[0]!);
    expect(s.mayWait).toBe(true);
    s.close();
  });
});

/**
 * A notification names the program as the person ran it: a real capture of xfreerdp 2.11 (run
 * through `connwatch wrap`, test/rules/captures/) replayed through the built-in rules gives a
 * notification that says "xfreerdp", not the parser's family name "freerdp"; the same FreeRDP
 * lines read from a log file (no command line known) still say "freerdp". ranAs on its own: which
 * executables count.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Event } from '../../agent/event.js';
import { ranAs } from '../../agent/rules/ran-as.js';
import { formatNotification } from '../../agent/sinks/desktop-format.js';
import { replayBuiltin } from '../rules/builtin/run.js';

const CAPTURE = join(import.meta.dirname, '..', 'rules', 'captures', 'xfreerdp-2.11-closed-port.jsonl');
const dir = mkdtempSync(join(tmpdir(), 'connwatch-ranas-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the notification of a wrapped xfreerdp', () => {
  it('names xfreerdp in its summary and body; the alert keeps program "freerdp"', async () => {
    const { alerts } = await replayBuiltin([CAPTURE]);
    const a = alerts.find((x) => x.rule === 'freerdp.errconnect.connect');
    expect(a, JSON.stringify(alerts.map((x) => x.rule))).toBeDefined();
    expect(a!.program).toBe('freerdp');
    const n = formatNotification(a!);
    expect(n.summary).toMatch(/^xfreerdp cannot reach 127\.0\.0\.1/);
    expect(n.body).toMatch(/^xfreerdp could not connect to 127\.0\.0\.1 port 1/);
    expect(`${n.summary}\n${n.body}`).not.toMatch(/\bfreerdp\b/);
  });

  it('the same FreeRDP lines from a log file, where nobody knows the command: "freerdp" as before', async () => {
    const log = join(dir, 'freerdp.log');
    const lines = readFileSync(CAPTURE, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { stream?: string; text?: string });
    writeFileSync(log, lines.filter((r) => r.stream === 'stderr').map((r) => `${r.text}\n`).join(''));
    const { alerts } = await replayBuiltin([log], { program: 'freerdp' });
    const a = alerts.find((x) => x.rule === 'freerdp.errconnect.connect');
    expect(a, JSON.stringify(alerts.map((x) => x.rule))).toBeDefined();
    expect(formatNotification(a!).summary).toMatch(/^freerdp cannot reach /); // the log file names no host
  });
});

describe('ranAs', () => {
  const ev = (program: Event['program'], detail: Event['detail'], command?: string) =>
    ({ program, detail, ...(command !== undefined ? { connection: { command } } : {}) }) as Pick<Event, 'program' | 'detail' | 'connection'>;

  it('the executable of the command line or of the process, when it is one of the program', () => {
    expect(ranAs(ev('freerdp', {}, '/usr/bin/xfreerdp /v:h /p:***'))).toBe('xfreerdp');
    expect(ranAs(ev('freerdp', { command: 'xfreerdp3 /v:h' }))).toBe('xfreerdp3');
    expect(ranAs(ev('remmina', {}, 'remmina -c /home/p/.local/share/remmina/x.remmina'))).toBe('remmina');
    expect(ranAs(ev('plink', {}, 'C:\\Program Files\\PuTTY\\plink.exe -ssh vm1'))).toBe('plink');
    expect(ranAs(ev('freerdp', { exe: '/usr/bin/wlfreerdp' }))).toBe('wlfreerdp');
  });

  it('anything else: the program name', () => {
    expect(ranAs(ev('freerdp', {}))).toBe('freerdp');
    expect(ranAs(ev('freerdp', {}, 'sudo xfreerdp /v:h'))).toBe('freerdp');
    expect(ranAs(ev('freerdp', {}, '/usr/bin/rdesktop h'))).toBe('freerdp');
    expect(ranAs(ev('plink', { exe: '/usr/bin/ssh' }))).toBe('plink');
  });
});

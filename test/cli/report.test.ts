/**
 * `connwatch report`: one self-contained page from logs built of the project's fixtures (the
 * benchmark's generator: real sshd line shapes and real client captures, seeded), plus a real
 * plink hang (the incident fixture as a wrap capture in the same hours). Rendered in headless
 * Chromium: the screenshot shows marks of all four kinds in their exact colours (the legend is
 * lighter, so only the timeline can supply them), the DOM has every alert group the JSON has,
 * and the page asks for nothing from the network.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { clientRuns, sshdShapes } from '../../bench/corpus.js';
import { writeClientLog, writeSshdLog } from '../../bench/generate.js';
import { MARK_COLOURS } from '../../agent/report/html.js';
import type { ReportData } from '../../agent/report/data.js';
import { FIXTURES, ROOT, runCli } from '../helpers/cli.js';
import { countColour, readPng } from '../helpers/png.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const dir = mkdtempSync(join(tmpdir(), 'connwatch-report-'));
const auth = join(dir, 'auth.log');
const clients = join(dir, 'clients.jsonl');
const hang = join(dir, 'plink-hang.jsonl');
const page = join(dir, 'report.html');

/** The plink hang incident as `connwatch wrap` would have captured it, 5 minutes into the logs. */
function hangCapture(): void {
  const t0 = Date.UTC(2026, 2, 1, 0, 5);
  const lines = readFileSync(join(FIXTURES, 'incidents', 'plink-0.67-hostkey-changed-hang.txt'), 'utf8').split('\n');
  const last = lines.pop() ?? '';
  const recs: object[] = [{ v: 1, t: t0, pid: 4242, program: 'plink', event: 'start', argv: ['plink', '-v', '127.0.0.1'] }];
  lines.forEach((text, i) => recs.push({ v: 1, t: t0 + i, pid: 4242, stream: 'stderr', text }));
  recs.push({ v: 1, t: t0 + lines.length, pid: 4242, stream: 'stderr', text: last, partial: true });
  writeFileSync(hang, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

function chromium(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // --no-sandbox: the tests may run as root, where Chromium's sandbox refuses to start
    execFile(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run', ...args], { timeout: 90_000, maxBuffer: 64 << 20, env: { ...process.env, HOME: dir } }, (err, stdout, stderr) => {
      resolve({ code: err ? 1 : 0, stdout, stderr });
    });
  });
}

beforeAll(() => {
  writeSshdLog(auth, sshdShapes(ROOT), { seed: 7, lines: 4000, failureShare: 0.3, hosts: 8 });
  writeClientLog(clients, clientRuns(ROOT), { seed: 8, lines: 3000 });
  hangCapture();
});

describe('connwatch report', () => {
  let data: ReportData;

  it('--json: hosts with attempts, successes, failures and the hang; failures grouped with rule, evidence and remedy', async () => {
    const r = await runCli(['report', '--json', auth, clients, hang]);
    expect(r.code, r.stderr).toBe(0);
    data = JSON.parse(r.stdout) as ReportData;
    expect(data.totals.attempt).toBeGreaterThan(100);
    expect(data.totals.success).toBeGreaterThan(100);
    expect(data.totals.failure).toBeGreaterThan(100);
    expect(data.totals.hang).toBe(1);
    expect(data.hosts.length).toBeGreaterThan(5);
    const hangGroup = data.groups.find((g) => g.rule === 'plink.hostkey.prompt-hang');
    expect(hangGroup).toMatchObject({ host: '127.0.0.1', program: 'plink', count: 1 });
    expect(hangGroup!.evidence.at(-1)!.text).toContain('Update cached key?');
    for (const g of data.groups) {
      expect(g.remedy.length).toBeGreaterThan(10);
      expect(g.evidence.length).toBeGreaterThan(0);
    }
  });

  it('--since/--until keep only that part', async () => {
    const r = await runCli(['report', '--json', '--since', '2026-03-01T00:04:00Z', '--until', '2026-03-01T00:06:00Z', auth, clients, hang]);
    const part = JSON.parse(r.stdout) as ReportData;
    expect(part.from).toBe(Date.UTC(2026, 2, 1, 0, 4));
    expect(part.totals.attempt).toBeLessThan(data.totals.attempt / 3);
    expect(part.totals.hang).toBe(1);
  });

  it.skipIf(!CHROMIUM)('the page renders in headless Chromium: marks of all four kinds, every alert group, nothing fetched', async () => {
    const r = await runCli(['report', '-o', page, auth, clients, hang]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^connwatch report: 7\d{3} lines, \d+ hosts, .* bytes to .*report\.html in [\d.]+ s\n$/);
    const html = readFileSync(page, 'utf8');
    // self-contained: no URL to load anything from
    expect(html).not.toMatch(/\b(?:src|href)=|url\(|@import|https?:\/\//);
    const shot = join(dir, 'report.png');
    const s = await chromium(['--window-size=1280,1000', `--screenshot=${shot}`, `file://${page}`]);
    expect(existsSync(shot), s.stderr).toBe(true);
    const img = readPng(readFileSync(shot));
    expect(img.width).toBe(1280);
    for (const [mark, colour] of Object.entries(MARK_COLOURS)) {
      // a mark is at least 3 x 7 pixels of exactly its colour
      expect(countColour(img, colour), `${mark} marks (${colour})`).toBeGreaterThanOrEqual(21);
    }
    const dom = await chromium(['--dump-dom', `file://${page}`]);
    expect(dom.stdout).toContain('<h2>Failures and hangs</h2>');
    const sections = [...dom.stdout.matchAll(/<section class="alert[^"]*" data-host="([^"]*)" data-program="[^"]*">[\s\S]*?rule <code>([^<]*)<\/code>/g)].map((m) => `${m[2]} ${m[1]}`);
    const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    expect(sections.sort()).toEqual(data.groups.map((g) => `${g.rule} ${escape(g.host)}`).sort());
    expect(dom.stdout).not.toMatch(/class="[^"]*hidden/);
  });
});

describe('connwatch report without files: the agent history', () => {
  it('groups the recorded alerts by rule and host, within --since', async () => {
    const home = mkdtempSync(join(tmpdir(), 'connwatch-report-history-'));
    const state = join(home, '.local', 'state', 'connwatch');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(state, { recursive: true });
    const now = Date.now();
    const rec = (id: string, rule: string, host: string, at: number) =>
      JSON.stringify({ id, rule, severity: 'error', category: rule.includes('hang') ? 'hang' : 'auth', title: rule, message: 'm', remedy: 'do this', program: 'plink', host, time: at, key: id, count: 1, evidence: [{ text: 'a line', source: 'file:x', line: 3 }], firstSeen: at, lastSeen: at });
    writeFileSync(
      join(state, 'alerts.jsonl'),
      [rec('a', 'plink.auth.x', 'h1', now - 3 * 86_400_000), rec('b', 'plink.auth.x', 'h1', now - 3_600_000), rec('c', 'plink.auth.x', 'h1', now - 60_000), rec('d', 'plink.hostkey.prompt-hang', 'h2', now - 120_000)].join('\n') + '\n',
    );
    const env = { ...process.env, HOME: home, XDG_STATE_HOME: join(home, '.local', 'state'), XDG_CONFIG_HOME: join(home, '.config') };
    const r = await runCli(['report', '--json', '--since', 'yesterday'], { env });
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as ReportData;
    expect(d.inputs).toEqual([join(state, 'alerts.jsonl')]);
    expect(d.groups.map((g) => [g.rule, g.host, g.count])).toEqual([
      ['plink.auth.x', 'h1', 2],
      ['plink.hostkey.prompt-hang', 'h2', 1],
    ]);
    expect(d.totals).toMatchObject({ failure: 2, hang: 1, alerts: 3 });
  });
});

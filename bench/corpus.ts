/**
 * Real line shapes for the generated benchmark logs, gathered at run time from the project's
 * fixtures (captures of real programs, see test/fixtures/) and from Debian fail2ban's own sshd test
 * corpus (found with `dpkg -L fail2ban`; skipped when fail2ban is not installed):
 *
 *   - sshd: every message of every sshd log under test/fixtures/sshd/** and test/fixtures/plink/*
 *     (syslog files: the text after "sshd[pid]: "; `sshd -E` files: the whole line), plus the
 *     sample lines of fail2ban's tests/files/logs/sshd. Each message is classified by running it
 *     through connwatch's own router (kinds of failure vs. ordinary lines).
 *   - clients: the stderr of every plink/rdesktop/xfreerdp/Remmina capture under
 *     test/fixtures/{plink,rdp,incidents}, one template per captured run, with its program.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { EventKind, Program } from '../agent/event.js';
import { LineRouter } from '../agent/parsers/router.js';

/** Kinds that count as failure lines (the share the issue asks for; what fail2ban-style tools hunt). */
export const FAILURE_KINDS: ReadonlySet<EventKind> = new Set<EventKind>([
  'auth.failed',
  'auth.invalid-user',
  'auth.no-methods',
  'kex.failed',
  'connect.failed',
  'connect.aborted',
  'version.failed',
  'server.dropped',
  'server.timeout',
  'session.disconnected',
  'crypto.weak',
  'error.fatal',
  'error.other',
]);

export interface SshdShapes {
  failure: string[];
  ordinary: string[];
  /** Where they came from, for the report. */
  sources: string[];
}

export interface ClientRun {
  program: Program;
  file: string;
  lines: string[];
}

const SYSLOG = /^(?:\d{4}-\d\d-\d\dT\S+|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) \S+ (sshd(?:-session)?|sshd-auth)(?:\[\d+\])?: (.*)$/;
const LOOKS_TIMED = /^(?:\d{4}-\d\d-\d\d|[A-Z][a-z]{2} [ \d]\d \d\d:)/;

/** Every file under dir, sorted, depth first. */
export function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** fail2ban's sshd sample log, wherever Debian ships it. */
export function fail2banSshdSamples(): string | undefined {
  try {
    const files = execFileSync('dpkg', ['-L', 'fail2ban'], { encoding: 'utf8' }).split('\n');
    return files.find((f) => /\/tests\/files\/logs\/sshd$/.test(f) && existsSync(f));
  } catch {
    return undefined;
  }
}

function sshdMessages(file: string): string[] {
  const out: string[] = [];
  const isSyslog = /syslog|auth\.log|logs\/sshd$/.test(file);
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const m = SYSLOG.exec(line);
    if (m) out.push(m[2]!);
    else if (!isSyslog && !LOOKS_TIMED.test(line)) out.push(line.replace(/\r$/, ''));
  }
  return out;
}

/** Classifies a message the way the product sees it in an auth.log line. */
function kindsOf(router: LineRouter, message: string): EventKind[] {
  const text = `2026-01-01T00:00:00.000000+00:00 vm sshd[4242]: ${message}`;
  return router
    .route({ sourceId: 'corpus', text, receivedAt: 0, position: { source: 'corpus' } })
    .map((e) => e.kind);
}

export function sshdShapes(root: string): SshdShapes {
  const files = [
    ...walk(join(root, 'test/fixtures/sshd')).filter((f) => /(\.syslog|auth\.log[^/]*|sshd(-E)?[^/]*\.log)$/.test(f)),
    ...walk(join(root, 'test/fixtures/plink')).filter((f) => /(auth\.log\.syslog|sshd\.log)$/.test(f)),
  ];
  const f2b = fail2banSshdSamples();
  if (f2b) files.push(f2b);
  const seen = new Set<string>();
  const failure: string[] = [];
  const ordinary: string[] = [];
  const router = new LineRouter();
  for (const f of files) {
    for (const msg of sshdMessages(f)) {
      const shape = msg.replace(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g, 'IP').replace(/\bport \d+/g, 'port N');
      if (msg.length > 400 || seen.has(shape)) continue;
      seen.add(shape);
      const kinds = kindsOf(router, msg);
      (kinds.some((k) => FAILURE_KINDS.has(k)) ? failure : ordinary).push(msg);
    }
  }
  return { failure, ordinary, sources: files.map((f) => (f.startsWith(root) ? f.slice(root.length + 1) : f)) };
}

function programOf(path: string): Program | undefined {
  const p = path.toLowerCase();
  if (p.includes('remmina')) return 'remmina';
  if (p.includes('xfreerdp') || p.includes('freerdp')) return 'freerdp';
  if (p.includes('rdesktop')) return 'rdesktop';
  if (p.includes('plink')) return 'plink';
  return undefined;
}

/** One template per captured client run (its stderr), and the incident transcripts. */
export function clientRuns(root: string): ClientRun[] {
  const runs: ClientRun[] = [];
  const files = [
    ...walk(join(root, 'test/fixtures/plink')).filter((f) => basename(f) === 'client.stderr'),
    ...walk(join(root, 'test/fixtures/rdp')).filter((f) => basename(f) === 'client.stderr' || f.endsWith('.txt') && f.includes('/incidents/')),
    ...walk(join(root, 'test/fixtures/incidents')).filter((f) => f.endsWith('.txt')),
  ];
  for (const file of files) {
    const program = programOf(file);
    if (!program) continue;
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.replace(/\r$/, ''))
      .filter((l) => l.length > 0 && l.length < 2000);
    if (lines.length) runs.push({ program, file: file.slice(root.length + 1), lines });
  }
  return runs;
}

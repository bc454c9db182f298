/**
 * Configuration: the input shape (what a user writes in ~/.config/connwatch/config.json, every
 * field optional) and the resolved shape the agent runs with (defaults filled, durations in ms,
 * paths absolute). No file is needed: the defaults watch the usual places.
 *
 *   {
 *     "sources": [{ "type": "file", "path": "/var/log/auth.log" },
 *                 { "type": "file", "path": "~/plink.log", "program": "plink" },
 *                 { "type": "journal", "scope": "system", "identifiers": ["sshd", "sshd-session"] }],
 *     "rules": ["~/my-rules"],          extra rule directories (besides rules.d)
 *     "disabled": ["sshd.auth.failed"], rule ids switched off
 *     "hangWindow": "30s",              replaces the window of every hang rule
 *     "minSeverity": "warning",         lowest severity that is notified
 *     "quietHours": "22:00-07:00",      notifications held (kept in history) except critical
 *     "foldWindow": "2s",               least time between two updates of one notification
 *     "forward": ["syslog+tcp://logs:514"] alerts also sent there (docs/fleet.md)
 *   }
 *
 * A process-scan source ({ "type": "process-scan", "programs": ["remmina"], "interval": "60s",
 * "dpkgInfoDir": "/var/lib/dpkg/info" }) replaces the default one; there is at most one.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { SEVERITIES, type Program, type Severity } from '../event.js';
import { PROGRAMS } from '../programs.js';
import { ConnwatchError, errnoCode } from '../errors.js';
import { parseDuration } from '../rules/duration.js';
import type { Paths } from './paths.js';
import { parseForwardUrl } from '../sinks/forward-url.js';
import { platform } from '../platform/index.js';
import { programSources } from '../programs.js';

export type SourceInput =
  | { type: 'file'; path: string; program?: Program }
  | { type: 'journal'; scope?: 'system' | 'user'; identifiers?: string[]; units?: string[] }
  | { type: 'captures'; dir?: string }
  | { type: 'process-scan'; programs?: string[]; interval?: string; dpkgInfoDir?: string }
  /** Win32-OpenSSH's event log channels through `wevtutil qe` (default OpenSSH/Operational and OpenSSH/Admin). */
  | { type: 'wevtutil'; channels?: string[] }
  /** macOS: sshd through `log stream` (the unified log). */
  | { type: 'oslog' };

export interface ConfigInput {
  sources?: SourceInput[];
  rules?: string[];
  disabled?: string[];
  hangWindow?: string;
  minSeverity?: Severity;
  quietHours?: string;
  foldWindow?: string;
  /** Forwarding URLs (syslog+tcp://, syslog+tls://, otlp+http(s)://); docs/fleet.md. */
  forward?: string[];
  /** Replace the default sources instead of adding to them. */
  replaceDefaultSources?: boolean;
}

export interface ResolvedSource {
  type: SourceInput['type'];
  path?: string;
  program?: Program;
  scope?: 'system' | 'user';
  identifiers?: string[];
  units?: string[];
  programs?: string[];
  intervalMs?: number;
  /** process-scan: dpkg's database of `<pkg>.list` files (default /var/lib/dpkg/info). */
  dpkgInfoDir?: string;
  /** wevtutil: the event log channels. */
  channels?: string[];
  /** A default source: absence is reported once, quietly. */
  isDefault: boolean;
}

export interface Config {
  sources: ResolvedSource[];
  ruleDirs: string[];
  disabled: string[];
  hangWindowMs: number | undefined;
  minSeverity: Severity;
  quietHours: { from: number; to: number } | undefined;
  foldMs: number;
  /** Forwarding URLs, checked (optional: configurations built in code may leave it out). */
  forward?: string[];
  file: string | undefined;
}

export function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(process.env.HOME || homedir(), p.slice(2)) : p;
}

/** Each program's default sources on this platform (programs.ts), then the ones they share (captures, process scan). */
export function defaultSources(p: Paths): ResolvedSource[] {
  const here = platform();
  return [...programSources(here.id, p), ...here.defaultSources(p, process.env)];
}

function fail(file: string, field: string, message: string): never {
  throw new ConnwatchError('CONFIG_INVALID', `${file}: "${field}" ${message}`, {
    hint: 'Fix the field or remove it to use the default; `connwatch doctor` checks the whole configuration.',
  });
}

function parseQuiet(file: string, v: string): { from: number; to: number } {
  const m = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(v);
  if (!m) fail(file, 'quietHours', `must look like "22:00-07:00", got ${JSON.stringify(v)}`);
  return { from: +m[1]! * 60 + +m[2]!, to: +m[3]! * 60 + +m[4]! };
}

export function inQuietHours(q: Config['quietHours'], now: Date): boolean {
  if (!q) return false;
  const t = now.getHours() * 60 + now.getMinutes();
  return q.from <= q.to ? t >= q.from && t < q.to : t >= q.from || t < q.to;
}

/** Reads and resolves the config file (a missing file means all defaults). */
export function loadConfig(p: Paths, file = p.configFile): Config {
  let input: ConfigInput = {};
  let used: string | undefined;
  try {
    const text = readFileSync(file, 'utf8');
    used = file;
    try {
      input = JSON.parse(text) as ConfigInput;
    } catch (err) {
      throw new ConnwatchError('CONFIG_INVALID', `${file} is not valid JSON: ${(err as Error).message}`, {
        hint: 'Fix the syntax, or move the file away to run with the defaults.',
        cause: err,
      });
    }
  } catch (err) {
    if (err instanceof ConnwatchError) throw err;
    if (errnoCode(err) !== 'ENOENT') {
      throw new ConnwatchError('CONFIG_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`, { hint: 'Check the file permissions.', cause: err });
    }
  }
  return resolveConfig(input, p, used);
}

/**
 * A process-scan source: its interval, programs and dpkg database checked; it takes the place of
 * the default scan (the agent runs one scan), and a second one in the file is an error.
 */
function processScan(
  s: Extract<SourceInput, { type: 'process-scan' }>,
  sources: ResolvedSource[],
  where: string,
  field: string,
): ResolvedSource {
  const known = ['type', 'programs', 'interval', 'dpkgInfoDir'];
  for (const k of Object.keys(s)) if (!known.includes(k)) fail(where, `${field}.${k}`, `is not a process-scan setting; known: ${known.join(', ')}`);
  const i = sources.findIndex((x) => x.type === 'process-scan');
  if (i >= 0 && !sources[i]!.isDefault) fail(where, field, 'is a second process-scan source; the agent runs one scan, so merge their programs into one source');
  if (i >= 0) sources.splice(i, 1);
  const ms = s.interval === undefined ? 60_000 : parseDuration(s.interval);
  // below a second, scans would queue up behind each other instead of running now and then
  if (ms === undefined || ms < 1000) fail(where, `${field}.interval`, `must be a duration of at least 1s, like "60s", got ${JSON.stringify(s.interval)}`);
  const programs: unknown = s.programs;
  if (programs !== undefined && (!Array.isArray(programs) || programs.some((x) => typeof x !== 'string' || x === '' || x.includes('/')))) {
    fail(where, `${field}.programs`, `must be a list of program names like ["remmina", "xfreerdp"], got ${JSON.stringify(programs)}`);
  }
  const info: unknown = s.dpkgInfoDir;
  if (info !== undefined && (typeof info !== 'string' || info === '')) {
    fail(where, `${field}.dpkgInfoDir`, `must be the path of dpkg's info directory (the one holding <package>.list files, normally /var/lib/dpkg/info), got ${JSON.stringify(info)}`);
  }
  return {
    type: 'process-scan',
    intervalMs: ms,
    ...(s.programs ? { programs: s.programs } : {}),
    ...(typeof info === 'string' ? { dpkgInfoDir: resolve(expandHome(info)) } : {}),
    isDefault: false,
  };
}

export function resolveConfig(input: ConfigInput, p: Paths, file?: string): Config {
  const where = file ?? 'config';
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail(where, '(top level)', 'must be a JSON object');
  const known = new Set(['sources', 'rules', 'disabled', 'hangWindow', 'minSeverity', 'quietHours', 'foldWindow', 'forward', 'replaceDefaultSources']);
  for (const k of Object.keys(input)) if (!known.has(k)) fail(where, k, `is not a known setting; known: ${[...known].join(', ')}`);
  const sources: ResolvedSource[] = input.replaceDefaultSources ? [] : defaultSources(p);
  (input.sources ?? []).forEach((s, i) => {
    const field = `sources[${i}]`;
    if (typeof s !== 'object' || s === null) fail(where, field, 'must be an object with a "type"');
    const program = (s as { program?: unknown }).program;
    if (program !== undefined && !(PROGRAMS as readonly string[]).includes(program as string)) {
      fail(where, `${field}.program`, `must be one of ${PROGRAMS.join(', ')}`);
    }
    switch (s.type) {
      case 'file':
        if (typeof s.path !== 'string' || !s.path) fail(where, `${field}.path`, 'must be a file path or glob');
        sources.push({ type: 'file', path: resolve(expandHome(s.path)), ...(s.program ? { program: s.program } : {}), isDefault: false });
        break;
      case 'journal':
        sources.push({
          type: 'journal',
          scope: s.scope === 'user' ? 'user' : 'system',
          ...(s.identifiers ? { identifiers: s.identifiers } : {}),
          ...(s.units ? { units: s.units } : {}),
          isDefault: false,
        });
        break;
      case 'captures':
        sources.push({ type: 'captures', path: join(resolve(expandHome(s.dir ?? p.captureDir)), '*.jsonl'), isDefault: false });
        break;
      case 'process-scan':
        sources.push(processScan(s, sources, where, field));
        break;
      case 'wevtutil':
        if (s.channels !== undefined && (!Array.isArray(s.channels) || s.channels.some((c) => typeof c !== 'string' || !c))) {
          fail(where, `${field}.channels`, 'must be a list of event log channel names like ["OpenSSH/Operational"]');
        }
        sources.push({ type: 'wevtutil', ...(s.channels ? { channels: s.channels } : {}), isDefault: false });
        break;
      case 'oslog':
        sources.push({ type: 'oslog', isDefault: false });
        break;
      default:
        fail(where, `${field}.type`, `must be one of file, journal, captures, process-scan, wevtutil, oslog, got ${JSON.stringify((s as { type?: unknown }).type)}`);
    }
  });
  const dur = (field: 'hangWindow' | 'foldWindow', v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const ms = parseDuration(v);
    if (ms === undefined) fail(where, field, `must be a duration like "30s" or "5m", got ${JSON.stringify(v)}`);
    return ms;
  };
  if (input.minSeverity !== undefined && !SEVERITIES.includes(input.minSeverity)) {
    fail(where, 'minSeverity', `must be one of ${SEVERITIES.join(', ')}`);
  }
  const forward: unknown = input.forward ?? [];
  if (!Array.isArray(forward)) fail(where, 'forward', `must be a list of URLs like ["syslog+tcp://logs.example:514"], got ${JSON.stringify(forward)}`);
  forward.forEach((u: unknown, i) => {
    if (typeof u !== 'string') fail(where, `forward[${i}]`, `must be a URL string, got ${JSON.stringify(u)}`);
    try {
      parseForwardUrl(u);
    } catch (err) {
      fail(where, `forward[${i}]`, (err as Error).message.replace(/^forward URL /, ''));
    }
  });
  const ruleDirs = [p.rulesDir, ...(input.rules ?? []).map((d) => (isAbsolute(expandHome(d)) ? expandHome(d) : resolve(expandHome(d))))];
  return {
    sources,
    ruleDirs,
    disabled: input.disabled ?? [],
    hangWindowMs: dur('hangWindow', input.hangWindow),
    minSeverity: input.minSeverity ?? 'warning',
    quietHours: input.quietHours ? parseQuiet(where, input.quietHours) : undefined,
    foldMs: dur('foldWindow', input.foldWindow) ?? 2000,
    forward: forward as string[],
    file,
  };
}

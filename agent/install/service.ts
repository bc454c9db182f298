/**
 * What `connwatch install` writes and `connwatch uninstall` removes, shared by both:
 *
 * - the systemd user unit ~/.config/systemd/user/connwatch.service, rendered from
 *   install/connwatch.service with absolute paths (node = process.execPath, the agent =
 *   dist/agent/cli/main.js of this package, the state directory it may write);
 * - shims in ~/.local/bin for the programs of programs.ts that have one (plink, rdesktop, xfreerdp,
 *   remmina) that run the real program
 *   through `connwatch wrap`, only for programs that are installed;
 * - an empty config (`{}`) and config.example.json (the defaults spelled out) when none exists;
 * - the manifest ~/.local/state/connwatch/installed.json: every file written with its SHA-256,
 *   and the directories created, so uninstall removes exactly those and keeps a file changed
 *   since (reported).
 *
 * A file install did not write is never overwritten: unit and shims carry the MARKER on one of
 * their first lines, the JSON files are recognised by the manifest's hash.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { defaultSources, type SourceInput } from '../config/config.js';
import type { Paths } from '../config/paths.js';
import { ConnwatchError, errnoCode } from '../errors.js';
import { builtinRulesDir } from '../rules/load.js';
import { headOf, which } from '../doctor/system.js';
import { UNIT_NAME } from '../doctor/systemctl.js';
import type { Program } from '../event.js';
import { SHIMS } from '../programs.js';

/** Present in one of the first lines of every file install writes that can hold a comment. */
export const MARKER = 'connwatch-managed';

/** Clients a shim can capture, with the parser that reads their output (programs.ts). */
export const SHIM_PROGRAMS: Readonly<Record<string, Program>> = Object.fromEntries([...SHIMS].map(([name, s]) => [name, s.program]));
export type ShimName = string;

export type FileKind = 'unit' | 'shim' | 'config' | 'config-example' | 'task' | 'shortcut' | 'launch-agent';

export interface ManifestEntry {
  path: string;
  kind: FileKind;
  sha256: string;
}

export interface Manifest {
  version: 1;
  updatedAt: string;
  files: ManifestEntry[];
  /** Directories install created (removed again by uninstall when empty). */
  dirs: string[];
}

/** Where everything goes, from the environment (HOME, XDG_*). */
export interface InstallPlaces {
  home: string;
  unitDir: string;
  unitFile: string;
  binDir: string;
  manifestFile: string;
  paths: Paths;
}

export function installPlaces(p: Paths, env: NodeJS.ProcessEnv): InstallPlaces {
  const home = env.HOME ?? dirname(dirname(p.configDir));
  const unitDir = join(env.XDG_CONFIG_HOME || join(home, '.config'), 'systemd', 'user');
  return {
    home,
    unitDir,
    unitFile: join(unitDir, UNIT_NAME),
    binDir: join(home, '.local', 'bin'),
    manifestFile: join(p.stateDir, 'installed.json'),
    paths: p,
  };
}

/** The package's root (where package.json, install/, dist/ are). */
export function packageRoot(): string {
  return dirname(builtinRulesDir());
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

export function isOurs(path: string): boolean {
  return headOf(path, 400).split('\n').slice(0, 3).some((l) => l.includes(MARKER));
}

// ---- systemd quoting -------------------------------------------------------------------------

/** A double-quoted systemd word: backslash and quote escaped, `%` doubled (specifiers). */
export function systemdQuote(s: string, options: { dollar?: boolean } = {}): string {
  let q = s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%');
  if (options.dollar) q = q.replace(/\$/g, '$$$$');
  return `"${q}"`;
}

/**
 * Splits a systemd command line (ExecStart=) into argv: double or single quotes, backslash
 * escapes, `%%` and `$$`. Enough for what renderUnit writes (and what tests read back).
 */
export function parseExecLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  const s = line.replace(/^[-@:+!]+/, '');
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (i >= s.length) break;
    let word = '';
    let quote: string | undefined;
    for (; i < s.length; i++) {
      const c = s[i]!;
      if (!quote && (c === ' ' || c === '\t')) break;
      if (!quote && (c === '"' || c === "'")) quote = c;
      else if (quote && c === quote) quote = undefined;
      else if (c === '\\' && i + 1 < s.length) word += s[++i];
      else if ((c === '%' || c === '$') && s[i + 1] === c) word += s[i++];
      else word += c;
    }
    out.push(word);
  }
  return out;
}

// ---- rendering -------------------------------------------------------------------------------

export interface UnitInputs {
  node: string;
  agent: string;
  stateDir: string;
  docs: string;
  /** Environment= lines to pin (XDG_CONFIG_HOME / XDG_STATE_HOME when the installer had them). */
  environment: Record<string, string>;
}

export function templatePath(root = packageRoot()): string {
  return join(root, 'install', 'connwatch.service');
}

/**
 * Node options of the agent (`connwatch run`), in the unit's ExecStart and `npm start` alike.
 * A 1 MiB young generation: the agent spends its life waiting, and V8 otherwise grows the young
 * generation during start-up (rule files, first scans) and keeps it for the first seconds, which
 * was most of the gap between an idle agent's 61 MB and 56 MB. Other commands (replay) run with
 * CLI_NODE_OPTIONS from the shebang.
 */
export const AGENT_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=1'];

/** Node options of the `connwatch` command itself, in the shebang of agent/cli/main.ts (see there). */
export const CLI_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=4'];

export function renderUnit(template: string, u: UnitInputs): string {
  const exec = [systemdQuote(u.node, { dollar: true }), ...AGENT_NODE_OPTIONS, systemdQuote(u.agent, { dollar: true }), 'run'].join(' ');
  const env = Object.entries(u.environment)
    .map(([k, v]) => `Environment=${systemdQuote(`${k}=${v}`)}\n`)
    .join('');
  const values: Record<string, string> = {
    '@EXEC_START@': exec,
    '@ENVIRONMENT@': env,
    '@STATE_DIR@': systemdQuote(u.stateDir),
    '@DOCS@': u.docs.replace(/%/g, '%%').replace(/ /g, '%20'),
  };
  const out = template.replace(/@[A-Z_]+@/g, (m) => {
    const v = values[m];
    if (v === undefined) throw new ConnwatchError('INSTALL_FAILED', `the unit template has an unknown placeholder ${m}`, { hint: 'Reinstall connwatch; the file install/connwatch.service is damaged.' });
    return v;
  });
  if (!out.split('\n').slice(0, 3).some((l) => l.includes(MARKER))) {
    throw new ConnwatchError('INSTALL_FAILED', `the unit template does not carry the "${MARKER}" header line`, { hint: 'Reinstall connwatch; the file install/connwatch.service is damaged.' });
  }
  return out;
}

/** Single-quoted for POSIX sh. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function renderShim(name: ShimName, real: string, node: string, agent: string): string {
  const shim = SHIMS.get(name);
  if (!shim) throw new ConnwatchError('INSTALL_FAILED', `no program has a shim named ${name}`, { hint: 'Shims exist for the programs of agent/programs.ts.' });
  return [
    '#!/bin/sh',
    `# ${MARKER}: written by \`connwatch install --shims\`; \`connwatch uninstall\` removes it.`,
    `# Runs ${real} through \`connwatch wrap\`, so what it prints reaches the connwatch agent.`,
    '# Arguments, terminal and exit code are those of the real program. If connwatch is gone,',
    '# the real program runs on its own.',
    `node=${shQuote(node)}`,
    `agent=${shQuote(agent)}`,
    `real=${shQuote(real)}`,
    'if [ -x "$node" ] && [ -f "$agent" ]; then',
    `  exec "$node" "$agent" wrap --program ${shim.program}${shim.verbose ? ' --verbose-capture' : ''} -- "$real" "$@"`,
    'fi',
    'exec "$real" "$@"',
    '',
  ].join('\n');
}

/** A valid config that spells out the defaults, to copy from. */
export function exampleConfig(p: Paths): string {
  const sources: SourceInput[] = defaultSources(p).map((s): SourceInput => {
    switch (s.type) {
      case 'file':
        return { type: 'file', path: s.path!, ...(s.program ? { program: s.program } : {}) };
      case 'journal':
        return { type: 'journal', scope: s.scope ?? 'system', ...(s.identifiers ? { identifiers: s.identifiers } : {}) };
      case 'captures':
        return { type: 'captures', dir: p.captureDir };
      case 'process-scan':
        return { type: 'process-scan', interval: `${Math.round((s.intervalMs ?? 60_000) / 1000)}s` };
      case 'wevtutil':
        return { type: 'wevtutil', ...(s.channels ? { channels: s.channels } : {}) };
      case 'oslog':
        return { type: 'oslog' };
    }
  });
  const example = {
    replaceDefaultSources: true,
    sources,
    rules: [],
    disabled: [],
    minSeverity: 'warning',
    foldWindow: '2s',
  };
  return `${JSON.stringify(example, null, 2)}\n`;
}

// ---- manifest --------------------------------------------------------------------------------

export function readManifest(file: string): Manifest | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw new ConnwatchError('STATE_UNWRITABLE', `cannot read the install manifest ${file}: ${(err as Error).message}`, { hint: 'Check the permissions of the file.', cause: err });
  }
  try {
    const m = JSON.parse(text) as Partial<Manifest>;
    if (m.version !== 1 || !Array.isArray(m.files)) throw new Error(`unsupported manifest version ${String(m.version)}`);
    return { version: 1, updatedAt: String(m.updatedAt ?? ''), files: m.files, dirs: Array.isArray(m.dirs) ? m.dirs : [] };
  } catch (err) {
    throw new ConnwatchError('STATE_UNWRITABLE', `the install manifest ${file} is damaged: ${(err as Error).message}`, {
      hint: 'Move it away; `connwatch uninstall` then removes only files that carry the connwatch header.',
      cause: err,
    });
  }
}

export function writeManifest(file: string, m: Manifest): void {
  mkdirSync(dirname(file), { recursive: true });
  writeAtomic(file, `${JSON.stringify(m, null, 2)}\n`, 0o600);
}

export function writeAtomic(file: string, content: string | Buffer, mode: number): void {
  const tmp = `${file}.connwatch-tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, file);
}

/** mkdir -p that returns the directories it created, outermost first. */
export function mkdirs(dir: string): string[] {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) missing.unshift(d);
  if (missing.length) mkdirSync(dir, { recursive: true });
  return missing;
}

export function currentHash(path: string): string | undefined {
  try {
    return sha256(readFileSync(path));
  } catch {
    return undefined;
  }
}

/** The real program behind a shim name: on PATH, not in ~/.local/bin, not one of our shims. */
export function realProgram(name: string, pathVar: string | undefined, binDir: string): string | undefined {
  return which(name, pathVar, { exclude: [binDir], skip: isOurs });
}

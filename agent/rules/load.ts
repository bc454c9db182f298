/**
 * Loading rule files: the built-in pack (rules/ of the package), then the user's directories
 * (~/.config/connwatch/rules.d/ and any --rules DIR), in that order. A user rule with the id of
 * an earlier one replaces it (that is how a built-in rule is changed or silenced); two rules with
 * one id in the same layer are an error. A file with any problem contributes no rules; with
 * `previous`, such a file keeps the rules it had in the last good load (hot reload).
 */
import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errnoCode } from '../errors.js';
import { compileRule, type CompiledRule, type CompileOptions } from './compile.js';
import { formatProblem, validateRuleFile, type RuleFile, type RuleProblem } from './spec.js';

export interface RuleLayer {
  dir: string;
  builtin: boolean;
}

export interface LoadedRules {
  rules: CompiledRule[];
  problems: RuleProblem[];
  files: Array<{ file: string; builtin: boolean; rules: number; ok: boolean }>;
}

/** The package's own rules/ directory, found from this module's location (works from dist/ and from source). */
export function builtinRulesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'connwatch') return join(dir, 'rules');
    } catch {
      // not here; go up
    }
    dir = dirname(dir);
  }
  return resolve('rules');
}

function listJson(dir: string, problems: RuleProblem[]): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json') && f !== 'schema.json')
      .sort()
      .map((f) => join(dir, f));
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') problems.push({ file: dir, message: `cannot read the directory: ${(err as Error).message}` });
    return [];
  }
}

export interface LoadOptions extends CompileOptions {
  /** Rule ids to disable (config `disabled`). */
  disabled?: readonly string[];
  /** Rules from the last good load, per file: a file that now has problems keeps these. */
  previous?: LoadedRules;
}

export const MAX_RULE_FILE_BYTES = 4 << 20;

/**
 * A rule file's text, or why it is not read. Only a regular file under MAX_RULE_FILE_BYTES is
 * read, opened without following a symlink and without blocking: a FIFO in rules.d froze the
 * agent for good, a link to /dev/zero took 3.4 GB in 20 s, a link to /etc/shadow had its first
 * characters quoted in the log.
 */
export function readRuleText(file: string): string | { problem: string } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (errnoCode(err) === 'ELOOP') return { problem: 'is a symbolic link; rule files are read only as regular files (copy the file into the rules directory instead of linking it)' };
    return { problem: `cannot be read: ${(err as Error).message}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { problem: 'is not a regular file (a FIFO, socket or device); remove it from the rules directory' };
    if (st.size > MAX_RULE_FILE_BYTES) return { problem: 'is larger than 4 MiB; split it into several files' };
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > st.size) return { problem: 'is still being written (it grew while read); it is read again when it changes' };
    return buf.toString('utf8', 0, n);
  } catch (err) {
    return { problem: `cannot be read: ${(err as Error).message}` };
  } finally {
    closeSync(fd);
  }
}

/** Loads one file: its rules, or its problems. */
export function loadRuleFile(file: string, builtin: boolean, options: CompileOptions = {}): { rules: CompiledRule[]; problems: RuleProblem[] } {
  const read = readRuleText(file);
  if (typeof read !== 'string') return { rules: [], problems: [{ file, message: read.problem }] };
  // a UTF-8 byte-order mark (Windows Notepad writes one) is not an error: JSON.parse would reject it
  const text = read.replace(/^\uFEFF/, '');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // V8 quotes the start of the text ("root:$y$…" is not valid JSON): never repeat a file's content
    const why = (err as Error).message.replace(/\s+/g, ' ').replace(/,? ".*$/, '').replace(/ in JSON at position \d+.*$/, '');
    return { rules: [], problems: [{ file, message: `is not valid JSON${jsonPosition(text, err)}: ${why}` }] };
  }
  const problems = validateRuleFile(file, doc);
  if (problems.length) return { rules: [], problems };
  const rules: CompiledRule[] = [];
  for (const spec of (doc as RuleFile).rules) {
    try {
      rules.push(compileRule(spec, file, builtin, options));
    } catch (err) {
      problems.push({ file, rule: spec.id, message: `cannot be compiled: ${(err as Error).message}` });
    }
  }
  return problems.length ? { rules: [], problems } : { rules, problems };
}

/** " at line L, column C" for a JSON.parse error that gives a position, else "". */
function jsonPosition(text: string, err: unknown): string {
  const m = /at position (\d+)/.exec((err as Error).message);
  if (!m) return text.trim() === '' ? ' (the file is empty)' : '';
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  return ` at line ${line}, column ${Number(m[1]) - before.lastIndexOf('\n')}`;
}

export function loadRules(layers: readonly RuleLayer[], options: LoadOptions = {}): LoadedRules {
  const out: LoadedRules = { rules: [], problems: [], files: [] };
  const byId = new Map<string, CompiledRule>();
  for (const layer of layers) {
    const layerIds = new Map<string, string>();
    for (const file of listJson(layer.dir, out.problems)) {
      const loadedFile = loadRuleFile(file, layer.builtin, options);
      const problems = loadedFile.problems;
      let rules = loadedFile.rules;
      for (const r of rules) {
        const other = layerIds.get(r.id);
        if (other) problems.push({ file, rule: r.id, field: 'id', message: `duplicate id: also defined in ${other}` });
      }
      if (problems.length) {
        out.problems.push(...problems);
        const kept = options.previous?.rules.filter((r) => r.file === file) ?? [];
        rules = kept;
      }
      for (const r of rules) {
        layerIds.set(r.id, file);
        byId.set(r.id, r);
      }
      out.files.push({ file, builtin: layer.builtin, rules: rules.length, ok: problems.length === 0 });
    }
  }
  const disabled = new Set(options.disabled ?? []);
  for (const r of byId.values()) {
    if (disabled.has(r.id)) r.enabled = false;
    out.rules.push(r);
  }
  return out;
}

export function describeProblems(problems: readonly RuleProblem[]): string {
  return problems.map(formatProblem).join('\n');
}

/**
 * The client programs' catalogs: PuTTY (plink), FreeRDP (xfreerdp), rdesktop, Remmina's RDP
 * plugin. Each program says which tags and files to read, which calls print what (and at which
 * level), and how a message looks on the program's output; every entry is then rendered and run
 * through the CURRENT parser (tools/catalog-classify.ts). Nothing here edits a parser: what the
 * parsers do not understand is listed in docs/catalog/coverage.md, one line each.
 */
import { conversions, findCalls, listFiles, literal, readAt, stripComments, tags, type Call } from './catalog-c.js';
import { classify } from './catalog-classify.js';
import { cmpVersion } from './catalog-openssh.js';
import { ORDINARY, valueFor } from './catalog-render.js';
import { render } from './catalog-c.js';
import { ranges, summaryLine, type Catalog, type Entry } from './catalog-report.js';
import { roleOf } from './catalog-openssh.js';

type ClientProgram = 'plink' | 'freerdp' | 'rdesktop' | 'remmina';

interface Found {
  level: string;
  format: string;
  roles: string[];
  file: string;
}

interface Spec {
  program: ClientProgram;
  repo: string;
  /** tag → version, for the tags read (undefined: not read). */
  version: (tag: string) => string | undefined;
  /** Only the last patch of each minor version. */
  lastPatch?: boolean;
  files: RegExp;
  extract: (call: Call, file: string, src: string) => Found[];
  names: ReadonlySet<string>;
  /** How the program prints a message of this level (the parser sees this). */
  show: (level: string, text: string, e: Found) => string;
  promised: (e: Entry) => boolean;
  /** More entries that are not calls (tables, prompts), per file. */
  extra?: (file: string, src: string) => Found[];
  describe: string;
}

function argsOf(call: Call, fmtAt: number): { fmt: string; rest: string[] } | undefined {
  let args = call.args;
  // PuTTY's old macros take their arguments in double parentheses: ppl_logevent(("fmt", x))
  if (args.length === 1 && args[0]!.startsWith('(') && args[0]!.endsWith(')')) {
    args = splitTop(args[0]!.slice(1, -1));
    fmtAt = 0;
  }
  const fmt = literal(args[fmtAt] ?? '');
  if (fmt === undefined || fmt.trim() === '' || /^%[-.\d]*s$/.test(fmt)) return undefined;
  return { fmt, rest: args.slice(fmtAt + 1) };
}

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      cur += s.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

function found(level: string, fmt: string, rest: readonly string[], file: string): Found {
  const roles: string[] = [];
  let k = 0;
  for (const c of conversions(fmt)) {
    if (c.args === 2) k++;
    roles.push(roleOf(rest[k++] ?? '', c.spec, fmt.slice(0, c.at)));
  }
  return { level, format: fmt, roles, file };
}

const PUTTY_FMT: Record<string, [level: string, fmtAt: number]> = {
  logevent: ['EVENT', 1],
  logeventf: ['EVENT', 1],
  ppl_logevent: ['EVENT', 0],
  bombout: ['FATAL', 0],
  ssh_sw_abort: ['FATAL', 1],
  ssh_proto_error: ['FATAL', 1],
  ssh_remote_error: ['FATAL', 1],
  ssh_remote_eof: ['EVENT', 1],
  seat_connection_fatal: ['FATAL', 1],
  connection_fatal: ['FATAL', 1],
  fatalbox: ['FATAL', 0],
  modalfatalbox: ['FATAL', 0],
  ssh_disconnect: ['FATAL', 1],
  nonfatal: ['ERROR', 0],
};

const WLOG: Record<string, string> = { WLog_ERR: 'ERROR', WLog_WARN: 'WARN', WLog_INFO: 'INFO', WLog_DBG: 'DEBUG', WLog_FATAL: 'FATAL', WLog_VRB: 'TRACE' };

const SPECS: Spec[] = [
  {
    program: 'plink',
    repo: 'larryli/PuTTY',
    describe: 'larryli/PuTTY (upstream PuTTY history), event log lines, fatal errors and console prompts',
    version: (t) => (/^0\.(6\d|7\d|8[0-3])$/.test(t) ? t : undefined),
    files: /^(ssh[\w-]*\.c|ssh\/[\w-]+\.c|be_misc\.c|proxy\.c|proxy\/[\w-]+\.c|(unix|windows)\/(ux|win)?(plink|cons|console|net|network)\.c|console\.c|(unix|windows)\/console\.c|utils\/[\w-]*log[\w-]*\.c)$/,
    names: new Set(Object.keys(PUTTY_FMT)),
    extract: (call, file) => {
      const [level, at] = PUTTY_FMT[call.fn]!;
      const a = argsOf(call, at);
      return a ? [found(level, a.fmt, a.rest, file)] : [];
    },
    extra: (file, src) => {
      // the console's prompts: the host key and weak-crypto questions, as the tool prints them
      if (!/cons|console/.test(file)) return [];
      const out: Found[] = [];
      for (const m of src.matchAll(/"((?:[^"\\\n]|\\.)*)"(?:\s*"((?:[^"\\\n]|\\.)*)")*/g)) {
        const text = literal(m[0]);
        if (!text) continue;
        const first = text.split('\n').find((l) => l.trim()) ?? '';
        if (/\?\s*\(y\/n|\(y\/n|Store key in cache|Update cached key|Continue with connection|host key is not cached|POTENTIAL SECURITY BREACH|below the configured warning threshold/i.test(text)) {
          out.push({ level: 'PROMPT', format: first.trim(), roles: conversions(first).map(() => 'text'), file });
        }
      }
      return out;
    },
    show: (level, text) => (level === 'FATAL' ? `FATAL ERROR: ${text}` : text),
    promised: (e) => e.level === 'EVENT' || e.level === 'FATAL',
  },
  {
    program: 'freerdp',
    repo: 'FreeRDP/FreeRDP',
    lastPatch: true,
    describe: 'FreeRDP/FreeRDP 2.x and 3.x, WLog messages on the connect path and the ERRCONNECT table',
    version: (t) => (/^[23]\.\d+\.\d+$/.test(t) ? t : undefined),
    files: /^(libfreerdp\/core\/(connection|nego|transport|tcp|nla|rdp|freerdp|tls|gateway\/[\w-]+|security|license|errconnect|credssp_auth|aad|utils)\.c|libfreerdp\/crypto\/(tls|certificate|crypto)\.c|client\/X11\/xf_client\.c|client\/common\/(client|cmdline)\.c|include\/freerdp\/error\.h)$/,
    names: new Set([...Object.keys(WLOG), 'WLog_Print']),
    extract: (call, file, src) => {
      let level = WLOG[call.fn];
      let at = 1;
      if (call.fn === 'WLog_Print') {
        const lv = /WLOG_(\w+)/.exec(call.args[1] ?? '')?.[1];
        if (!lv) return [];
        level = lv === 'ERROR' ? 'ERROR' : lv === 'WARN' ? 'WARN' : lv === 'FATAL' ? 'FATAL' : lv === 'INFO' ? 'INFO' : 'DEBUG';
        at = 2;
      }
      const a = argsOf(call, at);
      if (!a || !level) return [];
      const f = found(level, a.fmt, a.rest, file);
      return [{ ...f, roles: [`tag:${tagOf(src, call.args[0] ?? '')}`, `func:${call.func}`, ...f.roles] }];
    },
    extra: (file, src) => {
      if (file !== 'include/freerdp/error.h') return [];
      const out: Found[] = [];
      for (const m of src.matchAll(/#define (ERRCONNECT_\w+) 0x([0-9A-Fa-f]{8})/g)) {
        out.push({ level: 'ERRCONNECT', format: `${m[1]} [0x0002${m[2]!.slice(4).toUpperCase()}]`, roles: ['tag:com.freerdp.core', 'func:freerdp_set_last_error_ex'], file });
      }
      return out;
    },
    show: (level, text, e) => {
      const tag = e.roles[0]!.slice(4);
      const func = e.roles[1]!.slice(5);
      if (level === 'ERRCONNECT') return `[13:40:54:045] [3090:3091] [ERROR][${tag}] - ${func}:freerdp_set_last_error_ex ${e.format}`;
      return `[13:40:54:045] [3090:3091] [${level}][${tag}] - ${text}`;
    },
    promised: (e) => e.level === 'ERROR' || e.level === 'ERRCONNECT' || e.level === 'FATAL',
  },
  {
    program: 'rdesktop',
    repo: 'rdesktop/rdesktop',
    describe: 'rdesktop/rdesktop v1.8.x and v1.9.0, error()/warning() and logger() messages',
    version: (t) => (/^v1\.(8\.\d+|9\.0)$/.test(t) ? t.slice(1) : undefined),
    files: /^[\w-]+\.c$/,
    names: new Set(['error', 'warning', 'logger']),
    extract: (call, file) => {
      if (call.fn === 'logger') {
        const lv = (call.args[1] ?? '').trim();
        const a = argsOf(call, 2);
        return a ? [{ ...found(lv === 'Error' ? 'ERROR' : lv === 'Warning' ? 'WARN' : lv === 'Notice' || lv === 'Verbose' ? 'NOTICE' : 'DEBUG', a.fmt, a.rest, file), roles: [`subject:${(call.args[0] ?? '').trim()}`, `lvl:${lv.toLowerCase()}`, ...found('', a.fmt, a.rest, file).roles] }] : [];
      }
      const a = argsOf(call, 0);
      return a ? [{ ...found(call.fn === 'error' ? 'ERROR' : 'WARN', a.fmt, a.rest, file), roles: ['subject:', 'lvl:', ...found('', a.fmt, a.rest, file).roles] }] : [];
    },
    show: (level, text, e) => {
      const subject = e.roles[0]!.slice(8);
      const lvl = e.roles[1]!.slice(4);
      const msg = text.replace(/\n$/, '');
      if (subject) return level === 'NOTICE' ? msg : `${subject}(${lvl}): ${msg}`;
      return `${level === 'ERROR' ? 'ERROR' : 'WARNING'}: ${msg}`;
    },
    promised: (e) => e.level === 'ERROR',
  },
  {
    program: 'remmina',
    repo: 'FreeRDP/Remmina',
    describe: "FreeRDP/Remmina v1.4.x, the RDP plugin's user-facing errors and printed lines",
    lastPatch: false,
    version: (t) => (/^v1\.4\.(\d+)$/.test(t) && Number(t.split('.')[2]) % 5 === 0 || t === 'v1.4.41' ? t.slice(1) : undefined),
    files: /^plugins\/rdp\/rdp_[\w]+\.c$/,
    names: new Set(['protocol_plugin_set_error', 'g_printf', 'printf', 'g_print', 'g_printerr', 'g_warning', 'REMMINA_PLUGIN_DEBUG', 'REMMINA_PLUGIN_INFO', 'REMMINA_PLUGIN_CRITICAL', 'REMMINA_PLUGIN_WARNING', 'REMMINA_PLUGIN_MESSAGE']),
    extract: (call, file) => {
      const fn = call.fn;
      const a = argsOf(call, fn === 'protocol_plugin_set_error' ? 1 : 0);
      if (!a) return [];
      const level = fn === 'protocol_plugin_set_error' ? 'ERROR' : /DEBUG/.test(fn) ? 'DEBUG' : /warning|WARNING|CRITICAL|printerr/.test(fn) ? 'WARN' : 'INFO';
      return [found(level, a.fmt, a.rest, file)];
    },
    show: (_level, text) => text.replace(/\n$/, ''),
    promised: (e) => e.level === 'ERROR',
  },
];

/** Formats whose conversions the roles cannot tell apart, with the values they print in the usual case. */
const USUAL: Record<string, string[]> = {
  'Looking up host "%s"%s': [ORDINARY.host, ' (IPv4)'],
  "Server also has %s host key%s, but we don't know %s": ['ecdsa-sha2-nistp256', '', 'it'],
};

function tagOf(src: string, arg: string): string {
  const a = arg.trim();
  const lit = literal(a);
  if (lit) return lit;
  const def = new RegExp(`#define\\s+${a || 'TAG'}\\s+(\\w+)_TAG\\("([^"]*)"\\)`).exec(src);
  if (def) return `com.freerdp.${def[1] === 'FREERDP' ? '' : `${def[1]!.toLowerCase()}.`}${def[2]}`;
  return 'com.freerdp.core';
}

function pickVersions(spec: Spec, all: string[]): Array<{ tag: string; version: string }> {
  const vs = all.flatMap((t) => {
    const v = spec.version(t);
    return v ? [{ tag: t, version: v }] : [];
  });
  vs.sort((a, b) => cmpVersion(a.version, b.version));
  if (!spec.lastPatch) return vs;
  const byMinor = new Map<string, { tag: string; version: string }>();
  for (const v of vs) byMinor.set(v.version.split('.').slice(0, 2).join('.'), v);
  return [...byMinor.values()];
}

export function clientCatalogs(repo: string, git: string): Catalog[] {
  const spec = SPECS.find((s) => s.repo === repo);
  if (!spec) return [];
  const versions = pickVersions(spec, tags(git));
  const entries = new Map<string, Found & { versions: Set<string> }>();
  for (const { tag, version } of versions) {
    const files = listFiles(git, tag, spec.files);
    for (const [file, text] of readAt(git, tag, files)) {
      const src = stripComments(text);
      const list = [...findCalls(src, spec.names).flatMap((c) => spec.extract(c, file, src)), ...(spec.extra?.(file, src) ?? [])];
      for (const f of list) {
        const key = `${f.level}\t${f.format}\t${f.roles.filter((r) => /^(tag|subject|lvl):/.test(r)).join(',')}`;
        let have = entries.get(key);
        if (!have) entries.set(key, (have = { ...f, versions: new Set() }));
        have.versions.add(version);
      }
    }
  }
  const names = versions.map((v) => v.version);
  const rows = [...entries.values()].sort((a, b) => (a.file + a.format < b.file + b.format ? -1 : 1));
  const list: Entry[] = rows.map((f) => {
    const valueRoles = f.roles.filter((r) => !/^(tag|subject|lvl|func):/.test(r) || f.roles.indexOf(r) >= 2 || spec.program === 'plink' || spec.program === 'remmina');
    const plain = spec.program === 'freerdp' || spec.program === 'rdesktop' ? f.roles.slice(2) : valueRoles;
    const usual = USUAL[f.format];
    const text = f.level === 'ERRCONNECT' ? f.format : render(f.format, usual ?? plain.map((r) => valueFor(r, ORDINARY)));
    const rendered = spec.show(f.level, text, f);
    return classify(spec.program, { level: f.level, format: f.format, roles: f.roles, file: f.file, versions: ranges(names, f.versions) }, rendered);
  });
  return [
    {
      program: spec.program,
      source: spec.describe,
      versions: names,
      entries: list,
      present: rows.map((r) => r.versions),
      promised: spec.promised,
      summary: summaryLine(spec.program, list, spec.promised),
    },
  ];
}

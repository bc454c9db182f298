/**
 * dpkg's own log, /var/log/dpkg.log (dpkg 1.14 to 1.22: the format has not changed).
 *
 * Every line is `%Y-%m-%d %H:%M:%S <event>` in LOCAL time (dpkg lib/dpkg/log.c). Events:
 *   startup archives unpack | startup packages configure|remove|purge   → pkg.run (phase start)
 *   install|upgrade|configure|trigproc|remove|purge|disappear PKG[:ARCH] INSTALLED AVAILABLE
 *                                                                        → pkg.change
 *   status STATE PKG[:ARCH] VERSION                                      → pkg.status
 *   conffile PATH install|keep                                           → info
 * A missing version is printed `<none>` and left out of detail. detail.package never carries the
 * `:arch` suffix (it goes to detail.arch). detail.version is the version the action is about: the
 * new one for install/upgrade (the AVAILABLE column), the installed one for configure, trigproc,
 * remove, purge and disappear (dpkg prints `configure PKG NEWVER <none>`).
 */
import type { Detail, EventDraft, EventKind } from '../event.js';
import type { LineParser, Message, ParserSpec } from './types.js';

const D = 'dpkg' as const;
const STAMP = String.raw`(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)`;

interface Pattern {
  id: string;
  re: RegExp;
  make: (m: RegExpExecArray, time: number) => EventDraft;
}

const ev = (kind: EventKind, pattern: string, time: number, detail: Detail): EventDraft => ({
  kind,
  program: D,
  pattern,
  time,
  detail,
});

/** `libfreerdp2-2:amd64` → package and arch; a package without `:arch` (old dpkg, arch all in some logs) has none. */
export function splitPackage(spec: string): { package: string; arch?: string } {
  const i = spec.indexOf(':');
  return i > 0 ? { package: spec.slice(0, i), arch: spec.slice(i + 1) } : { package: spec };
}

function pkgDetail(spec: string): Detail {
  const p = splitPackage(spec);
  return p.arch === undefined ? { package: p.package } : { package: p.package, arch: p.arch };
}

const version = (v: string): string | undefined => (v === '<none>' ? undefined : v);

/** Actions whose version of interest is the AVAILABLE column (the one being put on disk). */
const NEW_VERSION_ACTIONS = new Set(['install', 'upgrade']);

const PATTERNS: Pattern[] = [
  {
    id: 'dpkg.startup',
    re: new RegExp(`^${STAMP} startup (archives|packages) (\\S+)$`),
    make: (m, t) => ev('pkg.run', 'dpkg.startup', t, { phase: 'start', operation: m[8]!, scope: m[7]! }),
  },
  {
    id: 'dpkg.action',
    re: new RegExp(`^${STAMP} (install|upgrade|configure|trigproc|remove|purge|disappear) (\\S+) (\\S+) (\\S+)$`),
    make: (m, t) => {
      const action = m[7]!;
      const detail: Detail = { action, ...pkgDetail(m[8]!) };
      const installed = version(m[9]!);
      const available = version(m[10]!);
      if (installed !== undefined) detail.oldVersion = installed;
      if (available !== undefined) detail.newVersion = available;
      const concerned = NEW_VERSION_ACTIONS.has(action) ? available : installed;
      if (concerned !== undefined) detail.version = concerned;
      return ev('pkg.change', 'dpkg.action', t, detail);
    },
  },
  {
    id: 'dpkg.status',
    re: new RegExp(`^${STAMP} status (\\S+) (\\S+) (\\S+)$`),
    make: (m, t) => {
      const detail: Detail = { state: m[7]!, ...pkgDetail(m[8]!) };
      const v = version(m[9]!);
      if (v !== undefined) detail.version = v;
      return ev('pkg.status', 'dpkg.status', t, detail);
    },
  },
  {
    id: 'dpkg.conffile',
    re: new RegExp(`^${STAMP} conffile (.+) (install|keep)$`),
    make: (m, t) => ev('info', 'dpkg.conffile', t, { what: 'conffile', file: m[7]!, decision: m[8]! }),
  },
  {
    // Any other dated line: a future dpkg event we do not know yet. Keep its time, say what it was.
    id: 'dpkg.other',
    re: new RegExp(`^${STAMP} (.*)$`),
    make: (m, t) => ev('unknown', 'dpkg.other', t, { message: m[7]! }),
  },
];

/** Local time of `YYYY-MM-DD HH:MM:SS` captured in m[1..6]; undefined when a field is out of range. */
export function localStamp(m: RegExpExecArray, first = 1): number | undefined {
  const [y, mo, d, h, mi, s] = [0, 1, 2, 3, 4, 5].map((i) => Number(m[first + i]));
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h! > 23 || mi! > 59 || s! > 60) return undefined;
  const date = new Date(y!, mo! - 1, d!, h!, mi!, s!);
  // Day 31 of a 30-day month rolls over into the next month: not a real date.
  return date.getDate() === d ? date.getTime() : undefined;
}

class DpkgParser implements LineParser {
  parse(msg: Message): EventDraft[] {
    const text = msg.text.endsWith('\r') ? msg.text.slice(0, -1) : msg.text;
    if (text.trim() === '') return [{ kind: 'noise', program: D, pattern: 'dpkg.blank' }];
    for (const p of PATTERNS) {
      const m = p.re.exec(text);
      if (!m) continue;
      const t = localStamp(m);
      if (t === undefined) break;
      return [p.make(m, t)];
    }
    return [{ kind: 'unknown', program: D, pattern: 'dpkg.unknown' }];
  }

  end(): EventDraft[] {
    return [];
  }
}

const SURE = new RegExp(
  `^${STAMP} (?:startup (?:archives|packages) \\S+|status \\S+ \\S+ \\S+|(?:install|upgrade|configure|trigproc|remove|purge|disappear) \\S+ \\S+ \\S+|conffile .+ (?:install|keep))$`,
);

export const dpkg: ParserSpec = {
  program: 'dpkg',
  understands: 'dpkg 1.14–1.22 /var/log/dpkg.log: startup, install/upgrade/configure/trigproc/remove/purge/disappear, status, conffile lines',
  idents: ['dpkg'],
  patterns: [...PATTERNS.map((p) => p.id), 'dpkg.blank', 'dpkg.unknown'],
  sniff(text: string): number {
    return SURE.test(text) ? 1 : 0;
  },
  stateless: true,
  create(): LineParser {
    return new DpkgParser();
  },
};

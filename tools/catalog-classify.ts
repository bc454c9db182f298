/**
 * OpenSSH's catalog entries classified: each rendered (ordinary values, the level prefix log.c
 * writes) and run through the current sshd or ssh parser; what no pattern maps is put in a named
 * class of tools/catalog-classes.ts or left unclassified.
 */
import type { EventDraft } from '../agent/event.js';
import { parserFor } from '../agent/parsers/registry.js';
import { ignoredClass } from './catalog-classes.js';
import { extractOpenssh } from './catalog-openssh.js';
import { LEVEL_PREFIX, ORDINARY, renderEntry } from './catalog-render.js';
import { ranges, summaryLine, type Catalog, type Entry } from './catalog-report.js';

/** The patterns that only take a line by its level or envelope: "generic", not "mapped". */
const FALLBACK = /^(sshd\.(err\.(error|fatal|warning)|debug)|freerdp\.wlog\.(error|warn|info)|plink\.(fatal|error\.nonfatal)|rdesktop\.(error\.other|log\.other)|ssh\.debug\.other|ssh\.error\.catalog|remmina\.(debug-function|glib\.other-domain)|\w+\.unknown)$/;

export function parseOne(program: 'sshd' | 'ssh' | 'plink' | 'freerdp' | 'rdesktop' | 'remmina', text: string): EventDraft | undefined {
  const parser = parserFor(program)!.create();
  const lines = text.split('\n');
  let last: EventDraft | undefined;
  for (const [i, l] of lines.entries()) {
    const d = parser.parse({ text: l, referenceTime: 0, partial: i === lines.length - 1 && /[?:] ?$/.test(l) ? true : undefined });
    const best = d.find((x) => x.kind !== 'unknown' && x.kind !== 'noise') ?? d[0];
    if (best && (!last || last.kind === 'unknown' || last.kind === 'noise')) last = best;
  }
  for (const d of parser.end()) if (!last || last.kind === 'unknown') last = d;
  return last;
}

export function classify(program: 'sshd' | 'ssh' | 'plink' | 'freerdp' | 'rdesktop' | 'remmina', e: Omit<Entry, 'class' | 'rendered'>, rendered: string): Entry {
  const d = parseOne(program, rendered);
  const out: Entry = { ...e, class: 'unclassified', rendered };
  const pattern = d?.pattern;
  if (d && d.kind !== 'unknown' && pattern && !FALLBACK.test(pattern) && pattern !== `${program}.ignored`) {
    out.class = 'mapped';
    out.pattern = pattern;
    out.kind = d.kind;
    return out;
  }
  // the class comes from tools/catalog-classes.ts alone, not from what the parser's generated
  // ignored table says (that table is written from this result)
  const cls = ignoredClass(program, e.level, e.format, e.file);
  if (cls) {
    out.class = 'ignored';
    out.ignored = cls;
    if (pattern) out.pattern = pattern;
    return out;
  }
  if (d && d.kind !== 'unknown' && pattern) {
    out.class = 'generic';
    out.pattern = pattern;
    out.kind = d.kind;
  }
  return out;
}

export function classifyOpenssh(git: string): Catalog[] {
  const { versions, entries } = extractOpenssh(git);
  const out: Catalog[] = [];
  for (const side of ['sshd', 'ssh'] as const) {
    const list: Entry[] = [];
    const present: Array<Set<string>> = [];
    for (const raw of entries.values()) {
      if (raw.side !== side) continue;
      const prefix = side === 'sshd' || raw.level.startsWith('DEBUG') ? (LEVEL_PREFIX[raw.level] ?? '') : '';
      const rendered = prefix + renderEntry(raw.format, raw.roles, ORDINARY);
      list.push(classify(side, { level: raw.level, format: raw.format, roles: raw.roles, file: raw.file, versions: ranges(versions, raw.versions) }, rendered));
      present.push(raw.versions);
    }
    const order = list.map((e, i) => [e, present[i]!] as const).sort((a, b) => (a[0].file + a[0].format < b[0].file + b[0].format ? -1 : 1));
    const promised =
      side === 'sshd' ? (e: Entry): boolean => ['INFO', 'VERBOSE', 'ERROR', 'FATAL'].includes(e.level) : (e: Entry): boolean => ['INFO', 'ERROR', 'FATAL'].includes(e.level);
    const sorted = order.map((x) => x[0]);
    out.push({
      program: side,
      source: `openssh/openssh-portable ${versions[0]}–${versions.at(-1)} (${side === 'sshd' ? 'sshd, sshd-session, sshd-auth and the files they share with ssh' : 'ssh and the shared files'})`,
      versions,
      entries: sorted,
      present: order.map((x) => x[1]),
      promised,
      summary: summaryLine(side, sorted, promised),
    });
  }
  return out;
}

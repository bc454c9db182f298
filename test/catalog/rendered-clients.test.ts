/**
 * The client programs' catalogs, rendered (issue 18): every entry of docs/catalog/{ssh,plink,
 * rdesktop,freerdp,remmina}.json that the catalog maps to a pattern gives that pattern and kind
 * again from its rendered line; ssh's entries are also rendered with hostile values (IPv6 with and
 * without a port, user names with spaces, `from` and `port` in them, an address typed as a user
 * name) and must keep pattern, kind and the `host`, `port` and `user` put in. Every entry of an
 * ignored class that the parsers' generated tables hold comes out as that class, and every ssh
 * ERROR/FATAL entry is understood (mapped, catalog table, or an ignored class).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseOne } from '../../tools/catalog-classify.js';
import { MIN_LITERAL, literalOf } from '../../tools/catalog-classes.js';
import { HOSTILE, LEVEL_PREFIX, ORDINARY, renderEntry, type Values } from '../../tools/catalog-render.js';
import type { Entry } from '../../tools/catalog-report.js';

type Client = 'ssh' | 'plink' | 'rdesktop' | 'freerdp' | 'remmina';
const load = (p: Client): Entry[] => JSON.parse(readFileSync(new URL(`../../docs/catalog/${p}.json`, import.meta.url), 'utf8')) as Entry[];

describe.each(['ssh', 'plink', 'rdesktop', 'freerdp', 'remmina'] as const)('the %s catalog, rendered', (program: Client) => {
  const catalog = load(program);
  it('gives every mapped entry its pattern and kind', () => {
    const mapped = catalog.filter((e) => e.class === 'mapped');
    expect(mapped.length).toBeGreaterThan(20);
    const bad: string[] = [];
    for (const e of mapped) {
      const d = parseOne(program, e.rendered);
      if (d?.pattern !== e.pattern || d?.kind !== e.kind) bad.push(`${JSON.stringify(e.rendered)}: ${d?.pattern}/${d?.kind}, the catalog says ${e.pattern}/${e.kind}`);
    }
    expect(bad).toEqual([]);
  });

  it('reports every recognisable entry of an ignored class as that class', () => {
    const levels = program === 'plink' ? ['EVENT'] : program === 'ssh' ? ['INFO'] : [];
    const ignored = catalog.filter((e) => e.class === 'ignored' && levels.includes(e.level) && literalOf(e.format).trim().length >= MIN_LITERAL && !e.format.includes('\n'));
    const classes = new Map<string, Set<string>>();
    for (const e of ignored) classes.set(e.format, (classes.get(e.format) ?? new Set()).add(e.ignored!));
    const bad: string[] = [];
    for (const e of ignored) {
      const d = parseOne(program, e.rendered);
      // a line a pattern maps is understood better than ignored
      if (d && d.kind !== 'noise' && d.kind !== 'unknown' && d.pattern !== `${program}.unknown`) continue;
      if (d?.kind !== 'noise' || !classes.get(e.format)!.has(String(d.detail?.ignored))) bad.push(`${JSON.stringify(e.rendered)}: ${d?.pattern}/${d?.kind}/${String(d?.detail?.ignored)}, want ${e.ignored}`);
    }
    expect(bad).toEqual([]);
  });
});

describe('the ssh catalog with hostile values', () => {
  const catalog = load('ssh');
  const render = (e: Entry, v: Values): string => (e.level.startsWith('DEBUG') ? (LEVEL_PREFIX[e.level] ?? '') : '') + renderEntry(e.format, e.roles, v);

  it('keeps pattern, kind, host, port and user of every mapped entry', () => {
    const bad: string[] = [];
    for (const e of catalog.filter((x) => x.class === 'mapped')) {
      const base = parseOne('ssh', render(e, ORDINARY))!;
      const hasHost = base.host === ORDINARY.host;
      const hasPort = base.port === Number(ORDINARY.port);
      const hasUser = base.user === ORDINARY.user;
      for (const v of HOSTILE) {
        const d = parseOne('ssh', render(e, v));
        const got = { pattern: d?.pattern, kind: d?.kind, ...(hasHost ? { host: d?.host } : {}), ...(hasPort ? { port: d?.port } : {}), ...(hasUser ? { user: d?.user } : {}) };
        const want = { pattern: e.pattern, kind: e.kind, ...(hasHost ? { host: v.host } : {}), ...(hasPort ? { port: Number(v.port) } : {}), ...(hasUser ? { user: v.user } : {}) };
        if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`${JSON.stringify(render(e, v))}\n    got  ${JSON.stringify(got)}\n    want ${JSON.stringify(want)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('leaves no ERROR, FATAL or INFO message unclassified', () => {
    expect(catalog.filter((e) => ['INFO', 'ERROR', 'FATAL'].includes(e.level) && e.class === 'unclassified').map((e) => e.format)).toEqual([]);
  });
});

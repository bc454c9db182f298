/**
 * The rendered catalog (issue 18): every sshd message the source catalog maps to a pattern
 * (docs/catalog/sshd.json, written by tools/catalog.ts from openssh-portable 6.6–10.x) is rendered
 * with ordinary and hostile values (IPv6 with and without a port, user names with spaces, `from`
 * and `port` in them, an address typed as a user name) and must give the same pattern and kind,
 * with `host`, `port` and `user` exactly the values put in wherever the parser reports them for
 * the ordinary rendering. Every message in an ignored class must come out as that class.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EventDraft } from '../../agent/event.js';
import { sshd } from '../../agent/parsers/sshd.js';
import { HOSTILE, LEVEL_PREFIX, ORDINARY, renderEntry, type Values } from '../../tools/catalog-render.js';
import type { Entry } from '../../tools/catalog-report.js';

const CATALOG = JSON.parse(readFileSync(new URL('../../docs/catalog/sshd.json', import.meta.url), 'utf8')) as Entry[];

function parse(e: Entry, v: Values, wrap = (t: string): string => t): EventDraft {
  const text = wrap((LEVEL_PREFIX[e.level] ?? '') + renderEntry(e.format, e.roles, v));
  const [d] = sshd.create().parse({ text, referenceTime: 0 });
  return d!;
}

describe('the sshd catalog, rendered', () => {
  const mapped = CATALOG.filter((e) => e.class === 'mapped');
  it('has mapped and ignored entries and none unclassified at INFO and above', () => {
    expect(mapped.length).toBeGreaterThan(250);
    const promised = CATALOG.filter((e) => ['INFO', 'VERBOSE', 'ERROR', 'FATAL'].includes(e.level));
    expect(promised.filter((e) => e.class === 'unclassified').map((e) => e.format)).toEqual([]);
  });

  it('gives every mapped entry its pattern, kind and fields, with ordinary and hostile values', () => {
    const bad: string[] = [];
    for (const e of mapped) {
      const base = parse(e, ORDINARY);
      if (base.pattern !== e.pattern || base.kind !== e.kind) {
        bad.push(`${e.format}: ordinary values gave ${base.pattern}/${base.kind}, the catalog says ${e.pattern}/${e.kind}`);
        continue;
      }
      const hasHost = base.host === ORDINARY.host;
      const hasPort = base.port === Number(ORDINARY.port);
      const hasUser = base.user === ORDINARY.user;
      for (const v of HOSTILE) {
        // a wrapper around the message must not change it: the monitor's [preauth] and rsyslog's repeat
        for (const wrap of [(t: string): string => t, (t: string): string => `${t} [preauth]`, (t: string): string => `message repeated 2 times: [ ${t}]`]) {
          const d = parse(e, v, wrap);
          const got = { pattern: d.pattern, kind: d.kind, ...(hasHost ? { host: d.host } : {}), ...(hasPort ? { port: d.port } : {}), ...(hasUser ? { user: d.user } : {}) };
          const want = { pattern: e.pattern, kind: e.kind, ...(hasHost ? { host: v.host } : {}), ...(hasPort ? { port: Number(v.port) } : {}), ...(hasUser ? { user: v.user } : {}) };
          if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`${JSON.stringify(wrap(renderEntry(e.format, e.roles, v)))}\n    got  ${JSON.stringify(got)}\n    want ${JSON.stringify(want)}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('reports every message of an ignored class at INFO and VERBOSE as that class', () => {
    const bad: string[] = [];
    const ignored = CATALOG.filter((e) => e.class === 'ignored' && (e.level === 'INFO' || e.level === 'VERBOSE'));
    // the same format in two files may be in two classes; a line cannot tell them apart
    const classes = new Map<string, Set<string>>();
    for (const e of ignored) classes.set(e.format, (classes.get(e.format) ?? new Set()).add(e.ignored!));
    for (const e of ignored) {
      // the monitor's relay: the parser takes ` [preauth]` off and reads the relayed message
      if (e.format === '%s [preauth]') continue;
      const d = parse(e, ORDINARY);
      if (d.kind !== 'noise' || !classes.get(e.format)!.has(String(d.detail?.ignored))) bad.push(`${e.format}: ${d.pattern}/${d.kind}/${String(d.detail?.ignored)}, want ${e.ignored}`);
    }
    expect(bad).toEqual([]);
  });
});

/**
 * Message and remedy templates: `{host}`, `{detail.reason}`, `{connection.clientVersion}`,
 * `{count}`; a fallback after `|` is used when the field is empty: `{connection.clientVersion|an old plink}`.
 * `{{` and `}}` stand for literal braces.
 */
import type { Event } from '../event.js';
import { ALERT_FIELDS, checkFieldPath, getter } from './fields.js';
import { ranAs } from './ran-as.js';

type Part = string | { path: string; get: (e: Event, extra: Record<string, unknown>) => unknown; fallback: string | undefined };
export interface Template {
  source: string;
  parts: Part[];
}

const PLACEHOLDER = /\{\{|\}\}|\{([^{}|]*)(?:\|([^{}]*))?\}/g;

/** Compiles a template; throws an Error whose message names the bad placeholder. */
export function compileTemplate(source: string): Template {
  const parts: Part[] = [];
  let last = 0;
  for (const m of source.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push(source.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[0] === '{{') {
      parts.push('{');
      continue;
    }
    if (m[0] === '}}') {
      parts.push('}');
      continue;
    }
    const path = m[1]!.trim();
    if ((ALERT_FIELDS as readonly string[]).includes(path)) {
      parts.push({ path, get: (_e, extra) => extra[path], fallback: m[2] });
      continue;
    }
    if (path === 'program') {
      parts.push({ path, get: (e) => ranAs(e), fallback: m[2] }); // the executable as run (ran-as.ts)
      continue;
    }
    const problem = checkFieldPath(path);
    if (problem) throw new Error(`placeholder {${path}}: ${problem}${problem.includes('expected one of') ? ', or ' + ALERT_FIELDS.join(', ') : ''}`);
    const get = getter(path);
    parts.push({ path, get: (e) => get(e), fallback: m[2] });
  }
  if (last < source.length) parts.push(source.slice(last));
  const stray = parts.some((p) => typeof p === 'string' && /[{}]/.test(p) && p !== '{' && p !== '}');
  if (stray) throw new Error('unbalanced "{" or "}" (write {{ or }} for a literal brace)');
  return { source, parts };
}

export function renderTemplate(t: Template, event: Event, extra: Record<string, unknown> = {}): string {
  let out = '';
  for (const p of t.parts) {
    if (typeof p === 'string') {
      out += p;
      continue;
    }
    const v = p.get(event, extra);
    if (v === undefined || v === null || v === '') out += p.fallback ?? '?';
    else if (p.path === 'time' || p.path === 'connection.startedAt' || p.path === 'since') out += new Date(v as number).toISOString();
    else out += String(v);
  }
  return out;
}

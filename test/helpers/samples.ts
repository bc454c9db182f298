/**
 * fail2ban-style sample files for parsers: every sample line is preceded by the events it must
 * produce, and the lines run in order through the very LineRouter the agent uses (so multi-line
 * blocks and carried times behave as they do live).
 *
 *   # comment                         free text, ignored
 *   # program: plink                  (optional, first lines) treat the file as written by this program
 *   # expect: [{"kind":"connect.start","host":"127.0.0.1","port":2201}]
 *   Connecting to 127.0.0.1 port 2201
 *   # expect: null                    the line is understood and deliberately ignored (kind noise/info allowed)
 *   # expect-partial: [...]           the next line arrives without a newline (a waiting prompt)
 *
 * An expectation is a list of partial events: every field given must equal the event's field
 * (detail is compared key by key), and the number of events must match. `null` means the line
 * produces only `noise` events (or none). A trailing "\r" is kept in the line, as a source would
 * strip it only at the end of a CRLF line.
 */
import { readFileSync } from 'node:fs';
import type { Event, Program } from '../../agent/event.js';
import { LineRouter } from '../../agent/parsers/router.js';

export interface Sample {
  lineNo: number;
  text: string;
  partial: boolean;
  expect: Array<Record<string, unknown>> | null;
}

export interface SampleFile {
  program?: Program;
  samples: Sample[];
}

export function readSamples(path: string): SampleFile {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const out: SampleFile = { samples: [] };
  let pending: { expect: Sample['expect']; partial: boolean; lineNo: number } | undefined;
  lines.forEach((line, i) => {
    const lineNo = i + 1;
    if (pending) {
      out.samples.push({ lineNo, text: line.replace(/\r$/, ''), partial: pending.partial, expect: pending.expect });
      pending = undefined;
      return;
    }
    const m = /^# (expect|expect-partial): (.*)$/.exec(line);
    if (m) {
      let expect: unknown;
      try {
        expect = JSON.parse(m[2]!);
      } catch (err) {
        throw new Error(`${path}:${lineNo}: expectation is not JSON: ${(err as Error).message}`);
      }
      if (expect !== null && !Array.isArray(expect)) throw new Error(`${path}:${lineNo}: expectation must be an array or null`);
      pending = { expect: expect as Sample['expect'], partial: m[1] === 'expect-partial', lineNo };
      return;
    }
    const p = /^# program: (\S+)$/.exec(line);
    if (p) {
      out.program = p[1] as Program;
      return;
    }
    if (line.startsWith('#') || line.trim() === '') return;
    throw new Error(`${path}:${lineNo}: sample line without an "# expect:" line before it: ${line}`);
  });
  if (pending) throw new Error(`${path}: the file ends after an expectation with no sample line`);
  return out;
}

export interface SampleResult {
  sample: Sample;
  events: Event[];
  problems: string[];
}

const BASE_TIME = Date.UTC(2026, 10, 21, 12, 0, 0);

/** Runs every sample through one LineRouter, in order, and compares. */
export function runSamples(file: SampleFile, sourceId = 'samples'): { results: SampleResult[]; patterns: Set<string> } {
  const router = new LineRouter(file.program ? { program: file.program } : {});
  const patterns = new Set<string>();
  const results = file.samples.map((sample, i): SampleResult => {
    const events = router.route({
      sourceId,
      text: sample.text,
      receivedAt: BASE_TIME + i,
      position: { source: sourceId, line: sample.lineNo },
      ...(sample.partial ? { partial: true } : {}),
    });
    for (const e of events) if (e.pattern) patterns.add(e.pattern);
    return { sample, events, problems: compare(sample.expect, events) };
  });
  return { results, patterns };
}

export function compare(expect: Sample['expect'], events: Event[]): string[] {
  if (expect === null) {
    const bad = events.filter((e) => e.kind !== 'noise' && e.kind !== 'info');
    return bad.length ? [`expected no diagnostic event, got ${describe(bad)}`] : [];
  }
  if (expect.length !== events.length) return [`expected ${expect.length} event(s), got ${describe(events)}`];
  const problems: string[] = [];
  expect.forEach((want, i) => {
    const got = events[i]! as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(want)) {
      if (k === 'detail' && typeof v === 'object' && v !== null) {
        const gd = (got.detail ?? {}) as Record<string, unknown>;
        for (const [dk, dv] of Object.entries(v)) {
          if (gd[dk] !== dv) problems.push(`event ${i}: detail.${dk} = ${JSON.stringify(gd[dk])}, want ${JSON.stringify(dv)}`);
        }
      } else if (k === 'time' && typeof v === 'string') {
        if (new Date(got.time as number).toISOString() !== v) problems.push(`event ${i}: time ${new Date(got.time as number).toISOString()}, want ${v}`);
      } else if (got[k] !== v) {
        problems.push(`event ${i}: ${k} = ${JSON.stringify(got[k])}, want ${JSON.stringify(v)}`);
      }
    }
    for (const k of ['host', 'user', 'port'] as const) {
      if (!(k in want) && got[k] !== undefined) problems.push(`event ${i}: unexpected ${k} = ${JSON.stringify(got[k])}`);
    }
  });
  return problems;
}

function describe(events: Event[]): string {
  return events.length ? events.map((e) => `${e.kind}${e.pattern ? ` (${e.pattern})` : ''}`).join(', ') : 'none';
}

/** Every event of a whole file, routed line by line as replay would (end of input included). */
export function routeFile(path: string, program?: Program): Event[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const router = new LineRouter(program ? { program } : {});
  const out: Event[] = [];
  lines.forEach((text, i) => {
    out.push(...router.route({ sourceId: 'test', text, receivedAt: Date.UTC(2030, 0, 1), position: { source: 'test', file: path, line: i + 1 } }));
  });
  out.push(...router.end());
  return out;
}

/**
 * Alerts made from rule hits: the rule's templates rendered with the event (rules/template.ts),
 * the evidence line, the id, and one alert made of the two ends of a joined attempt. The join
 * stage (correlate/joins.ts) calls these, only for hits the gate makes alerts of: a repeat a
 * throttle folds is never rendered.
 */
import type { Alert } from '../alert.js';
import type { RuleHit } from './runner.js';
import { renderTemplate } from './template.js';
import { evidenceText, waitingProcess } from '../sinks/evidence.js';
import { lineIdentity, sha256 } from '../sources/line-id.js';

/**
 * An alert's id: the rule and the line that triggered it, so a line read again (after a restart,
 * after `kill -9`) gives the same id. Not the correlation key: a connection's id is a sequence
 * number of the running agent (c1, c2, …), another after a restart, and one line of one rule
 * always has one key anyway.
 */
export function alertId(hit: RuleHit): string {
  const e = hit.event;
  // the rule and where the line IS (lineIdentity: offset and text, journal cursor), not the
  // correlation key: a connection's id is a sequence number of the running agent (c1, c2, …),
  // another after a restart, and one line of one rule always has one key anyway
  return sha256(`${hit.rule.id}\u0000${lineIdentity(e.raw, e.time)}`, 'hex').slice(0, 20);
}

export function alertFromHit(hit: RuleHit, id = alertId(hit)): Alert {
  const e = hit.event;
  const r = hit.rule;
  const alert: Alert = {
    id,
    rule: r.id,
    severity: r.spec.severity,
    category: r.spec.category,
    title: renderTemplate(r.title, e, hit.extra),
    message: withStale(renderTemplate(r.message, e, hit.extra), e.connection?.stale, r.spec.category),
    remedy: renderTemplate(r.remedy, e, hit.extra),
    program: e.program,
    time: hit.time,
    key: hit.key,
    // one occurrence: a threshold's number of lines is in its message ({count}), not a "(×N)"
    count: 1,
    evidence: [{ text: evidenceText(e.raw.text, e.raw.message).slice(0, 500), source: e.raw.file ?? e.raw.source, ...(e.raw.line !== undefined ? { line: e.raw.line } : {}) }],
  };
  if (r.spec.category === 'hang') {
    const waiting = waitingProcess(e);
    if (waiting) alert.process = waiting;
  }
  // a prompt line names neither host nor port: its connection does
  const host = e.host ?? e.connection?.host;
  const port = e.host !== undefined ? e.port : e.connection?.port;
  if (host !== undefined) alert.host = host;
  if (port !== undefined) alert.port = port;
  if (e.pid !== undefined) alert.pid = e.pid;
  if (e.connection?.clientVersion) alert.clientVersion = e.connection.clientVersion;
  if (e.connection?.serverVersion) alert.serverVersion = e.connection.serverVersion;
  if (e.user !== undefined) alert.user = e.user;
  return alert;
}

/** One alert for both ends: the primary's (the rule that declares joins), with the other's line, title and remedy. */
export function mergeAlerts(primary: Alert, other: Alert, id: string, count: number): Alert {
  const line = other.evidence[0]?.text;
  const said = `${other.title}${line ? ` — "${line}"` : ''}`;
  const also =
    other.program === primary.program
      ? ` ${primary.program} also reported for the same attempt: ${said}.`
      : ` The server logged the same attempt (${other.program}${other.host ? `, client ${other.host}` : ''}): ${said}.`;
  return {
    ...primary,
    id,
    count,
    time: Math.min(primary.time, other.time),
    message: `${primary.message}${also}`,
    remedy: other.remedy === primary.remedy ? primary.remedy : `${primary.remedy} ${other.program === primary.program ? 'Also' : 'Server side'} (${other.rule}): ${other.remedy}`,
    evidence: [...primary.evidence, ...other.evidence].slice(0, 6),
  };
}

/** A failure from a client that runs a replaced library says so: that may be the whole story. */
function withStale(message: string, stale: string | undefined, category: string): string {
  return stale && category !== 'stale' ? `${message} ${stale}` : message;
}

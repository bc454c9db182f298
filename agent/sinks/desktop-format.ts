/**
 * What a notification shows (see desktop.ts for the whole contract): summary, body, urgency,
 * expiry, category hint and icon, from an alert. Visible text only: wire escaping is the
 * backend's (notify-send.ts, node-notifier).
 */
import type { Alert } from '../alert.js';
import type { Category, Severity } from '../event.js';
import { BODY_MAX, REMEDY_MAX, SUMMARY_MAX, cap, codePoints, neutraliseLeadingDash, oneLine, tidyLines } from './escape.js';

export type Urgency = 'low' | 'normal' | 'critical';

/** A notification as a person sees it (visible text, before wire escaping). */
export interface DesktopNotification {
  summary: string;
  body: string;
  urgency: Urgency;
  /** 0: stays until dismissed. */
  expireSeconds: number;
  category: string;
  icon: string;
}

const URGENCY: Record<Severity, Urgency> = { info: 'low', warning: 'normal', error: 'normal', critical: 'critical' };
const EXPIRE_SECONDS: Record<Severity, number> = { info: 10, warning: 30, error: 30, critical: 0 };

const ICON: Record<Category, string> = {
  hang: 'network-error',
  negotiation: 'network-error',
  network: 'network-error',
  server: 'network-error',
  hostkey: 'security-low',
  certificate: 'security-low',
  security: 'security-low',
  auth: 'dialog-password',
  stale: 'software-update-available',
  other: 'dialog-warning',
};

function categoryHint(alert: Alert): string {
  if (alert.category === 'stale') return 'x-connwatch.stale';
  return alert.severity === 'info' ? 'network' : 'network.error';
}

const HOST_MAX = 60;

/** The port a client uses when none is given: not worth showing. */
const DEFAULT_PORT: Partial<Record<Alert['program'], number>> = { plink: 22, ssh: 22, freerdp: 3389, rdesktop: 3389, remmina: 3389 };

/**
 * Where a client connected, as a person would type it: the host, and the port when it is not the
 * protocol's default ("127.0.0.1:2201", "[::1]:2201"). A server's alert names the client's
 * address alone: its port is the client's ephemeral one.
 */
export function formatWhere(alert: Pick<Alert, 'host' | 'port' | 'program'>): string {
  if (!alert.host) return '';
  const host = cap(oneLine(alert.host), HOST_MAX);
  const standard = DEFAULT_PORT[alert.program];
  if (standard === undefined || alert.port === undefined || alert.port === standard) return host;
  return `${host.includes(':') ? `[${host}]` : host}:${alert.port}`;
}

/** The visible summary: title, count of attempts, where. The title gives way first when it is too long. */
export function formatSummary(alert: Pick<Alert, 'title' | 'count' | 'host'> & Partial<Pick<Alert, 'port' | 'program'>>): string {
  const where = formatWhere({ host: alert.host, port: alert.port, program: alert.program ?? 'other' });
  const suffix = (alert.count > 1 ? ` (×${alert.count})` : '') + (where ? ` — ${where}` : '');
  const title = cap(oneLine(alert.title) || 'connwatch alert', Math.max(1, SUMMARY_MAX - codePoints(suffix)));
  return neutraliseLeadingDash(cap(title + suffix, SUMMARY_MAX));
}

/** The visible body: message, blank line, remedy; the remedy keeps its room however long the message. */
export function formatBody(alert: Pick<Alert, 'message' | 'remedy'>): string {
  const remedy = cap(tidyLines(alert.remedy), REMEDY_MAX);
  const room = BODY_MAX - (remedy ? codePoints(remedy) + 2 : 0);
  const message = cap(tidyLines(alert.message), room);
  const body = [message, remedy].filter((s) => s !== '').join('\n\n');
  return neutraliseLeadingDash(body) || '(no details)';
}

export function formatNotification(alert: Alert): DesktopNotification {
  return {
    summary: formatSummary(alert),
    body: formatBody(alert),
    urgency: URGENCY[alert.severity],
    expireSeconds: EXPIRE_SECONDS[alert.severity],
    category: categoryHint(alert),
    icon: alert.severity === 'info' ? 'dialog-information' : ICON[alert.category],
  };
}

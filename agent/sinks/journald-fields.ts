/**
 * Journald fields of a fleet record, so `journalctl MESSAGE_ID=…`, `journalctl
 * CONNWATCH_RULE_ID=…` and every collector's journald input (Vector `journald`, Fluent Bit
 * `systemd`, Wazuh, rsyslog `imjournal`) see alerts without parsing text:
 *
 *   MESSAGE_ID          32 hex digits, the same for a rule on every machine and every release:
 *                       sha256("connwatch.rule:" + rule id), first 128 bits (heartbeat: of "connwatch.heartbeat")
 *   PRIORITY            syslog severity: 2 critical, 3 error, 4 warning, 6 info
 *   CONNWATCH_RULE_ID, CONNWATCH_ALERT_ID, CONNWATCH_EVENT_ACTION, CONNWATCH_EVENT_SEQUENCE, …
 *
 * Node cannot send the native protocol (a datagram on /run/systemd/journal/socket) itself, so
 * JournaldOutput hands each entry to util-linux `logger --journald` on its standard input
 * (execFile, never a shell; one field per line, so values lose their line breaks).
 */
import { hash } from 'node:crypto';
import type { FleetRecord } from './ecs.js';

export function messageIdFor(ruleId: string): string {
  return hash('sha256', `connwatch.rule:${ruleId}`, 'hex').slice(0, 32);
}

export const HEARTBEAT_MESSAGE_ID = hash('sha256', 'connwatch.heartbeat', 'hex').slice(0, 32);

/** A field value on one line, without NUL or trailing blanks (logger --journald strips those). */
const oneLine = (v: string | number): string => String(v).replace(/[\r\n\0]+/g, ' ').trimEnd();

export function journalFields(rec: FleetRecord): Array<[string, string]> {
  const f: Array<[string, string | number | undefined]> = [
    ['MESSAGE', rec.connwatch.title && rec.event.kind === 'alert' ? `${rec.connwatch.title}: ${rec.message}` : rec.message],
    ['MESSAGE_ID', rec.rule ? messageIdFor(rec.rule.id) : HEARTBEAT_MESSAGE_ID],
    ['PRIORITY', rec.event.severity],
    ['SYSLOG_IDENTIFIER', 'connwatch'],
    ['CONNWATCH_EVENT_KIND', rec.event.kind],
    ['CONNWATCH_EVENT_ACTION', rec.event.action],
    ['CONNWATCH_EVENT_SEQUENCE', rec.event.sequence],
    ['CONNWATCH_ALERT_ID', rec.event.kind === 'alert' ? rec.event.id : undefined],
    ['CONNWATCH_RULE_ID', rec.rule?.id],
    ['CONNWATCH_RULE_NAME', rec.rule?.name],
    ['CONNWATCH_CATEGORY', rec.rule?.category],
    ['CONNWATCH_SEVERITY', rec.connwatch.severity],
    ['CONNWATCH_OUTCOME', rec.event.outcome],
    ['CONNWATCH_PROGRAM', rec.process?.name],
    ['CONNWATCH_HOST', rec.destination?.address ?? rec.source?.address],
    ['CONNWATCH_PORT', rec.destination?.port ?? rec.source?.port],
    ['CONNWATCH_USER', rec.user?.name],
    ['CONNWATCH_COUNT', rec.connwatch.count],
    ['CONNWATCH_REMEDY', rec.connwatch.remedy],
    ['CONNWATCH_EVIDENCE', rec.connwatch.evidence?.[0]?.text],
    ['CONNWATCH_AGENT_ID', rec.agent.ephemeral_id],
  ];
  return f.filter((x): x is [string, string | number] => x[1] !== undefined && x[1] !== '').map(([k, v]) => [k, oneLine(v)]);
}

/** The entry as logger --journald reads it (and as the journal export format has it): FIELD=value lines. */
export function journalEntryText(rec: FleetRecord): string {
  return journalFields(rec)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
}

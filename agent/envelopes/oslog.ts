/**
 * One entry of macOS's unified log as `log stream --style ndjson` (or `log show --style ndjson`)
 * prints it: one JSON object per line. The fields used:
 *
 *   "timestamp" : "2026-05-07 19:48:34.701580-0500"   local time with microseconds and UTC offset
 *   "eventType" : "logEvent"                           also activityCreateEvent, signpostEvent,
 *                                                      stateEvent, timesyncEvent, lossEvent, …
 *   "eventMessage" : "Accepted publickey for ann …"    the text, as sshd wrote it
 *   "processImagePath" : "/usr/sbin/sshd"              the process; its basename is the ident
 *   "processID" : 4242
 *   "messageType" : "Default"                          Default, Info, Debug, Error, Fault
 *   "subsystem", "category", "senderImagePath", "traceID", "machTimestamp", "bootUUID", …
 *
 * Before the first entry `log stream` prints a line that is not JSON ("Filtering the log data
 * using "process == "sshd""""); the router leaves it as noise. A lossEvent ("lost N unreliable
 * messages") keeps its text so the loss is seen.
 */

export interface OsLogParts {
  time?: number;
  text: string;
  /** Process name: the basename of processImagePath (sshd, sshd-session). */
  ident?: string;
  pid?: number;
  eventType: string;
  messageType?: string;
  subsystem?: string;
}

export function isOsLogEntry(o: Record<string, unknown>): boolean {
  return typeof o.eventType === 'string' && 'eventMessage' in o && ('processImagePath' in o || 'machTimestamp' in o || 'traceID' in o);
}

const TS = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?([+-])(\d\d):?(\d\d)$/;

/** "2026-05-07 19:48:34.701580-0500" → ms since the epoch (undefined when it is not that shape). */
export function osLogTime(s: string): number | undefined {
  const m = TS.exec(s);
  if (!m) return undefined;
  const ms = Number(((m[7] ?? '0') + '00').slice(0, 3));
  const local = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms);
  const offset = (m[8] === '-' ? -1 : 1) * (+m[9]! * 60 + +m[10]!) * 60_000;
  return local - offset;
}

export function parseOsLog(o: Record<string, unknown>): OsLogParts {
  const parts: OsLogParts = { text: typeof o.eventMessage === 'string' ? o.eventMessage : '', eventType: String(o.eventType) };
  if (typeof o.timestamp === 'string') {
    const t = osLogTime(o.timestamp);
    if (t !== undefined) parts.time = t;
  }
  if (typeof o.processImagePath === 'string' && o.processImagePath) {
    const name = o.processImagePath.split('/').pop();
    if (name) parts.ident = name;
  }
  if (typeof o.processID === 'number' && Number.isInteger(o.processID) && o.processID > 0) parts.pid = o.processID;
  if (typeof o.messageType === 'string') parts.messageType = o.messageType;
  if (typeof o.subsystem === 'string' && o.subsystem) parts.subsystem = o.subsystem;
  return parts;
}

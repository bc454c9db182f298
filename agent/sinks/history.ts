/**
 * Alert history: one JSON object per line in ~/.local/state/connwatch/alerts.jsonl. A later
 * record with the same id updates the earlier one (count, lastSeen).
 *
 * Bounded in bytes: a record's texts are cut (evidence lines to EVIDENCE_CHARS, other texts to
 * TEXT_CHARS; 22 alerts quoting 1 MB lines once made an 88 MB history), and past `maxBytes` the
 * whole file is rotated to `alerts.jsonl.1` (the previous `.1` goes), so the history never takes
 * more than twice `maxBytes` (default 1 MiB; CONNWATCH_HISTORY_MAX_BYTES overrides it, for tests
 * and soaks that must keep every record).
 *
 * The files are 0600 and never written through a symlink (see state-file.ts). A write that fails
 * (read-only or full state directory) is reported once; the records wait in memory (at most
 * MAX_WAITING) and are written when writing works again. The history is also the record of which
 * alerts exist: `recordedIds` gives their ids so a restart after `kill -9` does not record a line's
 * alerts twice.
 */
import { mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Alert, Sink } from '../alert.js';
import { errnoCode } from '../errors.js';
import { appendPrivateFile, StateProblems } from '../sources/state-file.js';

export interface HistoryEntry extends Alert {
  firstSeen: number;
  lastSeen: number;
}

export const EVIDENCE_CHARS = 2000;
export const TEXT_CHARS = 4000;
const MAX_WAITING = 10_000;

function defaultMaxBytes(): number {
  const n = Number(process.env.CONNWATCH_HISTORY_MAX_BYTES);
  return Number.isSafeInteger(n) && n > 0 ? n : 1 << 20;
}

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n)} …[cut, ${s.length - n} characters]` : s);

export class HistorySink implements Sink {
  readonly name = 'history';
  private readonly first = new Map<string, number>();
  private waiting: string[] = [];
  private readonly problems: StateProblems;

  constructor(
    private readonly path: string,
    private readonly maxBytes = defaultMaxBytes(),
    private readonly keep = 1000,
    log: (level: 'warn' | 'info', message: string) => void = (level, m) => process.stderr.write(`${level}: ${m}\n`),
  ) {
    this.problems = new StateProblems(log);
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    } catch {
      // reported at the first write
    }
  }

  deliver(alert: Alert): void {
    const firstSeen = this.first.get(alert.id) ?? alert.time;
    this.first.set(alert.id, firstSeen);
    if (this.first.size > this.keep * 2) this.first.delete(this.first.keys().next().value!);
    const entry: HistoryEntry = {
      ...alert,
      title: cut(alert.title, TEXT_CHARS),
      message: cut(alert.message, TEXT_CHARS),
      remedy: cut(alert.remedy, TEXT_CHARS),
      evidence: alert.evidence.map((e) => ({ ...e, text: cut(e.text, EVIDENCE_CHARS) })),
      firstSeen,
      lastSeen: alert.time,
    };
    this.waiting.push(JSON.stringify(entry) + '\n');
    if (this.waiting.length > MAX_WAITING) this.waiting.splice(0, this.waiting.length - MAX_WAITING);
    this.flush();
  }

  /** Records not written yet (the state directory is read-only or full). */
  get pending(): number {
    return this.waiting.length;
  }

  private flush(): void {
    try {
      appendPrivateFile(this.path, this.waiting.join(''));
      this.waiting = [];
      this.problems.ok(this.path);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') {
        try {
          mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
        } catch {
          // reported below
        }
      }
      this.problems.failed(this.path, err);
      return;
    }
    let size = 0;
    try {
      size = statSync(this.path).size;
    } catch {
      return;
    }
    if (size > this.maxBytes) {
      try {
        renameSync(this.path, `${this.path}.1`);
      } catch (err) {
        this.problems.failed(`${this.path}.1`, err);
      }
    }
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return '';
    throw err;
  }
}

function records(path: string): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (const file of [`${path}.1`, path]) {
    for (const line of readText(file).split('\n')) {
      if (!line) continue;
      let e: HistoryEntry;
      try {
        e = JSON.parse(line) as HistoryEntry;
      } catch {
        continue;
      }
      if (typeof e?.id !== 'string' || typeof e.rule !== 'string') continue;
      out.push(e);
    }
  }
  return out;
}

/** The history (the rotated file, then the current one) merged by id, newest first. Lines that are not valid records are skipped. */
export function readHistory(path: string): HistoryEntry[] {
  const byId = new Map<string, HistoryEntry>();
  for (const e of records(path)) {
    const prev = byId.get(e.id);
    if (prev) {
      byId.delete(e.id);
      e.firstSeen = Math.min(prev.firstSeen, e.firstSeen);
    }
    byId.set(e.id, e);
  }
  return [...byId.values()].sort((a, b) => b.lastSeen - a.lastSeen);
}

/**
 * The ids of the alerts recorded (oldest first, at most `max`): a restart adds them to the ids
 * already delivered, so lines read again after `kill -9` (the checkpoint is written every
 * 200 ms, the history at once) do not record their alerts twice. Never throws.
 */
export function recordedIds(path: string, max = 20_000): string[] {
  try {
    const ids = records(path).map((e) => e.id);
    return ids.slice(-max);
  } catch {
    return [];
  }
}

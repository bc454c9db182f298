/**
 * Alert history: one JSON object per line in ~/.local/state/connwatch/alerts.jsonl. A later
 * record with the same id updates the earlier one (count, lastSeen). The file is bounded: past
 * `maxBytes` it is rewritten, atomically, with the newest `keep` alerts merged.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Alert, Sink } from '../alert.js';
import { errnoCode } from '../errors.js';

export interface HistoryEntry extends Alert {
  firstSeen: number;
  lastSeen: number;
}

export class HistorySink implements Sink {
  readonly name = 'history';
  private readonly first = new Map<string, number>();

  constructor(
    private readonly path: string,
    private readonly maxBytes = 1 << 20,
    private readonly keep = 1000,
  ) {
    mkdirSync(dirname(path), { recursive: true });
  }

  async deliver(alert: Alert): Promise<void> {
    const firstSeen = this.first.get(alert.id) ?? alert.time;
    this.first.set(alert.id, firstSeen);
    if (this.first.size > this.keep * 2) this.first.delete(this.first.keys().next().value!);
    const entry: HistoryEntry = { ...alert, firstSeen, lastSeen: alert.time };
    appendFileSync(this.path, JSON.stringify(entry) + '\n');
    let size = 0;
    try {
      size = statSync(this.path).size;
    } catch {
      return;
    }
    if (size > this.maxBytes) this.compact();
  }

  private compact(): void {
    const merged = readHistory(this.path).slice(0, this.keep).reverse();
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, merged.map((e) => JSON.stringify(e)).join('\n') + '\n');
    renameSync(tmp, this.path);
  }
}

/** The history merged by id, newest first. Lines that are not valid records are skipped. */
export function readHistory(path: string): HistoryEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  const byId = new Map<string, HistoryEntry>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    let e: HistoryEntry;
    try {
      e = JSON.parse(line) as HistoryEntry;
    } catch {
      continue;
    }
    if (typeof e?.id !== 'string' || typeof e.rule !== 'string') continue;
    const prev = byId.get(e.id);
    if (prev) {
      byId.delete(e.id);
      e.firstSeen = Math.min(prev.firstSeen, e.firstSeen);
    }
    byId.set(e.id, e);
  }
  return [...byId.values()].sort((a, b) => b.lastSeen - a.lastSeen);
}

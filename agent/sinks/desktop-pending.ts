/**
 * The desktop sink's queue of alerts not shown yet: bounded (the oldest give way, counted in
 * `dropped`), one entry per alert id (a later version of an alert takes its earlier one's place,
 * so a person sees the newest), and kept in a file (0600) while anything waits, so that a stop, a
 * crash or `kill -9` while notifications are unavailable loses none: load() gives them back after
 * a restart. The file is written only when the queue changed, and removed when nothing waits.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import type { Alert } from '../alert.js';
import { writePrivateFile } from '../sources/state-file.js';
import type { DesktopNotification } from './desktop-format.js';

export interface Pending {
  alert: Alert;
  notification: DesktopNotification;
  failures: number;
}

export class PendingQueue {
  private readonly items: Pending[] = [];
  /** What the file holds now (its alert ids and counts), so an unchanged queue is not written again. */
  private persisted = '';
  /** Alerts that gave way to newer ones since the sink last reported it (the sink resets it). */
  dropped = 0;

  constructor(
    readonly max: number,
    private readonly file: string | undefined,
    private readonly warn: (message: string) => void,
  ) {}

  get length(): number {
    return this.items.length;
  }

  get head(): Pending | undefined {
    return this.items[0];
  }

  shift(): void {
    this.items.shift();
  }

  /** The alerts waiting, oldest first. */
  alerts(): Alert[] {
    return this.items.map((p) => p.alert);
  }

  has(alert: Alert): boolean {
    return this.items.some((p) => p.alert === alert);
  }

  /** Queues `p`; an entry of the same alert id is replaced in place, keeping its failure count. */
  add(p: Pending): void {
    const i = this.items.findIndex((q) => q.alert.id === p.alert.id);
    if (i >= 0) {
      this.items[i] = { ...p, failures: this.items[i]!.failures };
      return;
    }
    this.items.push(p);
    while (this.items.length > this.max) {
      this.items.shift();
      this.dropped++;
    }
  }

  /** Writes the queue to the file when it changed (removes the file when the queue is empty). */
  save(): void {
    if (!this.file) return;
    const ids = this.items.map((p) => `${p.alert.id}:${p.alert.count}`).join(',');
    if (ids === this.persisted) return;
    try {
      if (this.items.length === 0) unlinkSync(this.file);
      else writePrivateFile(this.file, JSON.stringify({ v: 1, alerts: this.items.map((p) => p.alert) }));
      this.persisted = ids;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && this.items.length === 0) {
        this.persisted = ids;
        return;
      }
      this.warn(`cannot keep the alerts left to show in ${this.file}: ${(err as Error).message}`);
    }
  }

  /**
   * The alerts a previous run left in the file, in their order (not queued: the caller decides);
   * the file is rewritten or removed at the next save(). A file that is not ours is reported (the
   * alerts are in the history).
   */
  load(): Alert[] {
    if (!this.file) return [];
    try {
      const o = JSON.parse(readFileSync(this.file, 'utf8')) as { v?: unknown; alerts?: unknown };
      if (o.v !== 1 || !Array.isArray(o.alerts)) throw new Error('not a list of pending alerts');
      // whatever the queue becomes, the file is rewritten or removed
      this.persisted = '\u0000the file as read';
      return (o.alerts as Alert[]).filter((a) => typeof a?.id === 'string' && typeof a.title === 'string' && typeof a.severity === 'string');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.warn(`${this.file}: cannot read the alerts left to show (${(err as Error).message}); they are in the history (\`connwatch alerts\`).`);
      return [];
    }
  }
}

/**
 * What the desktop sink has on screen: per alert id, the server's id of its notification (so a
 * later version of the alert replaces it, freedesktop replaces_id) and the notify-send process
 * waiting for a person to choose one of its actions. Bounded: the oldest ids are forgotten (an
 * update of one is then shown anew), and at most MAX_WAITERS processes wait at once (past that a
 * notification is shown without buttons).
 */
import type { ChildProcess } from 'node:child_process';
import { RecentMap } from '../recent.js';

/** Notifications whose ids are kept for replacing. */
const MAX_ON_SCREEN = 500;
/** notify-send processes kept waiting for actions at once. */
const MAX_WAITERS = 20;

interface OnScreen {
  id: number;
  waiter?: ChildProcess;
}

export class Screen {
  private readonly shown = new RecentMap<string, OnScreen>(MAX_ON_SCREEN);
  private readonly waiters = new Set<ChildProcess>();

  /** The server's id of the notification showing this alert, if it is still known. */
  idOf(alertId: string): number | undefined {
    return this.shown.get(alertId)?.id;
  }

  /** Whether another notification may keep a process waiting for its actions. */
  get mayWait(): boolean {
    return this.waiters.size < MAX_WAITERS;
  }

  /** The notification now on screen for this alert id; the waiter of the one it replaced is ended. */
  remember(alertId: string, now: { id: number; waiter?: ChildProcess }): void {
    const before = this.shown.get(alertId);
    if (before?.waiter && before.waiter !== now.waiter) before.waiter.kill('SIGTERM');
    this.shown.delete(alertId);
    this.shown.set(alertId, { id: now.id, ...(now.waiter ? { waiter: now.waiter } : {}) });
    const w = now.waiter;
    if (w) {
      this.waiters.add(w);
      w.once('exit', () => {
        this.waiters.delete(w);
        const entry = this.shown.get(alertId);
        if (entry?.waiter === w) delete entry.waiter;
      });
    }
  }

  /** Ends every process still waiting for an action (the notifications stay, without buttons). */
  close(): void {
    for (const w of this.waiters) w.kill('SIGTERM');
    this.waiters.clear();
  }
}

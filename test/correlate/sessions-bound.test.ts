/**
 * The connection table's bound (agent/correlate/sessions.ts): connections are kept in exact
 * least-recently-used order; once the table passes 1.1 × maxConnections the oldest are forgotten
 * down to maxConnections (what the sort-and-delete sweep it replaced forgot), and a forgotten
 * connection's slot, reused for a new one, carries none of its facts. Real sshd lines through the
 * real router, as replay feeds them.
 */
import { describe, expect, it } from 'vitest';
import { Sessions } from '../../agent/correlate/sessions.js';
import type { Event } from '../../agent/event.js';
import { LineRouter } from '../../agent/parsers/router.js';

const router = new LineRouter();
let offset = 0;
function line(pid: number, message: string): Event {
  const text = `2026-03-01T00:00:00.000000+00:00 vm sshd[${pid}]: ${message}`;
  const [e] = router.route({ sourceId: 'test', text, receivedAt: 0, position: { source: 'test', file: '/t/auth.log', offset: (offset += 100) } });
  return e!;
}
const open = (pid: number) => line(pid, `Connection from 198.51.100.${pid % 250} port ${40000 + pid} on 192.0.2.10 port 22 rdomain ""`);

describe('Sessions table bound', () => {
  it('forgets the least recently used down to the bound once past 1.1 × it, and no sooner', () => {
    const s = new Sessions(10);
    const ids = new Map<number, string>();
    for (let pid = 1; pid <= 11; pid++) {
      const e = open(pid);
      s.attach(e);
      ids.set(pid, e.connection!.id);
    }
    // 11 = 1.1 × 10: nothing forgotten yet; pid 1 is touched again, so pid 2 is now the oldest
    const again = line(1, 'Invalid user a from 198.51.100.1 port 40001');
    s.attach(again);
    expect(again.connection!.id).toBe(ids.get(1));
    expect(s.unfinished().map((c) => c.id)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1].map((p) => ids.get(p)));
    // the 12th connection passes the bound: the two least recently used (pids 2 and 3) go
    s.attach(open(12));
    const kept = s.unfinished().map((c) => c.id);
    expect(kept).toHaveLength(10);
    expect(kept).not.toContain(ids.get(2));
    expect(kept).not.toContain(ids.get(3));
    expect(kept).toContain(ids.get(1));
    // a line of a forgotten pid starts a new connection, in a reused slot with none of the old facts
    const back = line(2, 'Invalid user b from 198.51.100.2 port 40002');
    s.attach(back);
    expect(back.connection!.id).not.toBe(ids.get(2));
    expect(back.connection!.events).toBe(1);
    expect(back.connection!.user).toBe('b');
    expect(back.connection!.phase).toBe('start');
  });

  it('keeps a connection as long as it is used, however many come and go', () => {
    const s = new Sessions(50);
    const first = open(100_000);
    s.attach(first);
    for (let pid = 1; pid <= 2000; pid++) {
      s.attach(open(pid));
      if (pid % 20 === 0) {
        const e = line(100_000, `Failed password for root from 198.51.100.7 port 1 ssh2`);
        s.attach(e);
        expect(e.connection!.id).toBe(first.connection!.id);
      }
    }
    expect(s.unfinished().length).toBeLessThanOrEqual(55);
  });
});

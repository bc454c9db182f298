/**
 * The notice board decides what a person is shown: one notification per story (an attempt, its
 * join partner, its repeats), at once, then updated in place. Driven here with its own clock and
 * no gathering, so every decision is visible; the real notification server is in
 * test/e2e/notify-attempts.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Alert, Sink } from '../../agent/alert.js';
import type { Severity } from '../../agent/event.js';
import { BURST_MAX, NoticeBoard, storyView } from '../../agent/sinks/notices.js';

class Collect implements Sink {
  readonly name = 'collect';
  readonly got: Alert[] = [];
  deliver(a: Alert): void {
    this.got.push(a);
  }
}

let n = 0;
function alert(rule: string, severity: Severity, over: Partial<Alert> = {}): Alert {
  n++;
  return {
    id: `id-${n}`,
    rule,
    severity,
    category: 'hang',
    title: `${rule} title`,
    message: `${rule} message.`,
    remedy: `${rule} remedy.`,
    program: 'plink',
    host: '127.0.0.1',
    port: 2201,
    time: 0,
    key: 'plink:capture:1',
    count: 1,
    evidence: [{ text: `${rule} line`, source: 'capture' }],
    ...over,
  };
}

function board(over: Partial<ConstructorParameters<typeof NoticeBoard>[0]> = {}) {
  const sink = new Collect();
  let now = 1_000_000;
  const b = new NoticeBoard({ sinks: [sink], updateMs: 2000, gatherMs: 0, now: () => now, ...over });
  return { b, sink, advance: (ms: number) => (now += ms) };
}

describe('NoticeBoard', () => {
  it('an info alert first never decides: the warning of the same attempt is shown at once, as the lead', () => {
    const { b, sink } = board();
    b.offer(alert('plink.hostkey.new', 'info'), 'plink:capture:1');
    expect(sink.got).toHaveLength(0);
    const hang = alert('plink.hostkey.prompt-hang', 'warning');
    b.offer(hang, 'plink:capture:1');
    expect(sink.got).toHaveLength(1);
    expect(sink.got[0]!.rule).toBe('plink.hostkey.prompt-hang');
    expect(sink.got[0]!.also).toEqual(['plink.hostkey.new']);
    // the notification's identity is the story's first alert, so later versions replace it
    expect(sink.got[0]!.id).toBe('id-1');
    expect(b.counts.shown).toBe(1);
  });

  it('a new version of a shown alert updates the same notification: at once when more severe, else once per updateMs', async () => {
    const { b, sink, advance } = board({ updateMs: 50 });
    const first = alert('plink.kex.gex-old-client', 'error');
    b.offer(first, 'a1');
    b.offer({ ...first, message: 'merged with the server line.' }, 'a1');
    expect(sink.got).toHaveLength(1); // within updateMs: waits
    advance(60);
    await new Promise((r) => setTimeout(r, 80));
    expect(sink.got).toHaveLength(2);
    expect(sink.got[1]!.message).toBe('merged with the server line.');
    expect(sink.got[1]!.id).toBe(sink.got[0]!.id);
    b.offer(alert('plink.other', 'critical'), 'a1');
    expect(sink.got).toHaveLength(3); // a higher severity does not wait
    expect(sink.got[2]!.severity).toBe('critical');
    expect(sink.got[2]!.id).toBe(sink.got[0]!.id);
  });

  it('another attempt is another story; an attempt ten minutes later too', () => {
    const { b, sink, advance } = board();
    b.offer(alert('r', 'warning'), 'a1');
    b.offer(alert('r', 'warning'), 'a2');
    advance(11 * 60_000);
    b.offer(alert('s', 'warning'), 'a1');
    expect(new Set(sink.got.map((a) => a.id)).size).toBe(3);
  });

  it('below the minimum severity, in quiet hours, or silenced: not shown; critical passes quiet hours', () => {
    const quiet = board({ quiet: () => true });
    quiet.b.offer(alert('r', 'error'), 'a1');
    quiet.b.offer(alert('r', 'critical'), 'a2');
    expect(quiet.sink.got.map((a) => a.severity)).toEqual(['critical']);
    const silenced = board({ silenced: (rule, host) => rule === 'r' && host === '127.0.0.1' });
    silenced.b.offer(alert('r', 'error'), 'a1');
    silenced.b.offer(alert('r', 'error', { host: '192.0.2.1' }), 'a2');
    expect(silenced.sink.got.map((a) => a.host)).toEqual(['192.0.2.1']);
    const min = board({ minSeverity: 'error' });
    min.b.offer(alert('r', 'warning'), 'a1');
    expect(min.sink.got).toHaveLength(0);
  });

  it(`a burst past ${BURST_MAX} notifications in 10 s folds into ONE summary that grows; nothing is dropped`, async () => {
    const { b, sink } = board({ updateMs: 20 });
    for (let i = 0; i < 30; i++) b.offer(alert(`r${i}`, 'warning', { host: `192.0.2.${i}` }), `a${i}`);
    await b.flush();
    const ids = new Set(sink.got.map((a) => a.id));
    expect(ids.size).toBe(BURST_MAX + 1);
    const summary = sink.got.filter((a) => a.rule === 'connwatch.summary');
    expect(summary.length).toBeGreaterThanOrEqual(1);
    expect(summary.at(-1)!.title).toBe(`${30 - BURST_MAX} more connection problems`);
    expect(summary.at(-1)!.message).toContain('r29 title — 192.0.2.29');
    expect(summary.at(-1)!.message).toContain(`… and ${30 - BURST_MAX - 5} more.`);
    expect(b.counts.summarised).toBe(30 - BURST_MAX);
  });

  it('gathers a new story briefly, so the rule hits of one line make one notification', async () => {
    const { b, sink } = board({ gatherMs: 30 });
    b.offer(alert('test.failed', 'error'), 'a1');
    b.offer(alert('test.root', 'critical'), 'a1');
    expect(sink.got).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 60));
    expect(sink.got.map((a) => a.rule)).toEqual(['test.root']);
    expect(sink.got[0]!.message).toBe('test.root message. Also for this attempt: test.failed title.');
  });

  it('storyView: the lead is the most severe, the first of equals; the count is the attempts counted', () => {
    const v = storyView('s', [alert('a', 'warning'), alert('b', 'error', { count: 3 }), alert('c', 'error')]);
    expect(v.rule).toBe('b');
    expect(v.count).toBe(3);
    expect(v.id).toBe('s');
    expect(v.evidence.map((e) => e.text)).toEqual(['a line', 'b line', 'c line']);
  });
});

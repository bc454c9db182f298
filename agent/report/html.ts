/**
 * The report as one self-contained HTML page: inline CSS, inline SVG, a few lines of inline
 * script for the filters, no network and no external asset. Every text from the logs is escaped
 * (log text is untrusted). Without script the page shows everything; the filters only hide.
 *
 * Marks in the timeline are solid rectangles in four lanes (attempt, success, failure, hang) in
 * exactly the colours of MARK_COLOURS; the legend shows them lighter, so a test can tell marks in
 * the timeline from the legend by their pixels.
 */
import { MARKS, TIME_BINS, type Mark, type ReportData } from './data.js';

export const MARK_COLOURS: Record<Mark, string> = { attempt: '#7f7f7f', success: '#2ca02c', failure: '#d62728', hang: '#ff7f0e' };
const LANE: Record<Mark, number> = { attempt: 2, success: 11, failure: 20, hang: 29 };
const BIN_W = 4;

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const time = (t: number) => new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');

function timeline(d: ReportData): string {
  const width = TIME_BINS * BIN_W;
  const rows = d.hosts.map((h) => {
    const marks: string[] = [];
    for (const m of MARKS) {
      h.bins[m]!.forEach((n, i) => {
        if (n > 0) marks.push(`<rect x="${i * BIN_W}" y="${LANE[m]}" width="${BIN_W - 1}" height="7" fill="${MARK_COLOURS[m]}"><title>${n} ${m}${n > 1 ? 's' : ''}</title></rect>`);
      });
    }
    const t = h.totals;
    return (
      `<div class="row" data-host="${esc(h.host)}" data-programs="${esc(h.programs.join(' '))}">` +
      `<div class="label"><b>${esc(h.host)}</b><small>${esc(h.programs.join(', '))}<br>${t.attempt} attempts, ${t.success} ok, ${t.failure} failures, ${t.hang} hangs</small></div>` +
      `<svg viewBox="0 0 ${width} 38" width="${width}" height="38" role="img" aria-label="timeline of ${esc(h.host)}"><rect x="0" y="0" width="${width}" height="38" fill="#f7f7f7"/>${marks.join('')}</svg></div>`
    );
  });
  const axis = `<div class="row axis"><div class="label"></div><div class="ticks" style="width:${width}px"><span>${time(d.from)}</span><span>${time(d.from + (d.to - d.from) / 2)}</span><span>${time(d.to)}</span></div></div>`;
  const more = d.otherHosts ? `<p class="note">${d.otherHosts} quieter hosts are not drawn (the JSON has them all).</p>` : '';
  return `${axis}${rows.join('\n')}${more}`;
}

function groups(d: ReportData): string {
  if (!d.groups.length) return '<p class="note">No failures or hangs in this period.</p>';
  const items = d.groups.map((g) => {
    const evidence = g.evidence.map((e) => `${esc(e.source)}${e.line !== undefined ? `:${e.line}` : ''}  ${esc(e.text)}`).join('\n');
    const mark = g.category === 'hang' ? 'hang' : 'failure';
    return (
      `<section class="alert ${mark}" data-host="${esc(g.host)}" data-program="${esc(g.program)}">` +
      `<h3><span class="sev ${esc(g.severity)}">${esc(g.severity.toUpperCase())}</span> ${esc(g.title)}</h3>` +
      `<p class="meta">rule <code>${esc(g.rule)}</code> · ${esc(g.program)} · ${esc(g.host)} · ${g.count}× · ${g.count > 1 ? `${time(g.first)} – ${time(g.last)}` : time(g.last)}</p>` +
      `<p>${esc(g.message)}</p><p class="remedy"><b>What to do:</b> ${esc(g.remedy)}</p>` +
      (evidence ? `<pre>${evidence}</pre>` : '') +
      `</section>`
    );
  });
  const more = d.otherGroups ? `<p class="note">${d.otherGroups} older groups are left out (the JSON has them all).</p>` : '';
  return items.join('\n') + more;
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 8px}h3{font-size:15px;margin:0 0 4px}
.sub,.note,.meta,small{color:#555}.filters{margin:12px 0}.filters label{margin-right:16px}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:8px;margin-right:4px;opacity:.45}
.row{display:flex;align-items:center;margin:2px 0}.label{width:230px;flex:none;overflow:hidden;text-overflow:ellipsis;padding-right:8px}
.label small{display:block;font-size:11px}.axis .ticks{display:flex;justify-content:space-between;font-size:11px;color:#555}
.alert{border-left:4px solid #b22222;padding:6px 10px;margin:10px 0;background:#fcfcfc}.alert.hang{border-left-color:#e08a2c}
.sev{font-size:11px;padding:1px 5px;border-radius:3px;color:#fff;background:#555}.sev.critical,.sev.error{background:#a11}.sev.warning{background:#a60}
pre{background:#f2f2f2;padding:6px;overflow:auto;font-size:12px;white-space:pre-wrap;word-break:break-all}.remedy{margin-top:4px}
.hidden{display:none}`;

const SCRIPT = `
(function(){var h=document.getElementById('f-host'),p=document.getElementById('f-program');
function apply(){var hv=h.value,pv=p.value;
document.querySelectorAll('.row[data-host]').forEach(function(r){var ok=(!hv||r.dataset.host===hv)&&(!pv||r.dataset.programs.split(' ').indexOf(pv)>=0);r.classList.toggle('hidden',!ok)});
document.querySelectorAll('.alert').forEach(function(a){var ok=(!hv||a.dataset.host===hv)&&(!pv||a.dataset.program===pv);a.classList.toggle('hidden',!ok)});}
h.addEventListener('change',apply);p.addEventListener('change',apply);})();`;

export function renderHtml(d: ReportData): string {
  const t = d.totals;
  const options = (values: string[]) => values.map((v) => `<option value="${esc(v)}">${esc(v)}</option>`).join('');
  const legend = MARKS.map((m) => `<span><i style="background:${MARK_COLOURS[m]}"></i>${m}</span>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>connwatch report ${esc(time(d.from))} – ${esc(time(d.to))}</title><style>${CSS}</style></head>
<body>
<h1>connwatch report</h1>
<p class="sub">${esc(time(d.from))} – ${esc(time(d.to))} · from ${esc(d.inputs.join(', ') || 'nothing')} · generated ${esc(d.generatedAt)}</p>
<p>${t.lines} lines, ${t.events} events · ${t.attempt} connection attempts, ${t.success} succeeded, <b>${t.failure} failures</b>, <b>${t.hang} hangs</b> (${t.alerts} alerts in ${d.groups.length + d.otherGroups} groups)</p>
<div class="filters"><label>host <select id="f-host"><option value="">all</option>${options(d.hosts.map((h) => h.host))}</select></label>
<label>program <select id="f-program"><option value="">all</option>${options(d.programs)}</select></label>
<span class="legend">${legend}</span></div>
<h2>Timeline per host</h2>
${timeline(d)}
<h2>Failures and hangs</h2>
${groups(d)}
<script>${SCRIPT}</script>
</body></html>
`;
}

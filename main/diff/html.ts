/**
 * The diff report as one self-contained HTML file: inline CSS and inline SVG charts we draw ourselves from
 * numbers (no scripts, fonts, images or links; a `default-src 'none'` CSP forbids any fetch). Every piece of
 * text from the models, prompts or files goes through the evidence report's `escapeHtml`.
 */
import type { CompactGraph, DiffReport, GraphDiff } from '../../shared/diff';
import { layoutDiffGraph } from '../../shared/diffLayout';
import { escapeHtml } from '../explain/report';

export const DIFF_REPORT_GENERATOR = 'circuit-workbench model diff report';

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; margin: 2rem auto; max-width: 1150px; padding: 0 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .6rem; border-bottom: 1px solid #d8dce4; padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
.meta { color: #5b6375; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0 1rem; } th, td { text-align: left; vertical-align: top; border-bottom: 1px solid #e6e9ef; padding: .3rem .5rem; }
th { background: #f4f6fa; font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.pass { color: #0b6b2f; font-weight: 600; } .fail { color: #a4161a; font-weight: 600; } .none { color: #5b6375; }
.pair { display: flex; gap: 1rem; flex-wrap: wrap; } .pair figure { margin: 0; border: 1px solid #dfe3ea; border-radius: 6px; padding: .4rem; }
figcaption { font-size: .85rem; color: #5b6375; }
.ctx { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; }
`;

const num = (x: number) => (Number.isFinite(x) ? (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : +x.toPrecision(4)).toString() : String(x));
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const td = (s: string, cls = '') => `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(s)}</td>`;
const tdNum = (x: number) => td(num(x), 'num');
const tdInt = (x: number) => td(x.toLocaleString('en-US'), 'num');
const tdCode = (s: string) => `<td><code>${escapeHtml(s)}</code></td>`;

function table(head: readonly string[], rows: readonly string[][], empty: string): string {
  if (rows.length === 0) return `<p class="none">${escapeHtml(empty)}</p>`;
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.join('')}</tr>`).join('')}</tbody></table>`;
}

/** Horizontal bars, one per (label, value); negative values drawn left of the axis. */
export function barChart(items: readonly { label: string; value: number }[], title: string, width = 520): string {
  if (items.length === 0) return '';
  const row = 18;
  const labelW = 190;
  const plotW = width - labelW - 60;
  const max = Math.max(1e-12, ...items.map((i) => Math.abs(i.value)));
  const hasNeg = items.some((i) => i.value < 0);
  const zero = labelW + (hasNeg ? plotW / 2 : 0);
  const scale = (hasNeg ? plotW / 2 : plotW) / max;
  const h = items.length * row + 24;
  const bars = items.map((it, k) => {
    const y = 20 + k * row;
    const w = Math.abs(it.value) * scale;
    const x = it.value < 0 ? zero - w : zero;
    return `<text x="${labelW - 6}" y="${y + 12}" text-anchor="end" font-size="11">${escapeHtml(it.label)}</text>`
      + `<rect x="${x.toFixed(1)}" y="${y + 2}" width="${Math.max(0.5, w).toFixed(1)}" height="${row - 5}" fill="${it.value < 0 ? '#c4484b' : '#3b6fb6'}"/>`
      + `<text x="${(zero + (it.value < 0 ? 4 : w + 4)).toFixed(1)}" y="${y + 12}" font-size="10" fill="#5b6375">${escapeHtml(num(it.value))}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}" role="img" aria-label="${escapeHtml(title)}">`
    + `<text x="0" y="12" font-size="12" font-weight="600">${escapeHtml(title)}</text>`
    + `<line x1="${zero}" y1="18" x2="${zero}" y2="${h}" stroke="#8a93a6"/>${bars.join('')}</svg>`;
}

/** One graph of a pair (layout in shared/diffLayout.ts): grey = in both graphs, red = only in A, green = only in B. */
export function graphSvg(g: CompactGraph, other: CompactGraph, side: 'A' | 'B', nTokens: number): string {
  const lay = layoutDiffGraph(g, other, nTokens);
  const only = side === 'A' ? '#c4484b' : '#1f8a4c';
  const lines = lay.edges.map((e) => `<line x1="${e.x1.toFixed(1)}" y1="${e.y1.toFixed(1)}" x2="${e.x2.toFixed(1)}" y2="${e.y2.toFixed(1)}" stroke="${e.weight < 0 ? '#c4484b' : '#3b6fb6'}" stroke-opacity="0.35" stroke-width="${(0.3 + 2 * e.strength).toFixed(2)}"/>`);
  const dots = lay.nodes.map((n) => `<circle cx="${n.x.toFixed(1)}" cy="${n.y.toFixed(1)}" r="${n.common ? 2.5 : 3.5}" fill="${n.common ? '#9aa3b5' : only}"><title>${escapeHtml(n.id)}</title></circle>`);
  const labels = lay.rows.map((r) => `<text x="2" y="${r.y + 3}" font-size="9" fill="#5b6375">${escapeHtml(r.layer)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${lay.width}" height="${lay.height}" viewBox="0 0 ${lay.width} ${lay.height}" role="img" aria-label="graph ${side}">${labels.join('')}${lines.join('')}${dots.join('')}</svg>`;
}

function graphSection(g: GraphDiff): string {
  return [
    `<h3>Prompt ${g.prompt + 1}: <code>${escapeHtml(g.text)}</code></h3>`,
    `<p class="meta">Targets: ${g.targets.map((t) => `<code>${escapeHtml(JSON.stringify(t.text))}</code>`).join(', ')}. Nodes ${g.nodes.a} → ${g.nodes.b} (${g.nodes.common} common, +${g.nodes.gained.length} gained, −${g.nodes.lost.length} lost); edges ${g.edges.a} → ${g.edges.b} (+${g.edges.gained} −${g.edges.lost}).</p>`,
    `<div class="pair"><figure>${graphSvg(g.graphA, g.graphB, 'A', g.tokens.length)}<figcaption>Base (A): red = only in A</figcaption></figure>`,
    `<figure>${graphSvg(g.graphB, g.graphA, 'B', g.tokens.length)}<figcaption>Candidate (B): green = only in B</figcaption></figure></div>`,
    table(['Node', 'Influence A', 'Influence B', 'Δ'], g.influenceShift.slice(0, 10).map((s) => [tdCode(s.id), tdNum(s.a), tdNum(s.b), tdNum(s.b - s.a)]), 'No influence shifts among common nodes.'),
    table(['Edge', 'Weight A', 'Weight B'], g.edges.reweighted.slice(0, 10).map((e) => [tdCode(`${e.source} → ${e.target}`), tdNum(e.a), tdNum(e.b)]), 'No re-weighted edges.'),
  ].join('\n');
}

export function renderDiffHtml(r: DiffReport): string {
  const title = `Model diff: ${r.base.name} → ${r.candidate.name}`;
  const parts: string[] = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">${escapeHtml(r.createdAt)} · ${escapeHtml(r.app.name)} ${escapeHtml(r.app.version)} · suite ${escapeHtml(r.suite.name)} (${r.suite.prompts} prompts, ${r.suite.tokens} tokens) · ${escapeHtml(num(r.timings.total ?? 0))} s</p>`,
    table(['', 'Name', 'Format', 'Parameters', 'sha256'], [
      [td('Base (A)'), td(r.base.name), td(r.base.format), tdInt(r.base.parameters), tdCode(r.base.fingerprint)],
      [td('Candidate (B)'), td(r.candidate.name), td(r.candidate.format), tdInt(r.candidate.parameters), tdCode(r.candidate.fingerprint)],
    ], ''),
    `<p>Comparability: <b>${r.comparability.level === 'full' ? 'full (same architecture and tokenizer)' : 'outputs only (same tokenizer, different architecture)'}</b>${r.comparability.notes.map((n) => `<br><span class="meta">${escapeHtml(n)}</span>`).join('')}</p>`,
  ];
  if (r.weights) {
    const w = r.weights;
    // Unchanged rows are only counted: a diff is read for what changed.
    const comps = w.components.filter((c) => c.relChange > 0);
    const tensors = w.tensors.filter((t) => t.changedEntries > 0);
    parts.push('<h2>Weights</h2>', `<p class="${w.identical ? 'pass' : 'meta'}">${w.identical ? 'Every tensor is bit-identical.' : `${comps.length} of ${w.components.length} components and ${tensors.length} of ${w.tensors.length} tensors changed; the others are bit-identical.`}</p>`);
    parts.push(barChart(comps.slice(0, 12).map((c) => ({ label: c.id, value: c.relChange })), 'Relative change ‖ΔW‖/‖W‖ by component'));
    parts.push(table(['Component', 'Relative change', '‖ΔW‖'], comps.slice(0, 20).map((c) => [tdCode(c.id), tdNum(c.relChange), tdNum(c.absChange)]), 'No component changed.'));
    parts.push(table(['Tensor', 'Shape', 'Relative change', 'max |Δ|', 'Changed entries', 'Rank of change', 'σ₁²/‖Δ‖²'], tensors.slice(0, 20).map((t) => [
      tdCode(t.name), td(t.shape.join('×')), tdNum(t.relChange), tdNum(t.maxAbs), tdInt(t.changedEntries),
      td(t.rank ? `${t.rank.atLeast ? '≥ ' : ''}${t.rank.rank}` : '—', 'num'), td(t.rank ? pct(t.rank.rankOneEnergy) : '—', 'num'),
    ]), 'No tensor changed.'));
  }
  const o = r.outputs;
  parts.push('<h2>Outputs</h2>', `<p>Mean KL(A‖B) ${escapeHtml(num(o.meanKl))} nats, max ${escapeHtml(num(o.maxKl))}; top token flips on ${o.flips} of ${r.suite.prompts} prompts.</p>`);
  parts.push(barChart(o.prompts.slice(0, 12).map((p) => ({ label: `#${p.index + 1} ${p.text.slice(-28)}`, value: p.kl })), 'KL(p_A ‖ p_B), most affected prompts'));
  parts.push(table(['#', 'Prompt', 'KL', 'Top A', 'Top B', 'Flip', 'Target p A → B'], o.prompts.slice(0, 30).map((p) => [
    tdNum(p.index + 1), td(p.text), tdNum(p.kl), td(`${JSON.stringify(p.topA.text)} ${pct(p.topA.p)}`), td(`${JSON.stringify(p.topB.text)} ${pct(p.topB.p)}`),
    td(p.flipped ? 'yes' : '', p.flipped ? 'fail' : ''), td(p.target ? `${JSON.stringify(p.target.text)} ${pct(p.target.pA)} → ${pct(p.target.pB)}` : '—'),
  ]), 'No prompts.'));
  if (r.patching) {
    parts.push('<h2>Localization (cross-model patching)</h2>', `<p class="meta">${escapeHtml(r.patching.metric)}. Prompts patched: ${r.patching.prompts.map((i) => `#${i + 1}`).join(', ') || 'none (no output changed)'}.</p>`);
    parts.push(barChart(r.patching.components.slice(0, 12).map((c) => ({ label: c.hook, value: c.reproduced })), 'Fraction of the change reproduced (A with B\'s component)'));
    parts.push(table(['Component', 'Reproduced', 'Restored (converse)', 'Logit-diff reproduced'], r.patching.components.map((c) => {
      const ld = c.perPrompt.map((p) => p.logitDiffReproduced).filter((x): x is number => x !== null);
      return [tdCode(c.hook), td(pct(c.reproduced), 'num'), td(pct(c.restored), 'num'), td(ld.length ? pct(ld.reduce((s, x) => s + x, 0) / ld.length) : '—', 'num')];
    }), 'No components.'));
  }
  if (r.features) {
    parts.push('<h2>Features</h2>', `<p class="meta">Dictionary ${escapeHtml(r.dictionary?.name ?? '')} applied to both models over ${r.features.positions} positions.</p>`);
    parts.push(table(['Feature', 'Status', 'Mean A', 'Mean B', 'Mean |Δ|', 'Freq A', 'Freq B', 'Top contexts'], r.features.rows.map((f) => [
      tdCode(`${f.layer}:${f.feature}`), td(f.status), tdNum(f.meanA), tdNum(f.meanB), tdNum(f.meanAbsChange), td(pct(f.freqA), 'num'), td(pct(f.freqB), 'num'),
      `<td class="ctx">${(f.card?.contexts ?? []).map((c) => escapeHtml(c)).join('<br>')}</td>`,
    ]), 'No feature changed.'));
  }
  if (r.graphs) parts.push('<h2>Graphs</h2>', r.graphs.length ? r.graphs.map(graphSection).join('\n') : '<p class="none">No prompt changed, so no graph pair.</p>');
  if (r.explanations) {
    parts.push('<h2>Saved explanations on the candidate</h2>');
    parts.push(table(['File', 'Result', 'Tests', 'Nodes saved → now', 'Subgraph present'], r.explanations.map((e) => [
      tdCode(e.file), e.error ? td(`error: ${e.error}`, 'fail') : td(e.ok ? 'HOLDS' : 'BROKEN', e.ok ? 'pass' : 'fail'),
      `<td>${e.tests.map((t) => `<span class="${t.passedOnB ? 'pass' : 'fail'}">${t.passedOnB ? 'PASS' : 'FAIL'}</span> ${escapeHtml(t.name)}: ${escapeHtml(num(t.before))} → ${escapeHtml(num(t.after))}`).join('<br>')}</td>`,
      td(`${e.nodes.saved} → ${e.nodes.now} (+${e.nodes.gained} −${e.nodes.lost})`), td(pct(e.subgraphPresent), 'num'),
    ]), 'No explanation files.'));
  }
  parts.push('<h2>Timings</h2>', table(['Level', 'Seconds'], Object.entries(r.timings).map(([k, v]) => [td(k), tdNum(v)]), ''));
  return [
    '<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<meta name="generator" content="${escapeHtml(DIFF_REPORT_GENERATOR)}">`,
    `<title>${escapeHtml(title)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>', parts.join('\n'), '</body>', '</html>', '',
  ].join('\n');
}

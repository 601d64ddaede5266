/**
 * The HTML evidence report of an explanation (report.export): one self-contained file that loads nothing — inline
 * CSS, the subgraph figure as inline SVG, no fonts, scripts, images or links to fetch — so it can be attached to a
 * review and opened anywhere. Pure functions, no I/O.
 *
 * Safety: every piece of user text is HTML-escaped; the figure SVG (which comes from the renderer, i.e. from a
 * client) goes through `sanitizeSvg`, an allow-list rewriter (elements and attributes not on the lists are dropped,
 * `href` only to `#fragment`s, `url(…)` only to `#fragment`s, no event handlers, scripts, foreignObject, images,
 * animations or <style> elements, whose rules would restyle the whole report); the figure is painted inside its own
 * box (`contain: paint`); and a Content-Security-Policy meta (`default-src 'none'`) forbids any fetch or script even if
 * something slipped through.
 */
import type { Expectation } from '../../shared/explanation';
import type { InterventionRequest } from '../../shared/intervention';

export interface ReportScores {
  readonly replacement: number;
  readonly completeness: number;
}

export interface ReportTest {
  readonly name: string;
  /** Human-readable intervention (describeIntervention). */
  readonly intervention: string;
  /** Human-readable expectation (describeExpectation). */
  readonly expectation: string;
  /** What before/after measure, e.g. `p(" Lily")`. */
  readonly measured: string;
  readonly result: { readonly passed: boolean; readonly before: number; readonly after: number; readonly ranAt: string } | null;
}

export interface ReportData {
  readonly title: string;
  readonly prompt: string;
  readonly tokens: readonly string[];
  /** SVG markup from the client; sanitized here. */
  readonly figureSvg: string;
  readonly supernodes: readonly { readonly label: string; readonly members: readonly { readonly id: string; readonly label: string }[] }[];
  readonly labels: readonly { readonly id: string; readonly label: string }[];
  readonly pinned: readonly { readonly id: string; readonly label: string }[];
  readonly notes: string;
  readonly tests: readonly ReportTest[];
  readonly scores: { readonly graph: ReportScores; readonly subgraph: ReportScores; readonly subgraphNodes: number; readonly subgraphBasis: string };
  readonly thresholds: { readonly node: number; readonly edge: number };
  readonly model: { readonly name: string; readonly fingerprint: string };
  readonly dictionary: { readonly name: string; readonly fingerprint: string; readonly kind: string };
  readonly app: { readonly name: string; readonly version: string };
  /** ISO date-time of the export. */
  readonly date: string;
}

/** Marks files this module wrote (report.export refuses to overwrite other HTML files). */
export const REPORT_GENERATOR = 'circuit-workbench evidence report';

// ---------------------------------------------------------------------------------------------- escaping

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Numeric and the five XML character references; any other `&name;` stays literal text (and is re-escaped). */
export function decodeEntities(s: string): string {
  return s.replace(/&(#[xX][0-9a-fA-F]{1,8}|#[0-9]{1,10}|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : '\uFFFD';
    }
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e];
  });
}

// ---------------------------------------------------------------------------------------------- SVG sanitizing

const ELEMENTS = [
  'svg', 'g', 'defs', 'symbol', 'use', 'title', 'desc', 'path', 'line', 'polyline', 'polygon', 'rect', 'circle', 'ellipse', 'text', 'tspan',
  'textPath', 'marker', 'linearGradient', 'radialGradient', 'stop', 'clipPath', 'mask', 'pattern',
];
// No <style>: its rules would apply to the whole report (a figure could hide or restyle a failing test). Style
// attributes stay (they only reach their element), and the figure box has `contain: paint`.
const ELEMENT = new Map(ELEMENTS.map((e) => [e.toLowerCase(), e]));
/** Kept for its content only (a link would lead out of the report). */
const UNWRAP = new Set(['a']);

const ATTRIBUTES = [
  'id', 'class', 'style', 'transform', 'fill', 'fill-opacity', 'fill-rule', 'stroke', 'stroke-width', 'stroke-opacity', 'stroke-dasharray',
  'stroke-dashoffset', 'stroke-linecap', 'stroke-linejoin', 'stroke-miterlimit', 'opacity', 'x', 'y', 'x1', 'y1', 'x2', 'y2', 'cx', 'cy', 'r',
  'rx', 'ry', 'dx', 'dy', 'd', 'points', 'width', 'height', 'viewBox', 'preserveAspectRatio', 'font-family', 'font-size', 'font-weight',
  'font-style', 'text-anchor', 'dominant-baseline', 'alignment-baseline', 'baseline-shift', 'letter-spacing', 'word-spacing', 'text-decoration',
  'writing-mode', 'textLength', 'lengthAdjust', 'startOffset', 'marker-start', 'marker-mid', 'marker-end', 'markerWidth', 'markerHeight',
  'markerUnits', 'refX', 'refY', 'orient', 'offset', 'stop-color', 'stop-opacity', 'gradientUnits', 'gradientTransform', 'spreadMethod', 'fx',
  'fy', 'fr', 'clip-path', 'clip-rule', 'clipPathUnits', 'mask', 'maskUnits', 'maskContentUnits', 'patternUnits', 'patternContentUnits',
  'patternTransform', 'visibility', 'display', 'vector-effect', 'paint-order', 'shape-rendering', 'text-rendering', 'pointer-events', 'color',
  'role', 'aria-label', 'aria-hidden', 'lang', 'xml:space', 'version', 'href', 'xlink:href',
];
const ATTRIBUTE = new Map(ATTRIBUTES.map((a) => [a.toLowerCase(), a]));
const HREF = new Set(['href', 'xlink:href']);

/** Anything that can fetch or run: URLs other than `url(#id)`, scripts in CSS, and CSS escapes that could spell them. */
const DANGER = /javascript:|vbscript:|expression\s*\(|-moz-binding|behavior\s*:|image-set\s*\(|cross-fade\s*\(|element\s*\(|\bsrc\s*\(|\bimage\s*\(|@import/i;

/**
 * CSS of a style attribute: comments and `@import`s removed, `url()` to anything but a `#fragment`
 * replaced by `none`; '' when anything else that could fetch or run remains, or when it has escapes.
 */
export function sanitizeCss(css: string): string {
  // CSS escapes could spell anything (\75 rl = url): refused outright rather than interpreted.
  if (css.includes('\\')) return '';
  let s = css.replace(/\/\*[\s\S]*?(\*\/|$)/g, ' ').replace(/@import[^;]*(;|$)/gi, '');
  s = s.replace(/url\(\s*(['"]?)\s*([^'")]*?)\s*\1\s*\)/gi, (m, _q: string, target: string) => (target.startsWith('#') && !/[\s'"()]/.test(target) ? `url(${target})` : 'none'));
  if (/url\s*\(/i.test(s.replace(/url\(#[^\s'"()]*\)/gi, '')) || DANGER.test(s) || s.includes('//')) return '';
  return s;
}

function sanitizeAttributes(body: string): string {
  const seen = new Set<string>();
  let out = '';
  const re = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const lower = m[1].toLowerCase();
    if (seen.has(lower)) continue; // the first of duplicates wins, as in HTML
    seen.add(lower);
    const name = ATTRIBUTE.get(lower) ?? (/^data-[a-z0-9-]{1,64}$/.test(lower) ? lower : null);
    if (name === null) continue;
    let value = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
    if (HREF.has(lower)) {
      if (!/^#[\w.:-]*$/.test(value)) continue;
    } else if (lower === 'style') {
      value = sanitizeCss(value);
      if (value.trim() === '') continue;
    } else if (/url\s*\(|[\\]/i.test(value) || DANGER.test(value) || value.includes('//')) {
      value = sanitizeCss(value);
      if (value.trim() === '') continue;
    }
    out += ` ${name}="${escapeHtml(value)}"`;
  }
  return out;
}

interface Open {
  readonly lower: string;
  readonly name: string | null; // null: unwrapped (no tag written)
}

/**
 * An SVG document rewritten from allow-lists (see the module comment). The result is the first root `<svg>`
 * element, balanced and with only safe elements, attributes and CSS, or '' when there is none.
 */
export function sanitizeSvg(svg: string): string {
  const out: string[] = [];
  const stack: Open[] = [];
  let skip = 0; // depth inside a dropped subtree
  let closed = false;
  const n = svg.length;
  const text = (t: string) => {
    if (skip > 0 || stack.length === 0) return;
    out.push(escapeHtml(t));
  };
  const close = (e: Open) => {
    if (e.name) out.push(`</${e.name}>`);
  };
  const start = (raw: string, body: string, selfClosing: boolean) => {
    const lower = raw.toLowerCase();
    const drop = () => {
      if (!selfClosing) skip++;
    };
    if (skip > 0) return drop(); // nothing inside a dropped element
    if (stack.length === 0 && lower !== 'svg') return drop();
    if (UNWRAP.has(lower)) {
      if (!selfClosing) stack.push({ lower, name: null });
      return;
    }
    const name = ELEMENT.get(lower);
    if (!name) return drop();
    out.push(`<${name}${sanitizeAttributes(body)}${selfClosing ? '/>' : '>'}`);
    if (selfClosing) return;
    stack.push({ lower, name });
  };
  const end = (raw: string) => {
    if (skip > 0) {
      skip--;
      return;
    }
    const lower = raw.toLowerCase();
    let k = stack.length - 1;
    while (k >= 0 && stack[k].lower !== lower) k--;
    if (k < 0) return;
    while (stack.length > k) close(stack.pop()!);
    if (stack.length === 0) closed = true;
  };

  let i = 0;
  while (i < n && !closed) {
    const lt = svg.indexOf('<', i);
    if (lt < 0) {
      text(decodeEntities(svg.slice(i)));
      break;
    }
    if (lt > i) text(decodeEntities(svg.slice(i, lt)));
    if (svg.startsWith('<!--', lt)) {
      const e = svg.indexOf('-->', lt + 4);
      i = e < 0 ? n : e + 3;
      continue;
    }
    if (svg.startsWith('<![CDATA[', lt)) {
      const e = svg.indexOf(']]>', lt + 9);
      text(svg.slice(lt + 9, e < 0 ? n : e));
      i = e < 0 ? n : e + 3;
      continue;
    }
    if (svg[lt + 1] === '!' || svg[lt + 1] === '?') {
      // Doctype (possibly with an internal subset [ … ]) or processing instruction: dropped.
      const gt = svg.indexOf('>', lt);
      const bracket = svg.indexOf('[', lt);
      const e = bracket >= 0 && (gt < 0 || bracket < gt) ? svg.indexOf('>', Math.max(svg.indexOf(']', bracket), bracket)) : gt;
      i = e < 0 ? n : e + 1;
      continue;
    }
    const endTag = /^<\/\s*([A-Za-z][\w:.-]*)\s*>/.exec(svg.slice(lt, lt + 256));
    if (endTag) {
      end(endTag[1]);
      i = lt + endTag[0].length;
      continue;
    }
    const open = /^<([A-Za-z][\w:.-]*)/.exec(svg.slice(lt, lt + 256));
    if (!open) {
      text('<');
      i = lt + 1;
      continue;
    }
    let j = lt + open[0].length;
    let quote = '';
    for (; j < n; j++) {
      const c = svg[j];
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '>') break;
    }
    if (j >= n) break; // unterminated tag: the rest is dropped
    let body = svg.slice(lt + open[0].length, j);
    const selfClosing = /\/\s*$/.test(body);
    if (selfClosing) body = body.replace(/\/\s*$/, '');
    start(open[1], body, selfClosing);
    i = j + 1;
  }
  while (stack.length > 0) close(stack.pop()!);
  return out.join('');
}

// ---------------------------------------------------------------------------------------------- text of tests

const q = (s: string) => JSON.stringify(s);

/** One line per intervention, e.g. `frozen: ablate 3:517:5, 2:88:5; scale 1:12:4 ×2`. */
export function describeIntervention(req: InterventionRequest): string {
  const parts = req.edits.map((e): string => {
    switch (e.type) {
      case 'feature':
        return `${e.op} ${e.layer}:${e.feature}:${e.pos}${e.op === 'ablate' ? '' : ` ${e.op === 'scale' ? '×' : '='}${e.value ?? '?'}`}`;
      case 'error':
        return `${e.op} error ${e.layer}:-1:${e.pos}${e.op === 'ablate' ? '' : ` ×${e.value ?? '?'}`}`;
      case 'group': {
        const members = [...e.features.map((f) => `${f.layer}:${f.feature}:${f.pos}`), ...e.errors.map((x) => `${x.layer}:-1:${x.pos}`)];
        return `${e.op} ${e.label ? `${q(e.label)} (${members.join(', ')})` : members.join(', ')}${e.op === 'ablate' ? '' : ` ${e.op === 'scale' ? '×' : '='}${e.value ?? '?'}`}`;
      }
      case 'patchFeatures':
        return `patch features${e.layers ? ` of layers ${e.layers.join(',')}` : ''} at ${e.positions.join(',')} from ${'prompt' in e.source ? q(e.source.prompt) : `tokens ${e.source.tokens.join(',')}`}`;
      case 'patchHook':
        return `patch ${e.hook} at ${e.positions.join(',')} from ${'prompt' in e.source ? q(e.source.prompt) : `tokens ${e.source.tokens.join(',')}`}`;
      case 'steer':
        return `steer ${e.layer}:${e.feature} ×${e.strength} at ${e.positions.join(',')}${e.generated ? ' and generated tokens' : ''}`;
    }
  });
  return `${req.mode}: ${parts.length ? parts.join('; ') : 'no edits'}`;
}

export function describeExpectation(e: Expectation, tokenText: (id: number) => string): { expectation: string; measured: string } {
  const t = (id: number) => q(tokenText(id));
  const pct = (x: number) => `${+(x * 100).toPrecision(4)}%`;
  switch (e.kind) {
    case 'probDrop':
      return { expectation: `p(${t(e.token)}) drops by at least ${pct(e.atLeastFraction)}`, measured: `p(${t(e.token)})` };
    case 'probAtLeast':
      return { expectation: `p(${t(e.token)}) ≥ ${pct(e.value)} after`, measured: `p(${t(e.token)})` };
    case 'probAtMost':
      return { expectation: `p(${t(e.token)}) ≤ ${pct(e.value)} after`, measured: `p(${t(e.token)})` };
    case 'logitChange': {
      const b = [e.atLeast !== undefined ? `≥ ${e.atLeast}` : '', e.atMost !== undefined ? `≤ ${e.atMost}` : ''].filter(Boolean).join(' and ');
      return { expectation: `logit(${t(e.token)}) changes by ${b || 'any amount'}`, measured: `logit(${t(e.token)})` };
    }
    case 'contrastSign':
      return {
        expectation: `logit(${t(e.a)}) − logit(${t(e.b)}) ${e.sign === 'flips' ? 'changes sign' : e.sign === 'positive' ? '> 0 after' : '< 0 after'}`,
        measured: `logit(${t(e.a)}) − logit(${t(e.b)})`,
      };
  }
}

// ---------------------------------------------------------------------------------------------- HTML

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; margin: 2rem auto; max-width: 1100px; padding: 0 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .6rem; border-bottom: 1px solid #d8dce4; padding-bottom: .2rem; }
.meta { color: #5b6375; font-size: .9rem; }
.prompt { font: 15px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f4f6fa; border: 1px solid #dfe3ea; border-radius: 6px; padding: .6rem .8rem; white-space: pre-wrap; word-break: break-word; }
.tok { display: inline-block; background: #e8ecf4; border-radius: 3px; padding: 0 .25rem; margin: 0 .1rem .2rem 0; white-space: pre; font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
figure { margin: 0; border: 1px solid #dfe3ea; border-radius: 6px; padding: .5rem; overflow: auto; background: #fff; contain: paint; }
figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0 1rem; } th, td { text-align: left; vertical-align: top; border-bottom: 1px solid #e6e9ef; padding: .3rem .5rem; }
th { background: #f4f6fa; font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.pass { color: #0b6b2f; font-weight: 600; } .fail { color: #a4161a; font-weight: 600; } .none { color: #5b6375; }
.notes { white-space: pre-wrap; word-break: break-word; background: #fbfbf7; border: 1px solid #ebe8d8; border-radius: 6px; padding: .6rem .8rem; }
`;

const num = (x: number) => (Number.isFinite(x) ? (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : +x.toPrecision(4)).toString() : String(x));
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function table(head: readonly string[], rows: readonly string[][], empty: string): string {
  if (rows.length === 0) return `<p class="none">${escapeHtml(empty)}</p>`;
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.join('')}</tr>`).join('')}</tbody></table>`;
}
const td = (s: string, cls = '') => `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(s)}</td>`;
const tdCode = (s: string) => `<td><code>${escapeHtml(s)}</code></td>`;

/** The report's HTML text (see the module comment). */
export function renderReport(d: ReportData): string {
  const figure = sanitizeSvg(d.figureSvg);
  const tests = d.tests.map((t) => {
    const r = t.result;
    const status = r ? `<td class="${r.passed ? 'pass' : 'fail'}">${r.passed ? 'PASS' : 'FAIL'}</td>` : '<td class="none">not run</td>';
    return [td(t.name), td(t.intervention), td(t.expectation), td(t.measured), td(r ? num(r.before) : '—', 'num'), td(r ? num(r.after) : '—', 'num'), status, td(r ? r.ranAt : '')];
  });
  const passed = d.tests.filter((t) => t.result?.passed).length;
  const ran = d.tests.filter((t) => t.result).length;
  const body = [
    `<h1>${escapeHtml(d.title)}</h1>`,
    `<p class="meta">Evidence report exported ${escapeHtml(d.date)} by ${escapeHtml(d.app.name)} ${escapeHtml(d.app.version)}</p>`,
    '<h2>Prompt</h2>',
    `<div class="prompt">${escapeHtml(d.prompt)}</div>`,
    `<p>${d.tokens.map((t) => `<span class="tok">${escapeHtml(t)}</span>`).join('')}</p>`,
    '<h2>Subgraph</h2>',
    figure ? `<figure>${figure}</figure>` : '<p class="none">No figure.</p>',
    '<h2>Supernodes</h2>',
    table(['Supernode', 'Members'], d.supernodes.map((s) => [td(s.label), `<td>${s.members.map((m) => `<code>${escapeHtml(m.id)}</code>${m.label ? ` ${escapeHtml(m.label)}` : ''}`).join('<br>')}</td>`]), 'No supernodes.'),
    '<h2>Pinned nodes</h2>',
    table(['Node', 'Label'], d.pinned.map((p) => [tdCode(p.id), td(p.label)]), 'No pinned nodes.'),
    '<h2>Labels</h2>',
    table(['Node', 'Label'], d.labels.map((l) => [tdCode(l.id), td(l.label)]), 'No labels.'),
    '<h2>Notes</h2>',
    d.notes.trim() ? `<div class="notes">${escapeHtml(d.notes)}</div>` : '<p class="none">No notes.</p>',
    `<h2>Causal tests (${passed} of ${d.tests.length} pass${ran < d.tests.length ? `, ${d.tests.length - ran} not run` : ''})</h2>`,
    table(['Test', 'Intervention', 'Expectation', 'Measured', 'Before', 'After', 'Result', 'Ran at'], tests, 'No causal tests.'),
    '<h2>Scores</h2>',
    table(
      ['', 'Replacement', 'Completeness'],
      [
        [td('Whole graph (unpruned)'), td(pct(d.scores.graph.replacement), 'num'), td(pct(d.scores.graph.completeness), 'num')],
        [td(`Subgraph: ${d.scores.subgraphBasis} (${d.scores.subgraphNodes} scored nodes)`), td(pct(d.scores.subgraph.replacement), 'num'), td(pct(d.scores.subgraph.completeness), 'num')],
      ],
      '',
    ),
    `<p class="meta">Pruning thresholds: node ${escapeHtml(String(d.thresholds.node))}, edge ${escapeHtml(String(d.thresholds.edge))}.</p>`,
    '<h2>Provenance</h2>',
    table(
      ['', 'Name', 'Fingerprint (sha256)'],
      [
        [td('Model'), td(d.model.name), tdCode(d.model.fingerprint)],
        [td(`Dictionary (${d.dictionary.kind})`), td(d.dictionary.name), tdCode(d.dictionary.fingerprint)],
        [td('App'), td(`${d.app.name} ${d.app.version}`), td('')],
      ],
      '',
    ),
  ].join('\n');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<meta name="generator" content="${escapeHtml(REPORT_GENERATOR)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(d.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

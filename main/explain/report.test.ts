/**
 * The evidence report's HTML (pure): every piece of user text escaped, nothing in the output that fetches from the
 * network, and the figure SVG rewritten from allow-lists (scripts, handlers, foreignObject, external references
 * and unsafe CSS removed; the drawing itself kept).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interventionRequestSchema } from '../../shared/intervention';
import { decodeEntities, describeExpectation, describeIntervention, escapeHtml, renderReport, REPORT_GENERATOR, sanitizeCss, sanitizeSvg, type ReportData } from './report';

const EVIL = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&';

const HOSTILE_SVG = `<?xml version="1.0"?>
<!DOCTYPE svg [ <!ENTITY x "<script>alert(9)</script>"> ]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 50" onload="alert(1)" width="100">
  <!-- a comment with https://evil.example -->
  <style><![CDATA[ @import url("https://evil.example/x.css"); .edge { stroke: url(#grad); } .bg { background: url(//evil.example/bg.png) } ]]></style>
  <script>alert(2)</script>
  <script xlink:href="https://evil.example/s.js"/>
  <defs><linearGradient id="grad"><stop offset="0" stop-color="#fff"/></linearGradient></defs>
  <a href="https://evil.example/"><text x="1" y="2" onclick="alert(3)">L3 &amp; &lt;tok&gt; &#x3C;b&#62;</text></a>
  <image href="https://evil.example/i.png" width="10" height="10"/>
  <foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml"><iframe src="https://evil.example/"></iframe></div></foreignObject>
  <use href="#grad"/><use xlink:href="//evil.example/sprite.svg#a"/><use href="&#106;avascript:alert(4)"/>
  <rect x="0" y="0" width="5" height="5" fill="url(https://evil.example/p)" style="fill: red; background-image: url('https://evil.example/q')"/>
  <circle cx="5" cy="5" r="2" fill="url(#grad)" stroke="#123" data-node="3_117_5" ONMOUSEOVER="alert(5)"/>
  <path d="M0 0 L10 10" marker-end="url(#arrow)" style="stroke:\\75 rl(evil)"/>
  <animate attributeName="href" to="javascript:alert(6)"/>
  <g><title>Edge &quot;a&quot;</title></g>
</svg>
<script>alert(7)</script>`;

function data(over: Partial<ReportData> = {}): ReportData {
  return {
    title: `Circuit for ${EVIL}`,
    prompt: `Once upon a ${EVIL} time`,
    tokens: ['<s>', 'Once', ` ${EVIL}`],
    figureSvg: '<svg viewBox="0 0 10 10"><circle cx="5" cy="5" r="4" fill="#36c"/></svg>',
    supernodes: [{ label: `say ${EVIL}`, members: [{ id: '3_117_5', label: `m ${EVIL}` }] }],
    labels: [{ id: '3_117_5', label: `label ${EVIL}` }],
    pinned: [{ id: '2_5_4', label: `pin ${EVIL}` }],
    notes: `Note line 1\n${EVIL}`,
    tests: [
      { name: `test ${EVIL}`, intervention: `frozen: ablate ${EVIL}`, expectation: `p(${EVIL}) drops`, measured: `p(${EVIL})`, result: { passed: true, before: 0.9262, after: 0.25, ranAt: '2026-01-01T00:00:00.000Z' } },
      { name: 'second', intervention: 'free: no edits', expectation: 'x', measured: 'y', result: { passed: false, before: 1, after: 1, ranAt: '2026-01-01T00:00:00.000Z' } },
      { name: 'third', intervention: 'frozen: no edits', expectation: 'x', measured: 'y', result: null },
    ],
    scores: { graph: { replacement: 0.9848, completeness: 0.9962 }, subgraph: { replacement: 0.5, completeness: 0.75 }, subgraphNodes: 42, subgraphBasis: 'pinned nodes and supernode members' },
    thresholds: { node: 0.8, edge: 0.98 },
    model: { name: `model ${EVIL}`, fingerprint: 'a'.repeat(64) },
    dictionary: { name: `dict ${EVIL}`, fingerprint: 'b'.repeat(64), kind: 'plt' },
    app: { name: 'Circuit Workbench', version: '0.1.0' },
    date: '2026-05-01T12:00:00.000Z',
    ...over,
  };
}

/**
 * Anything in the HTML that could make a viewer fetch or run something: URL schemes and `//` anywhere (user text
 * included, unless `textToo` is false), and in the markup (tags and CSS, where escaped text cannot hide) sources, handlers, scripts, embedded
 * documents, `url()` / `href` to anything but a fragment.
 */
function networkOrScript(html: string, opts: { textToo: boolean } = { textToo: true }): string[] {
  const found: string[] = [];
  const hit = (re: RegExp, text: string) => {
    const m = re.exec(text);
    if (m) found.push(`${re}: …${text.slice(Math.max(0, m.index - 40), m.index + 40)}…`);
  };
  const styles = [...html.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/gi)].map((m) => m[1]);
  const markup = [...(html.match(/<[^>]*>/g) ?? []), ...styles].join('\n');
  hit(/https?:|ftp:|file:|data:/i, opts.textToo ? html : markup);
  hit(/\/\//, opts.textToo ? html : markup);
  for (const re of [/\bsrc\s*=/i, /@import/i, /<script/i, /\son[a-z]+\s*=/i, /javascript:/i, /<iframe/i, /<img/i, /<image/i, /<link/i, /<foreignObject/i, /<object/i, /<embed/i, /<a\s/i]) hit(re, markup);
  for (const m of markup.matchAll(/url\(([^)]*)\)/gi)) if (!m[1].startsWith('#')) found.push(`url(${m[1]})`);
  for (const m of markup.matchAll(/href\s*=\s*"([^"]*)"/gi)) if (!m[1].startsWith('#')) found.push(`href=${m[1]}`);
  return found;
}

describe('report HTML', () => {
  it('escapes every piece of user text', () => {
    const html = renderReport(data());
    const esc = escapeHtml(EVIL);
    expect(esc).toBe('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&amp;');
    for (const s of [`Once upon a ${esc} time`, `say ${esc}`, `m ${esc}`, `label ${esc}`, `pin ${esc}`, `test ${esc}`, `frozen: ablate ${esc}`, `p(${esc}) drops`, `model ${esc}`, `dict ${esc}`, `Circuit for ${esc}`, `Note line 1\n${esc}`]) {
      expect(html).toContain(s);
    }
    // Raw user text never appears unescaped.
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('onerror=alert(2)>');
  });

  it('loads nothing from the network and runs nothing, even with a hostile figure', () => {
    for (const d of [data(), data({ figureSvg: HOSTILE_SVG })]) {
      const html = renderReport(d);
      expect(networkOrScript(html)).toEqual([]);
      // A CSP that forbids every fetch and script, and the generator marker.
      expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
      expect(html).toContain(`<meta name="generator" content="${REPORT_GENERATOR}">`);
    }
  });

  it('shows the figure, tests with pass/fail and before/after, scores, fingerprints, version and date', () => {
    const html = renderReport(data());
    expect(html).toContain('<figure><svg viewBox="0 0 10 10"><circle cx="5" cy="5" r="4" fill="#36c"/></svg></figure>');
    expect(html).toContain('Causal tests (1 of 3 pass, 1 not run)');
    expect(html).toMatch(/<td class="pass">PASS<\/td>/);
    expect(html).toMatch(/<td class="fail">FAIL<\/td>/);
    expect(html).toMatch(/<td class="none">not run<\/td>/);
    expect(html).toContain('<td class="num">0.9262</td><td class="num">0.25</td>');
    expect(html).toContain('98.5%');
    expect(html).toContain('99.6%');
    expect(html).toContain('42 scored nodes');
    expect(html).toContain('a'.repeat(64));
    expect(html).toContain('b'.repeat(64));
    expect(html).toContain('Circuit Workbench 0.1.0');
    expect(html).toContain('2026-05-01T12:00:00.000Z');
    expect(renderReport(data({ figureSvg: 'not svg at all' }))).toContain('No figure.');
  });
});

describe('SVG sanitizer', () => {
  const out = sanitizeSvg(HOSTILE_SVG);

  it('removes scripts, handlers, foreignObject, images, animations, links out and unsafe CSS', () => {
    expect(networkOrScript(out)).toEqual([]);
    for (const bad of ['alert', 'evil', 'xmlns', 'DOCTYPE', 'ENTITY', 'comment', 'foreignObject', 'iframe', 'animate', '<a ', '<image', 'onload', 'onclick']) expect(out).not.toContain(bad);
  });

  it('keeps the drawing: allowed elements and attributes, fragment references, text (re-escaped)', () => {
    expect(out.startsWith('<svg viewBox="0 0 100 50" width="100">')).toBe(true);
    expect(out.endsWith('</svg>')).toBe(true);
    expect(out).toContain('<linearGradient id="grad"><stop offset="0" stop-color="#fff"/></linearGradient>');
    expect(out).toContain('<text x="1" y="2">L3 &amp; &lt;tok&gt; &lt;b&gt;</text>'); // the link is unwrapped, its text kept
    expect(out).toContain('<use href="#grad"/>');
    expect(out.match(/<use/g)).toHaveLength(3); // the external and javascript: hrefs are dropped, the elements stay inert
    expect(out).toContain('<circle cx="5" cy="5" r="2" fill="url(#grad)" stroke="#123" data-node="3_117_5"/>');
    expect(out).toContain('<rect x="0" y="0" width="5" height="5" fill="none" style="fill: red; background-image: none"/>'); // external url() → none
    expect(out).toContain('<path d="M0 0 L10 10" marker-end="url(#arrow)"/>'); // a style with CSS escapes is dropped
    expect(out).not.toContain('<style'); // global rules would restyle the whole report
    expect(sanitizeSvg('<svg><style>.fail { color: green }</style><rect style="fill: red"/></svg>')).toBe('<svg><rect style="fill: red"/></svg>');
    expect(out).toContain('<title>Edge &quot;a&quot;</title>');
  });

  it('is balanced, stops at the root, and gives nothing without an svg root', () => {
    expect(sanitizeSvg('<svg><g><rect/></svg>')).toBe('<svg><g><rect/></g></svg>');
    expect(sanitizeSvg('<svg><g></rect></g>')).toBe('<svg><g></g></svg>');
    expect(sanitizeSvg('<svg></svg><svg><rect/></svg>')).toBe('<svg></svg>');
    expect(sanitizeSvg('<div><svg></svg></div>')).toBe('');
    expect(sanitizeSvg('<script><svg></svg></script>')).toBe('');
    expect(sanitizeSvg('plain text')).toBe('');
    expect(sanitizeSvg('<svg><text>a < b & c > d</text><rect x="1')).toBe('<svg><text>a &lt; b &amp; c &gt; d</text></svg>');
    expect(sanitizeSvg('<svg><text>&nbsp;&colon;</text></svg>')).toBe('<svg><text>&amp;nbsp;&amp;colon;</text></svg>'); // unknown entities stay literal
  });

  it('CSS: url() only to fragments, no escapes, imports or script', () => {
    expect(sanitizeCss('fill: url( "#a" )')).toBe('fill: url(#a)');
    expect(sanitizeCss('fill: url(https://x)')).toBe('fill: none');
    expect(sanitizeCss('fill: \\75 rl(x)')).toBe('');
    expect(sanitizeCss('@import "x.css"; a{}')).toBe(' a{}');
    expect(sanitizeCss('a { width: expression(alert(1)) }')).toBe('');
    expect(sanitizeCss('a { background: image-set("x.png" 1x) }')).toBe('');
    expect(sanitizeCss('a /* https://x */ { fill: red }')).toBe('a   { fill: red }');
  });

  it('fuzz: any mix of hostile fragments gives markup without handlers, scripts or external references, and is a fixpoint', () => {
    const fragments = [
      '<svg>', '<svg viewBox="0 0 1 1">', '</svg>', '<g>', '</g>', '<g ', '<rect', '<circle r="1"', '/>', '>', '<', '"', "'", ' ', 'text', '&amp;', '&#106;', '&#x3C;',
      'onload="alert(1)"', ' onclick=alert(1)', 'href="https://e.example"', 'xlink:href="//e.example/a#b"', 'href="#ok"', 'href="&#106;avascript:x"',
      'fill="url(http://e.example/p)"', 'fill="url(#a)"', 'style="fill:url(https://e.example)"', 'style="a:\\75 rl(x)"', '<style>', '</style>',
      '@import url(//e.example/x.css);', '.a{fill:url(#g)}', '<script>', '</script>', 'alert(2)', '<foreignObject>', '</foreignObject>', '<a href="https://e.example">',
      '</a>', '<image href="data:x"/>', '<![CDATA[', ']]>', '<!--', '-->', '<!DOCTYPE x [', ']>', '<?xml ?>', '<animate attributeName="href" to="javascript:x"/>',
      '<use href="#a"/>', '<text>', '</text>', 'data-x="1"', 'width="2"',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 40 }), (parts) => {
        const out = sanitizeSvg(parts.join(''));
        expect(networkOrScript(out, { textToo: false })).toEqual([]); // text may read "https://…": it is inert
        expect(out === '' || (out.startsWith('<svg') && out.endsWith('</svg>'))).toBe(true);
        expect(sanitizeSvg(out)).toBe(out);
      }),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('decodes only numeric and the XML entities', () => {
    expect(decodeEntities('&lt;&#60;&#x3c;&amp;&quot;&apos;&colon;&#0;')).toBe('<<<&"\'&colon;\uFFFD');
  });
});

describe('test descriptions', () => {
  it('writes interventions and expectations as one line each', () => {
    const req = interventionRequestSchema.parse({
      edits: [
        { type: 'feature', layer: 3, feature: 517, pos: 5, op: 'ablate' },
        { type: 'group', op: 'scale', value: 2, label: 'say Lily', features: [{ layer: 2, feature: 88, pos: 5 }], errors: [{ layer: 1, pos: 4 }] },
        { type: 'steer', layer: 1, feature: 7, strength: 3, positions: [2, 3] },
      ],
      mode: 'free',
    });
    expect(describeIntervention(req)).toBe('free: ablate 3:517:5; scale "say Lily" (2:88:5, 1:-1:4) ×2; steer 1:7 ×3 at 2,3');
    expect(describeIntervention(interventionRequestSchema.parse({ edits: [] }))).toBe('frozen: no edits');
    const text = (id: number) => (id === 317 ? ' Lily' : ' Tim');
    expect(describeExpectation({ kind: 'probDrop', token: 317, atLeastFraction: 0.5 }, text)).toEqual({ expectation: 'p(" Lily") drops by at least 50%', measured: 'p(" Lily")' });
    expect(describeExpectation({ kind: 'contrastSign', a: 317, b: 5, sign: 'flips' }, text).expectation).toBe('logit(" Lily") − logit(" Tim") changes sign');
    expect(describeExpectation({ kind: 'logitChange', token: 317, atLeast: 1 }, text).expectation).toBe('logit(" Lily") changes by ≥ 1');
  });
});

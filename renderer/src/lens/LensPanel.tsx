/**
 * The logit-lens panel: a heat map with one row per residual stream (final at the top, embedding side at the
 * bottom, like the graph's layers) and one column per token. A cell's colour is the probability of its top
 * token, or of the target when one is given; hovering shows the cell's top tokens.
 */
import { useState } from 'react';
import type { ApiClient } from '../../../shared/api';
import type { LensCell, LensView } from '../../../shared/lens';
import { errorMessage } from '../store/helpers';
import { parseTokenRef } from '../text/tokenText';

const pct = (p: number) => `${(100 * p).toFixed(1)}%`;
const shortRow = (hook: string) => hook.replace(/^blocks\.(\d+)\.hook_resid_(pre|post)$/, (_, l: string, w: string) => `L${l} ${w}`);

/** White → blue by probability (sqrt to lift small values into view). */
function heat(p: number): string {
  const t = Math.sqrt(Math.max(0, Math.min(1, p)));
  const c = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${c(255, 37)}, ${c(255, 99)}, ${c(255, 235)})`;
}

function CellTip({ cell, row, token }: { readonly cell: LensCell; readonly row: string; readonly token: string }) {
  return (
    <div className="lens-tip" role="tooltip" data-testid="lens-tip">
      <div className="small muted">{row} · after {JSON.stringify(token)} · entropy {cell.entropy.toFixed(2)}</div>
      <ol>
        {cell.top.map((t) => (
          <li key={t.id}><code>{JSON.stringify(t.text)}</code> {pct(t.prob)}</li>
        ))}
      </ol>
      {cell.targetProb !== null && <div className="small">target {pct(cell.targetProb)}, rank {cell.targetRank! + 1}</div>}
    </div>
  );
}

export function LensHeatmap({ view }: { readonly view: LensView }) {
  const [hover, setHover] = useState<{ r: number; t: number } | null>(null);
  const rows = view.rows.map((_, r) => r).reverse();
  const value = (c: LensCell) => (c.targetProb !== null ? c.targetProb : (c.top[0]?.prob ?? 0));
  return (
    <div className="lens-wrap">
      <table className="lens-table" data-testid="lens-heatmap" >
        <tbody>
          {rows.map((r) => (
            <tr key={r}>
              <th scope="row" title={view.rows[r]}>{shortRow(view.rows[r])}</th>
              {view.cells[r].map((c, t) => (
                <td
                  key={t}
                  data-testid={`lens-cell-${r}-${t}`}
                  style={{ background: heat(value(c)), color: value(c) > 0.45 ? '#fff' : '#111' }}
                  onMouseEnter={() => setHover({ r, t })}
                  className={hover && hover.r === r && hover.t === t ? 'hovered' : undefined}
                >
                  {c.top[0]?.text.trim() || '·'}
                </td>
              ))}
            </tr>
          ))}
          <tr className="lens-tokens">
            <th scope="row">token</th>
            {view.tokens.map((tk, t) => <td key={t}><code>{tk.text}</code></td>)}
          </tr>
        </tbody>
      </table>
      {/* The box is always there (fixed height) so that showing a cell's tokens never moves the table under the pointer. */}
      <div className="lens-tip-box">
        {hover ? <CellTip cell={view.cells[hover.r][hover.t]} row={view.rows[hover.r]} token={view.tokens[hover.t].text} /> : <span className="small muted">Hover a cell for its top tokens.</span>}
      </div>
    </div>
  );
}

export function LensPanel({ client, defaultPrompt }: { readonly client: ApiClient; readonly defaultPrompt: string }) {
  const [prompt, setPrompt] = useState(defaultPrompt || 'Once upon a time, there was a little girl named Lily');
  const [target, setTarget] = useState('');
  const [view, setView] = useState<LensView | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const t = target.trim() === '' ? null : parseTokenRef(target);
      setView(await client.call('lens.run', { prompt, ...(t !== null ? { target: t } : {}) }));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-label="Logit lens" className="lens-panel">
      <div className="lens-form">
        <label>Prompt <input aria-label="Lens prompt" value={prompt} onChange={(e) => setPrompt(e.target.value)} /></label>
        <label>Target <input aria-label="Lens target" placeholder="(top token)" value={target} onChange={(e) => setTarget(e.target.value)} /></label>
        <button type="button" onClick={() => void run()} disabled={busy || prompt === ''}>{busy ? 'Running…' : 'Run lens'}</button>
      </div>
      {error && <p className="error small" role="alert">{error}</p>}
      {view ? (
        <>
          <p className="small muted">
            Each row decodes one residual stream through the final norm and unembedding; the top row is the model's own prediction.
            Colour: {view.target ? `probability of ${JSON.stringify(view.target.text)}` : 'probability of the top token'}.
          </p>
          <LensHeatmap view={view} />
        </>
      ) : (
        <p className="small muted">Run the lens to see at which layer the prediction forms.</p>
      )}
    </section>
  );
}

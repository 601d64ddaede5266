/** Left column: prompt text, its tokens, the model's next-token predictions, the target and Trace. */
import type { Prediction } from '../../../shared/api';
import { useActions, useWb } from '../store/react';
import { formatPercent } from '../text/format';
import { visibleToken } from '../text/tokenText';
import { TargetPicker } from './TargetPicker';
import { TraceControls } from './TraceControls';

export function PromptPanel() {
  const prompt = useWb((s) => s.prompt);
  const a = useActions();
  return (
    <div className="panel prompt-panel">
      <label className="panel-title" htmlFor="prompt">Prompt</label>
      <textarea
        id="prompt"
        aria-label="Prompt"
        rows={4}
        value={prompt}
        spellCheck={false}
        onChange={(e) => a.setPrompt(e.target.value)}
        placeholder="Once upon a time…"
      />
      <TokenChips />
      <Predictions />
      <TargetPicker />
      <TraceControls />
    </div>
  );
}

function TokenChips() {
  const analysis = useWb((s) => s.analysis);
  const error = useWb((s) => s.analysisError);
  const stale = useWb((s) => s.analysisFor !== s.prompt);
  return (
    <div className="tokens-block">
      <h2 className="sub-title">
        Tokens {analysis && <span className="muted small">({analysis.tokens.length})</span>}
      </h2>
      {error && <p className="error-text small" role="status">{error}</p>}
      <ol className={`token-chips${stale ? ' stale' : ''}`} aria-label="Tokens">
        {analysis?.tokens.map((t, i) => (
          <li key={i} className="chip" title={`position ${i} · id ${t.id}`}>
            <span className="chip-text">{i === 0 && t.text === '' ? 'BOS' : visibleToken(t.text)}</span>
            <sub className="chip-id">{t.id}</sub>
          </li>
        ))}
      </ol>
    </div>
  );
}

const NO_PREDICTIONS: readonly Prediction[] = [];

function Predictions() {
  // A constant fallback: a fresh [] per call would make zustand see a new snapshot every render.
  const top = useWb((s) => s.analysis?.top ?? NO_PREDICTIONS);
  const a = useActions();
  if (top.length === 0) return null;
  const max = top[0]?.prob ?? 1;
  return (
    <div className="predictions-block">
      <h2 className="sub-title">Next token <span className="muted small">(click to trace it)</span></h2>
      <ul className="predictions" aria-label="Top predictions">
        {top.slice(0, 10).map((p) => (
          <li key={p.id}>
            <button type="button" className="prediction" onClick={() => a.chooseTargetToken(p.text, p.id)} title={`token id ${p.id}`}>
              <span className="bar" style={{ width: `${Math.max(2, (p.prob / max) * 100)}%` }} aria-hidden="true" />
              <span className="pred-text">{visibleToken(p.text)}</span>
              <span className="pred-prob">{formatPercent(p.prob)}</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

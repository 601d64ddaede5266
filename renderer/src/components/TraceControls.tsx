/**
 * The Trace button with the optional "Max features" field; for a running job, after 300 ms, a progress bar
 * with its phase and a Cancel button. Sticky at the bottom of the left column, so always in sight.
 */
import { useActions, useWb } from '../store/react';
import { useDelayedFlag } from './useDelayedFlag';

export function TraceControls() {
  const job = useWb((s) => s.job);
  const canTrace = useWb((s) => s.session !== null && s.session.dictionary !== null && s.prompt.trim().length > 0);
  const maxFeatures = useWb((s) => s.maxFeatures);
  const a = useActions();
  const showProgress = useDelayedFlag(job !== null, 300);
  const p = job?.progress ?? null;
  const frac = p && p.total > 0 ? Math.min(1, p.done / p.total) : null;
  return (
    <div className="trace-controls">
      <div className="trace-row">
        <button type="button" className="primary trace" onClick={() => void a.trace()} disabled={job !== null || !canTrace} title="Trace (Ctrl/⌘+Enter)">
          Trace
        </button>
        <label className="max-features" title="Keep at most this many features (the most influential ones); blank keeps every active feature. Fewer features trace faster on long prompts.">
          Max features
          <input
            type="number"
            aria-label="Max features"
            min={1}
            step={1}
            placeholder="all"
            value={maxFeatures ?? ''}
            onChange={(e) => a.setMaxFeatures(e.target.value.trim() === '' ? null : Number(e.target.value))}
          />
        </label>
      </div>
      {job && showProgress && (
        <div className="job">
          <div
            className="progress"
            role="progressbar"
            aria-label="Progress"
            aria-valuemin={0}
            aria-valuemax={p && p.total > 0 ? p.total : 100}
            aria-valuenow={p && p.total > 0 ? p.done : undefined}
            aria-valuetext={p ? `${p.phase} ${p.done}/${p.total}` : `${job.label}…`}
          >
            <div className={`progress-fill${frac === null ? ' indeterminate' : ''}`} style={frac === null ? undefined : { width: `${frac * 100}%` }} />
          </div>
          <span className="phase small" aria-live="polite">
            {p ? `${p.phase}${p.total > 0 ? ` ${p.done}/${p.total}` : ''}` : `${job.label}…`}
          </span>
          <button type="button" onClick={() => a.cancelJob()}>Cancel</button>
        </div>
      )}
    </div>
  );
}

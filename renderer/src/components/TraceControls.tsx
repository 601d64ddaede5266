/** The Trace button; for a running job, after 300 ms, a progress bar with its phase and a Cancel button. */
import { useActions, useWb } from '../store/react';
import { useDelayedFlag } from './useDelayedFlag';

export function TraceControls() {
  const job = useWb((s) => s.job);
  const canTrace = useWb((s) => s.session !== null && s.session.dictionary !== null && s.prompt.trim().length > 0);
  const a = useActions();
  const showProgress = useDelayedFlag(job !== null, 300);
  const p = job?.progress ?? null;
  const frac = p && p.total > 0 ? Math.min(1, p.done / p.total) : null;
  return (
    <div className="trace-controls">
      <button type="button" className="primary trace" onClick={() => void a.trace()} disabled={job !== null || !canTrace} title="Trace (Ctrl/⌘+Enter)">
        Trace
      </button>
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

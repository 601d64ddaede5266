/** At startup: explanations with unsaved work from an earlier session (recovery copies), to restore or discard. */
import { useWork, useWorkActions } from './context';

export function RecoveryBanner() {
  const entries = useWork((s) => s.recovery);
  const a = useWorkActions();
  if (entries.length === 0) return null;
  return (
    <div className="recovery-banner" role="region" aria-label="Recovered work">
      <strong>Unsaved work from an earlier session:</strong>
      <ul>
        {entries.slice(0, 3).map((e) => (
          <li key={e.path}>
            <span className="recovery-prompt">“{e.prompt.slice(0, 60)}”</span>{' '}
            <span className="muted small">
              {new Date(e.modifiedAt).toLocaleString()}
              {e.savedPath ? ` — newer than ${e.savedPath}` : ' — never saved'}
            </span>{' '}
            <button type="button" className="primary" onClick={() => void a.restoreRecovery(e)}>Restore</button>{' '}
            <button type="button" onClick={() => void a.discardRecovery(e)}>Discard</button>
          </li>
        ))}
      </ul>
      <button type="button" className="icon" aria-label="Dismiss" onClick={() => a.dismissRecovery()}>×</button>
    </div>
  );
}

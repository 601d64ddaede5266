/** The explanation's file and history controls: Save, Save as…, Open…, Undo, Redo, with the unsaved-changes mark. */
import { canRedo, canUndo, isDirty } from '../store/work/model';
import { useWb } from '../store/react';
import { useWork, useWorkActions } from './context';
import './work.css';

const baseName = (p: string) => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);

export function ExplanationBar() {
  const a = useWorkActions();
  const history = useWork((s) => s.history);
  const savedPath = useWork((s) => s.savedPath);
  const busy = useWork((s) => s.fileBusy);
  const hasGraph = useWb((s) => s.graph !== null);
  const dirty = isDirty(history);
  return (
    <section className="panel explanation-bar" aria-label="Explanation">
      <h2 className="panel-title">
        Explanation{' '}
        <span className="muted small explanation-name" data-testid="explanation-name" title={savedPath ?? ''}>
          {savedPath ? baseName(savedPath) : 'unsaved'}
          {dirty && <span className="dirty-mark" aria-label="unsaved changes" title="Unsaved changes"> ●</span>}
        </span>
        <span className="history-buttons">
          <button type="button" className="icon" onClick={() => a.undo()} disabled={!canUndo(history)} aria-label="Undo" title="Undo (Ctrl/⌘+Z)">↶</button>
          <button type="button" className="icon" onClick={() => a.redo()} disabled={!canRedo(history)} aria-label="Redo" title="Redo (Ctrl/⌘+Shift+Z)">↷</button>
        </span>
      </h2>
      <div className="button-row">
        <button type="button" onClick={() => void a.save()} disabled={!hasGraph || busy}>Save</button>
        <button type="button" onClick={() => void a.saveAs()} disabled={!hasGraph || busy}>Save as…</button>
        <button type="button" onClick={() => void a.open()} disabled={busy}>Open…</button>
      </div>
    </section>
  );
}

/**
 * Browser mode's Save as… / Open… for explanation files: the `*.circuit.json` files in the workspace (files.list
 * only lists the engine's workspace) and a name field. Desktop mode uses the native dialog instead.
 */
import { useEffect, useRef, useState } from 'react';
import type { FileEntry } from '../../../shared/api';
import { explanationFileName, explanationPath } from '../store/work/build';
import { errorMessage } from '../store/helpers';
import { useActions, useWb } from '../store/react';
import { useWork, useWorkActions } from './context';

export function ExplanationFileDialog({ mode }: { readonly mode: 'save' | 'open' }) {
  const a = useWorkActions();
  const wb = useActions();
  const busy = useWork((s) => s.fileBusy);
  const savedPath = useWork((s) => s.savedPath);
  const prompt = useWb((s) => s.graph?.prompt ?? '');
  const [dir, setDir] = useState<string | null>(null);
  const [entries, setEntries] = useState<readonly FileEntry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [typed, setTyped] = useState(mode === 'save' ? (savedPath ? savedPath.slice(Math.max(savedPath.lastIndexOf('/'), savedPath.lastIndexOf('\\')) + 1) : explanationFileName(prompt)) : '');
  const ref = useRef<HTMLInputElement>(null);
  const title = mode === 'save' ? 'Save explanation' : 'Open explanation';

  useEffect(() => {
    void wb.listFiles().then(
      (r) => {
        setDir(r.dir);
        setEntries(r.entries.filter((e) => e.kind === 'file' && /\.circuit\.json$/i.test(e.name)).sort((x, y) => x.name.localeCompare(y.name)));
      },
      (e: unknown) => setError(errorMessage(e)),
    );
    ref.current?.focus();
  }, [wb]);

  const submit = (name: string) => {
    const path = explanationPath(name, dir);
    if (!path) return;
    void (mode === 'save' ? a.saveTo(path) : a.openPath(path));
  };
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && a.closeFileDialog()}>
      <div className="modal file-dialog" role="dialog" aria-modal="true" aria-label={title} onKeyDown={(e) => e.key === 'Escape' && a.closeFileDialog()}>
        <h2>{title}</h2>
        <p className="muted small">
          Explanation files (<code>NAME.circuit.json</code>) in the workspace{dir && <> <code>{dir}</code></>}.
          {mode === 'save' && ' The full graph is saved beside it as NAME.raw.safetensors.'}
        </p>
        {error && <p className="error-text" role="alert">{error}</p>}
        <ul className="file-list" aria-label="Explanation files">
          {entries.map((e) => (
            <li key={e.path}>
              <button type="button" className="file" onClick={() => (mode === 'save' ? setTyped(e.name) : submit(e.path))}>
                <span aria-hidden="true">📄</span> {e.name}
              </button>
            </li>
          ))}
          {entries.length === 0 && <li className="muted small">No explanation files here yet.</li>}
        </ul>
        <form
          className="file-typed"
          onSubmit={(ev) => {
            ev.preventDefault();
            submit(typed);
          }}
        >
          <input ref={ref} type="text" aria-label="File name" placeholder="name.circuit.json" value={typed} onChange={(e) => setTyped(e.target.value)} />
          <button type="submit" className="primary" disabled={!typed.trim() || busy}>{mode === 'save' ? 'Save' : 'Open'}</button>
          <button type="button" onClick={() => a.closeFileDialog()}>Cancel</button>
        </form>
      </div>
    </div>
  );
}

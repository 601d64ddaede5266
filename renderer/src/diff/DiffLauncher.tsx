/** The Diff view's entry point: a small "Diff models" button that opens the view over the workbench. */
import { useState } from 'react';
import type { ApiClient } from '../../../shared/api';
import { useWb } from '../store/react';
import { DiffView } from './DiffView';
import './diff.css';

export function DiffLauncher({ client }: { readonly client: ApiClient }) {
  const [open, setOpen] = useState(false);
  const modelPath = useWb((s) => s.session?.model.path ?? '');
  return (
    <>
      <button type="button" className="diff-launch" onClick={() => setOpen(true)} aria-label="Diff models…" title="Compare two versions of a model on a prompt suite">Diff…</button>
      {open && <DiffView client={client} defaultBase={modelPath} onClose={() => setOpen(false)} />}
    </>
  );
}

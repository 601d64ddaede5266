/**
 * Browser mode's file picker: a small dialog over `files.list`, which only ever lists the engine's
 * workspace folder (the engine enforces that; the browser has no file system access of its own).
 */
import { useEffect, useRef, useState } from 'react';
import type { FileEntry } from '../../../shared/api';
import { exportFileName, FILE_TITLES, listedFor } from '../store/actions/files';
import { errorMessage, modelPath } from '../store/helpers';
import { useActions, useWb } from '../store/react';
import type { FilePurpose } from '../store/types';
import { formatCount } from '../text/format';

const HINTS: Record<FilePurpose, string> = {
  model: 'A llama2.c checkpoint (.bin) with its tokenizer beside it, or a Hugging Face model folder (pick its config.json).',
  dictionary: 'A dictionary is a folder with config.yaml and one file per layer.',
  graph: 'Graph JSON (Neuronpedia / circuit-tracer) or a raw .safetensors graph.',
  export: 'Writes the graph as shown (current thresholds) as graph JSON, which Neuronpedia can open.',
};

const joinPath = (dir: string, name: string) => `${dir}${dir.includes('\\') && !dir.includes('/') ? '\\' : '/'}${name}`;

const parentOf = (dir: string) => {
  const cut = Math.max(dir.lastIndexOf('/'), dir.lastIndexOf('\\'));
  return cut > 0 ? dir.slice(0, cut) : dir;
};

export function FileBrowserDialog({ purpose }: { readonly purpose: FilePurpose }) {
  const a = useActions();
  const workspace = useWb((s) => s.session?.workspace ?? null);
  const [dir, setDir] = useState<string | null>(null);
  const [entries, setEntries] = useState<readonly FileEntry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const exportName = useWb((s) => (purpose === 'export' && s.graph ? exportFileName(s.graph.prompt) : ''));
  const [typed, setTyped] = useState(exportName);
  const dialogRef = useRef<HTMLDivElement>(null);
  const title = FILE_TITLES[purpose];

  const list = (target: string | undefined) => {
    setLoading(true);
    setError(null);
    void a.listFiles(target).then(
      (r) => {
        setDir(r.dir);
        setEntries([...r.entries].sort((x, y) => (x.kind === y.kind ? x.name.localeCompare(y.name) : x.kind === 'dir' ? -1 : 1)));
        setLoading(false);
      },
      (e: unknown) => {
        setError(errorMessage(e));
        setLoading(false);
      },
    );
  };
  // Once on open: the workspace root.
  useEffect(() => {
    list(undefined);
    dialogRef.current?.focus();
  }, []);

  const shown = entries.filter((e) => listedFor(purpose, e));
  const atRoot = dir === null || dir === workspace;
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && a.closeFileDialog()}>
      <div className="modal file-dialog" role="dialog" aria-modal="true" aria-label={title} tabIndex={-1} ref={dialogRef}>
        <h2>{title}</h2>
        <p className="muted small">
          {HINTS[purpose]}
          {workspace && <> Files {purpose === 'export' ? 'go to' : 'come from'} the workspace <code>{workspace}</code>.</>}
        </p>
        <div className="file-path">
          <button type="button" onClick={() => dir && list(parentOf(dir))} disabled={atRoot || loading} aria-label="Up one folder">↑ Up</button>
          <code className="current-dir" title={dir ?? ''}>{dir ?? '…'}</code>
          {purpose === 'dictionary' && dir && (
            <button type="button" className="primary" onClick={() => void a.applyFile('dictionary', dir)}>Use this folder</button>
          )}
        </div>
        {error && <p className="error-text" role="alert">{error}</p>}
        <ul className="file-list" aria-label="Files" aria-busy={loading}>
          {shown.map((e) => (
            <li key={e.path}>
              <button
                type="button"
                className={e.kind}
                onClick={() => {
                  if (e.kind === 'dir') list(e.path);
                  else if (purpose === 'export') setTyped(e.name);
                  else void a.applyFile(purpose, purpose === 'dictionary' ? parentOf(e.path) : purpose === 'model' ? modelPath(e.path) : e.path);
                }}
              >
                <span aria-hidden="true">{e.kind === 'dir' ? '📁' : '📄'}</span> {e.name}
                {e.kind === 'file' && <span className="muted small"> {formatCount(e.size)}B</span>}
              </button>
            </li>
          ))}
          {!loading && shown.length === 0 && <li className="muted small">{purpose === 'export' ? 'No graph files in this folder yet.' : 'Nothing to open here.'}</li>}
        </ul>
        <form
          className="file-typed"
          onSubmit={(ev) => {
            ev.preventDefault();
            const t = typed.trim();
            if (!t) return;
            // Export: a name in the folder shown (or a full path); open: a typed path as is.
            void a.applyFile(purpose, purpose === 'export' && dir && !/[\\/]/.test(t) ? joinPath(dir, t) : t);
          }}
        >
          {purpose === 'export' ? (
            <input type="text" aria-label="File name" value={typed} onChange={(e) => setTyped(e.target.value)} />
          ) : (
            <input type="text" aria-label="Path" placeholder="…or type a path" value={typed} onChange={(e) => setTyped(e.target.value)} />
          )}
          <button type="submit" className={purpose === 'export' ? 'primary' : ''} disabled={!typed.trim()}>{purpose === 'export' ? 'Export' : 'Open'}</button>
          <button type="button" onClick={() => a.closeFileDialog()}>Cancel</button>
        </form>
      </div>
    </div>
  );
}

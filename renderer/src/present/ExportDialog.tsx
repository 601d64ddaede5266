/**
 * Browser mode's export dialog: a file name in the workspace for the SVG / PNG figure or the HTML report (desktop
 * mode uses the native save dialog). Files of the same kind already there are listed (click one to overwrite it).
 */
import { useEffect, useRef, useState } from 'react';
import type { FileEntry } from '../../../shared/api';
import { errorMessage } from '../store/helpers';
import { useActions, useWb } from '../store/react';
import { activeViewOf } from '../store/work/viewActions';
import { useWork } from '../work/context';
import { useExport, useExportActions } from './context';
import { exportName, exportPath, type ExportFormat } from './exporter';

const TITLES: Record<ExportFormat, string> = { svg: 'Export figure as SVG', png: 'Export figure as PNG', html: 'Export evidence report' };

export function ExportDialog({ format }: { readonly format: ExportFormat }) {
  const a = useExportActions();
  const wb = useActions();
  const busy = useExport((s) => s.busy);
  const prompt = useWb((s) => s.graph?.prompt ?? '');
  const savedPath = useWork((s) => s.savedPath);
  const viewName = useWork((s) => activeViewOf(s)?.name ?? null);
  const [dir, setDir] = useState<string | null>(null);
  const [entries, setEntries] = useState<readonly FileEntry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [typed, setTyped] = useState(() => exportName(savedPath, prompt, format, viewName));
  const ref = useRef<HTMLInputElement>(null);

  useEffect(() => {
    void wb.listFiles().then(
      (r) => {
        setDir(r.dir);
        setEntries(r.entries.filter((e) => e.kind === 'file' && e.name.toLowerCase().endsWith(`.${format}`)).sort((x, y) => x.name.localeCompare(y.name)));
      },
      (e: unknown) => setError(errorMessage(e)),
    );
    ref.current?.focus();
  }, [wb, format]);

  const submit = () => {
    const path = exportPath(typed, dir, format);
    if (path) void a.exportTo(format, path);
  };
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && a.closeDialog()}>
      <div className="modal file-dialog" role="dialog" aria-modal="true" aria-label={TITLES[format]} onKeyDown={(e) => e.key === 'Escape' && a.closeDialog()}>
        <h2>{TITLES[format]}</h2>
        <p className="muted small">
          {format === 'html'
            ? 'One self-contained HTML file (no network): prompt, subgraph figure, labels, notes, causal tests with results, scores, fingerprints.'
            : format === 'svg'
              ? 'A vector file of what the canvas shows, labels as text.'
              : 'A 2× bitmap of what the canvas shows.'}{' '}
          Written to the workspace{dir && <> <code>{dir}</code></>}.
        </p>
        {error && <p className="error-text" role="alert">{error}</p>}
        {entries.length > 0 && (
          <ul className="file-list" aria-label="Existing files">
            {entries.map((e) => (
              <li key={e.path}>
                <button type="button" className="file" onClick={() => setTyped(e.name)}>{e.name}</button>
              </li>
            ))}
          </ul>
        )}
        <form
          className="file-typed"
          onSubmit={(ev) => {
            ev.preventDefault();
            submit();
          }}
        >
          <input ref={ref} type="text" aria-label="File name" value={typed} onChange={(e) => setTyped(e.target.value)} />
          <button type="submit" className="primary" disabled={!typed.trim() || busy}>{busy ? 'Exporting…' : 'Export'}</button>
          <button type="button" onClick={() => a.closeDialog()}>Cancel</button>
        </form>
      </div>
    </div>
  );
}

/** The toolbar's export buttons (graph JSON stays on the pane's own “Export…”). */
export function ExportButtons() {
  const a = useExportActions();
  const hasGraph = useWb((s) => s.graph !== null);
  const busy = useExport((s) => s.busy);
  return (
    <span className="export-buttons" role="group" aria-label="Export view">
      <button type="button" onClick={() => void a.export('svg')} disabled={!hasGraph || busy} title="Export what the canvas shows as an SVG file">SVG</button>
      <button type="button" onClick={() => void a.export('png')} disabled={!hasGraph || busy} title="Export what the canvas shows as a PNG image">PNG</button>
      <button type="button" onClick={() => void a.export('html')} disabled={!hasGraph || busy} title="Export the HTML evidence report">Report…</button>
    </span>
  );
}

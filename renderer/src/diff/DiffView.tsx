/**
 * The Diff view (issue 9): choose a base and a candidate model and a prompt suite (workspace files), run
 * `diff.run`, and read the ranked tables — components by weight change (with the rank of the change), prompts by
 * output change, components by how much of the change patching them reproduces, features, saved explanations.
 * Clicking a prompt shows its two attribution graphs side by side with gained and lost nodes coloured
 * (`diff.graphs`, or the pair already in the report).
 */
import { useEffect, useRef, useState } from 'react';
import type { ApiClient, FileEntry, Progress } from '../../../shared/api';
import type { DiffReport, GraphDiff } from '../../../shared/diff';
import { GraphPair } from './GraphPair';

const num = (x: number) => (x === 0 ? '0' : Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3 ? x.toExponential(2) : String(+x.toPrecision(3)));
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

function Bar({ value, max }: { readonly value: number; readonly max: number }) {
  return <span className="diff-bar" style={{ width: `${Math.max(1, Math.round((60 * Math.abs(value)) / Math.max(1e-12, max)))}px` }} />;
}

function Tables({ r, selected, onPick }: { readonly r: DiffReport; readonly selected: number | null; readonly onPick: (index: number) => void }) {
  const changed = r.weights?.components.filter((c) => c.relChange > 0) ?? [];
  const comps = changed.slice(0, 10);
  const maxComp = Math.max(0, ...comps.map((c) => c.relChange));
  const patch = r.patching?.components.slice(0, 10) ?? [];
  return (
    <div className="diff-tables">
      <section aria-label="Weights">
        <h3>Weights {r.weights?.identical ? '(identical)' : ''}</h3>
        {r.weights ? (
          <table className="diff-table" data-testid="diff-components">
            <thead><tr><th>Component</th><th>Relative change</th><th>Top tensor · rank of change</th></tr></thead>
            <tbody>
              {comps.map((c) => {
                const t = r.weights!.tensors.find((x) => c.tensors.includes(x.name));
                return (
                  <tr key={c.id}>
                    <td><code>{c.id}</code></td>
                    <td className="num"><Bar value={c.relChange} max={maxComp} />{num(c.relChange)}</td>
                    <td>{t && t.changedEntries > 0 ? <><code>{t.name.split('.').pop()}</code> rank {t.rank ? `${t.rank.atLeast ? '≥ ' : ''}${t.rank.rank}` : '—'}</> : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
            <tfoot><tr><td colSpan={3} className="muted small">{r.weights.components.length - changed.length} of {r.weights.components.length} components unchanged (bit-identical)</td></tr></tfoot>
          </table>
        ) : <p className="muted small">Not compared: {r.comparability.notes[0] ?? 'different architectures'}.</p>}
      </section>
      <section aria-label="Localization">
        <h3>Localization (patching A with B's component)</h3>
        {r.patching ? (
          <table className="diff-table" data-testid="diff-patching">
            <thead><tr><th>Component</th><th>Reproduced</th><th>Restored</th></tr></thead>
            <tbody>{patch.map((c) => <tr key={c.hook}><td><code>{c.hook}</code></td><td className="num"><Bar value={c.reproduced} max={1} />{pct(c.reproduced)}</td><td className="num">{pct(c.restored)}</td></tr>)}</tbody>
          </table>
        ) : <p className="muted small">Not available for models of different shapes.</p>}
        {r.patching && r.patching.prompts.length === 0 && <p className="muted small">No prompt's output changed.</p>}
      </section>
      <section aria-label="Outputs">
        <h3>Prompts by output change (mean KL {num(r.outputs.meanKl)}, {r.outputs.flips} flips)</h3>
        <table className="diff-table" data-testid="diff-prompts">
          <thead><tr><th>#</th><th>Prompt</th><th>KL</th><th>Top A → B</th></tr></thead>
          <tbody>
            {r.outputs.prompts.slice(0, 40).map((p) => (
              <tr key={p.index} className={`clickable${selected === p.index ? ' selected' : ''}`} onClick={() => onPick(p.index)} title="Show the two graphs">
                <td className="num">{p.index + 1}</td><td>{p.text}</td><td className="num">{num(p.kl)}</td>
                <td className={p.flipped ? 'diff-flip' : ''}>{JSON.stringify(p.topA.text)} → {JSON.stringify(p.topB.text)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-label="Features and explanations">
        <h3>Features that changed most</h3>
        {r.features ? (
          <table className="diff-table" data-testid="diff-features">
            <thead><tr><th>Feature</th><th>Status</th><th>Mean A → B</th><th>Top context</th></tr></thead>
            <tbody>{r.features.rows.slice(0, 10).map((f) => <tr key={`${f.layer}:${f.feature}`}><td><code>{f.layer}:{f.feature}</code></td><td>{f.status}</td><td className="num">{num(f.meanA)} → {num(f.meanB)}</td><td><code>{f.card?.contexts[0] ?? ''}</code></td></tr>)}</tbody>
          </table>
        ) : <p className="muted small">No dictionary fits the base model.</p>}
        {r.explanations && (
          <>
            <h3>Saved explanations on the candidate</h3>
            <ul>{r.explanations.map((e) => <li key={e.file} className={e.ok ? '' : 'diff-flip'}>{e.ok ? 'holds' : e.error ? `error: ${e.error}` : 'BROKEN'} — {e.file.split(/[\\/]/).pop()}</li>)}</ul>
          </>
        )}
      </section>
    </div>
  );
}

export function DiffView({ client, defaultBase, onClose }: { readonly client: ApiClient; readonly defaultBase: string; readonly onClose: () => void }) {
  const [base, setBase] = useState(defaultBase);
  const [candidate, setCandidate] = useState('');
  const [suite, setSuite] = useState('');
  const [explanations, setExplanations] = useState('');
  const abort = useRef<AbortController | null>(null);
  const [files, setFiles] = useState<readonly FileEntry[]>([]);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [report, setReport] = useState<DiffReport | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [pair, setPair] = useState<GraphDiff | null>(null);
  const [pairLoading, setPairLoading] = useState(false);

  useEffect(() => {
    void client.call('files.list', {}).then((r) => setFiles(r.entries), () => setFiles([]));
  }, [client]);

  const run = () => {
    setRunning(true);
    setError(null);
    setReport(null);
    setPair(null);
    setSelected(null);
    abort.current = new AbortController();
    const params = { base, candidate, suite, ...(explanations.trim() ? { explanations: explanations.trim() } : {}) };
    void client.call('diff.run', params, { onProgress: setProgress, signal: abort.current.signal }).then(
      (r) => {
        setReport(r);
        setRunning(false);
        const first = r.graphs?.[0];
        if (first) {
          setSelected(first.prompt);
          setPair(first);
        }
      },
      (e: unknown) => {
        setError(message(e));
        setRunning(false);
      },
    );
  };

  const pick = (index: number) => {
    if (!report) return;
    setSelected(index);
    const have = report.graphs?.find((g) => g.prompt === index);
    if (have) return setPair(have);
    setPairLoading(true);
    setError(null);
    void client.call('diff.graphs', { base, candidate, prompt: report.outputs.prompts.find((p) => p.index === index)!.text }).then(
      (g) => {
        setPair({ ...g, prompt: index });
        setPairLoading(false);
      },
      (e: unknown) => {
        setError(message(e));
        setPairLoading(false);
      },
    );
  };

  const models = files.filter((f) => f.kind === 'file' && /\.bin$/i.test(f.name));
  const suites = files.filter((f) => f.kind === 'file' && /\.(txt|jsonl)$/i.test(f.name));
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal diff-modal" role="dialog" aria-modal="true" aria-label="Model diff">
        <h2>Model diff</h2>
        <div className="diff-form">
          <label htmlFor="diff-base">Base (A)</label>
          <input id="diff-base" list="diff-models" value={base} onChange={(e) => setBase(e.target.value)} spellCheck={false} />
          <label htmlFor="diff-candidate">Candidate (B)</label>
          <input id="diff-candidate" list="diff-models" value={candidate} onChange={(e) => setCandidate(e.target.value)} placeholder="model file in the workspace" spellCheck={false} />
          <label htmlFor="diff-suite">Prompt suite</label>
          <input id="diff-suite" list="diff-suites" value={suite} onChange={(e) => setSuite(e.target.value)} placeholder=".txt (a prompt per line) or .jsonl" spellCheck={false} />
          <label htmlFor="diff-explanations">Explanations</label>
          <input id="diff-explanations" value={explanations} onChange={(e) => setExplanations(e.target.value)} placeholder="optional: folder of .circuit.json files to re-verify on B" spellCheck={false} />
          <datalist id="diff-models">{models.map((f) => <option key={f.path} value={f.path} />)}</datalist>
          <datalist id="diff-suites">{suites.map((f) => <option key={f.path} value={f.path} />)}</datalist>
        </div>
        <p>
          <button type="button" className="primary" onClick={run} disabled={running || !base || !candidate || !suite}>Run diff</button>{' '}
          {running && <><button type="button" onClick={() => abort.current?.abort()}>Cancel</button>{' '}</>}
          <button type="button" onClick={onClose}>Close</button>{' '}
          {running && <span className="muted small" role="status">{progress ? `${progress.phase} ${progress.done}/${progress.total}` : 'starting…'}</span>}
        </p>
        {error && <p className="error-text" role="alert">{error}</p>}
        {report && (
          <>
            <p className="muted small" data-testid="diff-summary">
              {report.base.name} → {report.candidate.name}: {report.comparability.level === 'full' ? 'full comparison' : 'outputs only'} on {report.suite.prompts} prompts in {report.timings.total.toFixed(1)} s
            </p>
            <Tables r={report} selected={selected} onPick={pick} />
            <h3>Graphs {selected !== null ? `of prompt ${selected + 1}` : ''}</h3>
            {pairLoading && <p className="muted small" role="status">tracing both graphs…</p>}
            {pair && !pairLoading ? <GraphPair diff={pair} /> : !pairLoading && <p className="muted small">Click a prompt to compare its two graphs.</p>}
          </>
        )}
      </div>
    </div>
  );
}

/**
 * The minimal monitor flow: build weighted-feature monitors from the graph's selected nodes or a supernode
 * (`monitor.fromNodes`), adjust thresholds, run them over a JSONL file in the workspace (`monitor.run`,
 * streamed by the engine) and read the flagged items. `monitor.save` writes them as a monitors file for
 * `cwb monitor`.
 */
import { useState } from 'react';
import type { ApiClient } from '../../../shared/api';
import type { MonitorRunResult } from '../../../shared/apiMonitor';
import type { Monitor } from '../../../shared/monitor';
import { useWb } from '../store/react';
import { useWork } from '../work/context';
import { errorMessage } from '../store/helpers';

const num = (x: number) => (x === 0 ? '0' : Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3 ? x.toExponential(2) : String(+x.toPrecision(4)));

function FlaggedTable({ result, names }: { readonly result: MonitorRunResult; readonly names: readonly string[] }) {
  return (
    <table className="monitor-table" data-testid="monitor-flagged">
      <thead><tr><th>Line</th><th>Item</th>{names.map((n) => <th key={n}>{n}</th>)}</tr></thead>
      <tbody>
        {result.flagged.map((f) => (
          <tr key={f.line}>
            <td className="num">{f.line}</td>
            <td className="monitor-text">{f.text}</td>
            {names.map((n) => <td key={n} className={`num${f.alerts.includes(n) ? ' alert' : ''}`}>{num(f.scores[n])}</td>)}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function MonitorPanel({ client }: { readonly client: ApiClient }) {
  const graph = useWb((s) => s.graph);
  const selected = useWb((s) => s.selected);
  const workGraph = useWork((s) => s.graphId);
  const supernodes = useWork((s) => s.history.present.work.supernodes);
  const [monitors, setMonitors] = useState<Monitor[]>([]);
  const [input, setInput] = useState('');
  const [savePath, setSavePath] = useState('monitors.json');
  const [result, setResult] = useState<MonitorRunResult | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const act = async (what: string, f: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };
  const addFrom = (nodes: readonly number[], name?: string) =>
    act('build', async () => {
      if (!graph) throw new Error('trace or open a graph first');
      const r = await client.call('monitor.fromNodes', { graphId: graph.graphId, nodes: [...nodes], ...(name ? { name } : {}) });
      const taken = new Set(monitors.map((m) => m.name));
      let n = r.monitor.name;
      for (let i = 2; taken.has(n); i++) n = `${r.monitor.name} (${i})`;
      setMonitors([...monitors, { ...r.monitor, name: n }]);
      setNote(`score on the traced prompt ${num(r.scoreOnPrompt)}; threshold set to half of it${r.skipped ? `; ${r.skipped} non-feature node(s) skipped` : ''}`);
    });
  const supernodeNodes = (ids: readonly string[]) => {
    const byId = new Map(graph?.nodes.map((n) => [n.id, n.index]) ?? []);
    return ids.map((id) => byId.get(id)).filter((i): i is number => i !== undefined);
  };
  const ownSupernodes = graph && workGraph === graph.graphId ? supernodes : [];

  return (
    <section aria-label="Monitors" className="monitor-panel">
      <div className="monitor-build">
        <button type="button" disabled={!graph || selected.length === 0 || busy !== null} onClick={() => void addFrom(selected)}>
          Monitor from selection ({selected.length})
        </button>
        {ownSupernodes.map((s) => (
          <button type="button" key={s.id} disabled={busy !== null} onClick={() => void addFrom(supernodeNodes(s.nodeIds), s.label || s.id)}>
            Monitor from supernode “{s.label || s.id}”
          </button>
        ))}
        {!graph && <span className="small muted">Trace a prompt, select feature nodes (or group them into a supernode), then build a monitor here.</span>}
      </div>
      {note && <p className="small muted">{note}</p>}
      {monitors.length > 0 && (
        <ul className="monitor-list" aria-label="Monitor list">
          {monitors.map((m, i) => (
            <li key={m.name}>
              <strong>{m.name}</strong> <span className="small muted">{m.kind === 'features' ? `${m.features.length} feature(s), max over positions` : m.kind}</span>
              <label className="small">
                {' '}threshold{' '}
                <input
                  aria-label={`Threshold of ${m.name}`}
                  type="number"
                  step="any"
                  value={m.threshold}
                  onChange={(e) => setMonitors(monitors.map((x, j) => (j === i ? { ...x, threshold: Number(e.target.value) } : x)))}
                />
              </label>
              <button type="button" className="link" onClick={() => setMonitors(monitors.filter((_, j) => j !== i))}>remove</button>
            </li>
          ))}
        </ul>
      )}
      <div className="monitor-run">
        <label>Items (.jsonl in the workspace) <input aria-label="Monitor input file" placeholder="items.jsonl" value={input} onChange={(e) => setInput(e.target.value)} /></label>
        <button
          type="button"
          disabled={monitors.length === 0 || input === '' || busy !== null}
          onClick={() => void act('run', async () => setResult(await client.call('monitor.run', { monitors, input })))}
        >
          {busy === 'run' ? 'Running…' : 'Run monitors'}
        </button>
        <label>Save as <input aria-label="Monitors file" value={savePath} onChange={(e) => setSavePath(e.target.value)} /></label>
        <button type="button" disabled={monitors.length === 0 || busy !== null} onClick={() => void act('save', async () => setNote(`saved ${(await client.call('monitor.save', { path: savePath, monitors })).path}`))}>
          Save
        </button>
      </div>
      {error && <p className="error small" role="alert">{error}</p>}
      {result && (
        <div data-testid="monitor-result">
          <p className="small">
            {result.items} items in {result.seconds.toFixed(1)} s; flagged: {Object.entries(result.alerts).map(([k, v]) => `${k}: ${v}`).join(', ')}
            {result.truncated ? ` (first ${result.flagged.length} shown)` : ''}
          </p>
          <FlaggedTable result={result} names={monitors.map((m) => m.name)} />
        </div>
      )}
    </section>
  );
}

/**
 * The causal test panel: an intervention on the selected node(s), a supernode or a pinned node (ablate, scale ×k,
 * set a value, patch their layers' features from another prompt, steer along their decoders; frozen / free /
 * constrained; optionally generating a few tokens), its effect (target bars, top tokens before and after, the most
 * changed graph features), "Save as test" with an editable expectation, and the tests with pass/fail and Re-run.
 */
import { useMemo, useState } from 'react';
import type { Expectation } from '../../../shared/explanation';
import type { InterventionMode } from '../../../shared/intervention';
import { nodeName } from '../details/LinkTable';
import { useWb } from '../store/react';
import { defaultExpectation, describeExpectation, logitNodes, logitToken, type EditOp } from '../store/work/build';
import { formatPercent, formatValue } from '../text/format';
import { shortToken, visibleToken } from '../text/tokenText';
import { ChangeChart } from './ChangeChart';
import { useWork, useWorkActions } from './context';
import { ExpectationEditor, type TokenChoice } from './ExpectationEditor';

const editKind = (t: string | undefined): string => (t === 'group' ? 'group' : t === 'patchFeatures' ? 'patch' : t === 'steer' ? 'steer' : 'single');

function useTokenChoices(): TokenChoice[] {
  const graph = useWb((s) => s.graph);
  const run = useWork((s) => s.lastRun);
  return useMemo(() => {
    const out: TokenChoice[] = [];
    const add = (id: number | null, text: string) => {
      if (id !== null && !out.some((t) => t.id === id)) out.push({ id, label: shortToken(text, 18) });
    };
    if (graph) for (const n of logitNodes(graph)) add(logitToken(n), n.label);
    for (const t of run?.result.before.top ?? []) add(t.token, t.text);
    for (const t of run?.result.after.top ?? []) add(t.token, t.text);
    return out;
  }, [graph, run]);
}

function TestList({ tok, tokens }: { readonly tok: (id: number) => string; readonly tokens: readonly TokenChoice[] }) {
  const a = useWorkActions();
  const tests = useWork((s) => s.history.present.tests);
  const fresh = useWork((s) => s.testResults);
  const running = useWork((s) => s.testsRunning);
  const [editing, setEditing] = useState<string | null>(null);
  if (tests.length === 0) return <p className="muted small">No tests yet: run an intervention, then “Save as test”.</p>;
  return (
    <ul className="tests" aria-label="Tests">
      {tests.map((t) => {
        const r = fresh[t.id] ?? t.result;
        const isRunning = running.includes(t.id);
        const measured = t.expectation.kind.startsWith('prob') ? formatPercent : formatValue;
        return (
          <li key={t.id} className="test" data-test-id={t.id}>
            <div className="sg-row">
              <span className={`verdict ${r ? (r.passed ? 'pass' : 'fail') : 'none'}`} data-testid="verdict">{isRunning ? '…' : r ? (r.passed ? 'PASS' : 'FAIL') : 'not run'}</span>
              <input type="text" className="test-name" aria-label="Test name" value={t.name} onChange={(e) => a.updateTest(t.id, { name: e.target.value })} />
              <button type="button" onClick={() => void a.runTest(t.id)} disabled={isRunning}>Re-run</button>
              <button type="button" className="icon" aria-label={`Remove test ${t.name}`} onClick={() => a.removeTest(t.id)}>×</button>
            </div>
            <div className="small">
              {describeExpectation(t.expectation, tok)}
              {r && <span className="muted"> — {measured(r.before)} → {measured(r.after)}{fresh[t.id] ? '' : ' (saved)'}</span>}{' '}
              <button type="button" className="link small" onClick={() => setEditing(editing === t.id ? null : t.id)}>{editing === t.id ? 'done' : 'edit'}</button>
            </div>
            {editing === t.id && <ExpectationEditor value={t.expectation} tokens={tokens} onChange={(e) => a.updateTest(t.id, { expectation: e })} />}
          </li>
        );
      })}
    </ul>
  );
}

export function CausalTestPanel() {
  const a = useWorkActions();
  const graph = useWb((s) => s.graph);
  const selected = useWb((s) => s.selected);
  const work = useWork((s) => s.history.present.work);
  const subject = useWork((s) => s.subject);
  const draft = useWork((s) => s.draft);
  const running = useWork((s) => s.running);
  const run = useWork((s) => s.lastRun);
  const tokens = useTokenChoices();
  const tok = (id: number) => tokens.find((t) => t.id === id)?.label ?? `#${id}`;
  const [name, setName] = useState('');
  const [expectation, setExpectation] = useState<Expectation | null>(null);
  const nodeById = (id: string) => graph?.nodes.find((n) => n.id === id);
  const top = graph ? logitNodes(graph) : [];
  const topToken = top[0] ? logitToken(top[0]) : null;
  const secondToken = top[1] ? logitToken(top[1]) : (run?.result.before.top[1]?.token ?? null);
  const exp = expectation ?? (topToken !== null ? defaultExpectation('probDrop', topToken, secondToken ?? topToken, draft.op) : null);
  const subjectKnown = subject === 'selection' || work.supernodes.some((s) => s.id === subject) || work.pinnedNodeIds.includes(subject);
  const selectionName = selected.map((i) => nodeName(graph?.nodes.find((n) => n.index === i), i)).join(' + ');

  return (
    <section className="panel causal-panel" aria-label="Causal test">
      <h2 className="panel-title">Causal test</h2>
      {!graph ? (
        <p className="muted small">Trace or open a graph to test its features.</p>
      ) : (
        <>
          <div className="intervention-form">
            <select aria-label="Intervene on" value={subjectKnown ? subject : 'selection'} onChange={(e) => a.setSubject(e.target.value)}>
              <option value="selection">Selected: {selectionName || 'nothing'}</option>
              {work.supernodes.map((s) => (
                <option key={s.id} value={s.id}>Supernode: {s.label || s.id}</option>
              ))}
              {work.pinnedNodeIds.map((id) => (
                <option key={id} value={id}>Pinned: {work.nodeLabels[id] || nodeName(nodeById(id), -1)}</option>
              ))}
            </select>
            <div className="button-row">
              <select aria-label="Operation" value={draft.op} onChange={(e) => { const op = e.target.value as EditOp; a.setDraft({ op, value: op === 'scale' ? 2 : op === 'steer' ? 5 : 0 }); }}>
                <option value="ablate">ablate</option>
                <option value="scale">scale ×k</option>
                <option value="set">set value</option>
                <option value="patch">patch from prompt</option>
                <option value="steer">steer</option>
              </select>
              {(draft.op === 'scale' || draft.op === 'set' || draft.op === 'steer') && (
                <input type="number" className="num" aria-label={draft.op === 'scale' ? 'Factor' : draft.op === 'steer' ? 'Strength' : 'Value'} step="any" value={draft.value} onChange={(e) => a.setDraft({ value: Number(e.target.value) })} />
              )}
              {draft.op === 'steer' && (
                <select aria-label="Steer at" value={draft.steerAt ?? 'node'} onChange={(e) => a.setDraft({ steerAt: e.target.value as 'node' | 'all' })} title="Add the feature's decoder direction at its own position, or at every prompt position">
                  <option value="node">at its position</option>
                  <option value="all">at every position</option>
                </select>
              )}
              <select aria-label="Mode" value={draft.mode} onChange={(e) => a.setDraft({ mode: e.target.value as InterventionMode })} title="frozen: attention frozen (default); free: nothing frozen; constrained: direct effects only">
                <option value="frozen">frozen</option>
                <option value="free">free</option>
                <option value="constrained">constrained</option>
              </select>
              <button type="button" className="primary" onClick={() => void a.runIntervention()} disabled={running}>{running ? 'Running…' : 'Run'}</button>
            </div>
            {draft.op === 'patch' && (
              <input
                type="text"
                aria-label="Patch from prompt"
                placeholder="The other prompt (same token positions), e.g. …a little boy named"
                value={draft.sourcePrompt ?? ''}
                onChange={(e) => a.setDraft({ sourcePrompt: e.target.value })}
                title="The nodes' layers at the nodes' positions take this prompt's feature values"
              />
            )}
            {(draft.op === 'patch' || draft.op === 'steer') && (
              <label className="small muted">
                Generate{' '}
                <input type="number" className="num" aria-label="Generate tokens" min={0} max={50} step={1} value={draft.generate ?? 0} onChange={(e) => a.setDraft({ generate: Math.max(0, Math.min(50, Math.floor(Number(e.target.value) || 0))) })} />{' '}
                tokens after the prompt
              </label>
            )}
          </div>
          {run && (
            <div className="intervention-result" data-testid="intervention-result">
              <p className="small"><strong>{run.label}</strong> <span className="muted">({editKind(run.request.edits[0]?.type)} {run.request.mode}, KL {formatValue(run.result.kl)} nats)</span></p>
              <ChangeChart targets={run.result.targets} />
              {run.result.generated && (
                <p className="small generated" data-testid="generated">
                  Generated: <code>{visibleToken(run.result.generated.text)}</code>
                </p>
              )}
              <div className="top-tokens small">
                <table aria-label="Top tokens before and after">
                  <thead><tr><th>before</th><th /><th>after</th><th /></tr></thead>
                  <tbody>
                    {run.result.before.top.slice(0, 5).map((b, i) => {
                      const af = run.result.after.top[i];
                      return (
                        <tr key={i}>
                          <td><code>{visibleToken(b.text)}</code></td><td className="muted">{formatPercent(b.prob)}</td>
                          <td>{af && <code>{visibleToken(af.text)}</code>}</td><td className="muted">{af ? formatPercent(af.prob) : ''}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
              {run.result.affectedNodes.length > 0 && (
                <p className="small muted">
                  Most changed: {run.result.affectedNodes.slice(0, 3).map((n) => `${nodeName(graph.nodes.find((x) => x.index === n.node), n.node)} ${formatValue(n.before)}→${formatValue(n.after)}`).join(', ')}
                </p>
              )}
              {exp && (
                <form
                  className="save-test"
                  onSubmit={(e) => {
                    e.preventDefault();
                    a.saveAsTest(name, exp);
                    setName('');
                    setExpectation(null);
                  }}
                >
                  <h3 className="mini-title">Save as test</h3>
                  <input type="text" aria-label="New test name" placeholder={run.label} value={name} onChange={(e) => setName(e.target.value)} />
                  <ExpectationEditor value={exp} tokens={tokens} onChange={setExpectation} />
                  <button type="submit">Save as test</button>
                </form>
              )}
            </div>
          )}
          <h3 className="mini-title">Tests</h3>
          <TestList tok={tok} tokens={tokens} />
        </>
      )}
    </section>
  );
}

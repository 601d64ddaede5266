/**
 * Presentation mode (the workbench store's `presentation` flag): full screen (Fullscreen API; leaving full
 * screen leaves the mode), the graph pane alone under a title band (view name, prompt, position in the list),
 * the view's causal test as a before/after chart in a card, a large legend, and ←/→ (also PageUp/PageDown,
 * Space) to step through the saved views; Esc leaves. The side columns and controls are hidden by CSS.
 */
import { useEffect } from 'react';
import type { TestRunResult } from '../../../shared/apiExplain';
import type { CausalTest } from '../../../shared/explanation';
import { isEditable } from '../keyboard/useShortcuts';
import { useActions, useWb, useWorkbenchStore } from '../store/react';
import { describeExpectation, logitNodes, logitToken } from '../store/work/build';
import { activeViewOf } from '../store/work/viewActions';
import { formatPercent, formatValue } from '../text/format';
import { shortToken } from '../text/tokenText';
import { useWork, useWorkActions, useWorkStore } from '../work/context';
import './present.css';

/** Full screen and the arrow keys while presenting. */
export function usePresentationEffects(): void {
  const main = useWorkbenchStore();
  const work = useWorkStore();
  const presenting = useWb((s) => s.presentation);
  useEffect(() => {
    // "p" starts presentation mode (desktop: also F5 in the View menu).
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'p' || e.ctrlKey || e.metaKey || e.altKey || main.getState().presentation || !main.getState().graph) return;
      if (isEditable(document.activeElement)) return;
      e.preventDefault();
      const w = work.getState();
      if (w.activeView === null && w.history.present.work.views.length > 0) w.actions.applyView(0);
      main.getState().actions.togglePresentation();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [main, work]);
  useEffect(() => {
    if (!presenting) return;
    let entered = false;
    const root = document.documentElement;
    if (!document.fullscreenElement && typeof root.requestFullscreen === 'function') {
      root.requestFullscreen().then(
        () => (entered = true),
        () => undefined, // no full screen (denied, or an embedded page): presentation mode works in the window
      );
    }
    const onFullscreen = () => {
      // Esc in full screen is taken by the browser to leave it: leave presentation mode with it.
      if (entered && !document.fullscreenElement && main.getState().presentation) main.getState().actions.togglePresentation();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isEditable(document.activeElement)) return;
      const w = work.getState().actions;
      if (e.key === 'ArrowRight' || e.key === 'PageDown' || e.key === ' ') {
        e.preventDefault();
        w.stepView(1);
      } else if (e.key === 'ArrowLeft' || e.key === 'PageUp') {
        e.preventDefault();
        w.stepView(-1);
      } else if (e.key === 'Home' || e.key === 'End') {
        e.preventDefault();
        const n = work.getState().history.present.work.views.length;
        if (n > 0) w.applyView(e.key === 'Home' ? 0 : n - 1);
      }
    };
    document.addEventListener('fullscreenchange', onFullscreen);
    window.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('fullscreenchange', onFullscreen);
      window.removeEventListener('keydown', onKey);
      if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    };
  }, [presenting, main, work]);
}

export function PresentationHeader() {
  const wb = useActions();
  const w = useWorkActions();
  const prompt = useWb((s) => s.graph?.prompt ?? '');
  const views = useWork((s) => s.history.present.work.views);
  const active = useWork((s) => s.activeView);
  const v = active !== null ? views[active] : undefined;
  return (
    <header className="presentation-header" aria-label="Presentation">
      <div className="presentation-title">
        <h1 data-testid="presentation-view-name">{v ? v.name : 'Subgraph'}</h1>
        <p className="presentation-prompt">“{prompt}”</p>
        {v?.caption && <p className="presentation-caption">{v.caption}</p>}
      </div>
      <nav className="presentation-nav" aria-label="Views">
        <button type="button" onClick={() => w.stepView(-1)} disabled={views.length === 0 || active === 0} aria-label="Previous view">←</button>
        <span data-testid="presentation-position">{views.length === 0 ? 'no saved views' : `${active === null ? '–' : active + 1} / ${views.length}`}</span>
        <button type="button" onClick={() => w.stepView(1)} disabled={views.length === 0 || active === views.length - 1} aria-label="Next view">→</button>
        <button type="button" onClick={() => wb.togglePresentation()} title="Leave presentation mode (Esc)">Exit</button>
      </nav>
    </header>
  );
}

const W = 360;

/** Before/after bars of a test's measured quantity, with the verdict. */
function ResultChart({ test, result, tok }: { readonly test: CausalTest; readonly result: TestRunResult; readonly tok: (id: number) => string }) {
  const isProb = test.expectation.kind.startsWith('prob');
  const fmt = (x: number) => (isProb ? formatPercent(x) : formatValue(x));
  const max = Math.max(1e-9, Math.abs(result.before), Math.abs(result.after));
  const bar = (x: number) => Math.max(2, (Math.abs(x) / max) * (W - 130));
  return (
    <svg className="present-chart" role="img" aria-label="Test result before and after" width={W} height={86} viewBox={`0 0 ${W} 86`}>
      <text x={0} y={24} fontSize={15} fill="#374151">before</text>
      <rect x={64} y={9} width={bar(result.before)} height={22} rx={3} fill="#9ca3af" />
      <text x={70 + bar(result.before)} y={25} fontSize={14} fill="#111827">{fmt(result.before)}</text>
      <text x={0} y={62} fontSize={15} fill="#374151">after</text>
      <rect x={64} y={47} width={bar(result.after)} height={22} rx={3} fill={result.after < result.before ? '#c2410c' : '#0f766e'} />
      <text x={70 + bar(result.after)} y={63} fontSize={14} fill="#111827">{fmt(result.after)}</text>
      <title>{describeExpectation(test.expectation, tok)}</title>
    </svg>
  );
}

/** The active view's causal test (if it has one): name, expectation, before/after chart, verdict. */
export function PresentedTest() {
  const graph = useWb((s) => s.graph);
  const w = useWorkActions();
  const view = useWork(activeViewOf);
  const test = useWork((s) => s.history.present.tests.find((t) => t.id === view?.testId));
  const fresh = useWork((s) => (test ? s.testResults[test.id] : undefined));
  const running = useWork((s) => (test ? s.testsRunning.includes(test.id) : false));
  if (!test) return null;
  const result = fresh ?? test.result;
  const labels = new Map((graph ? logitNodes(graph) : []).map((n) => [logitToken(n), n.label]));
  const tok = (id: number) => JSON.stringify(shortToken(labels.get(id) ?? `#${id}`, 16));
  return (
    <aside className="presented-test" aria-label="Causal test result" data-testid="presented-test">
      <div>
        <div className="presented-test-head">
          <span className={`verdict ${result ? (result.passed ? 'pass' : 'fail') : 'none'}`}>{running ? '…' : result ? (result.passed ? 'PASS' : 'FAIL') : 'not run'}</span>
          <strong>{test.name || test.id}</strong>
        </div>
        <p className="presented-test-exp">Expectation: {describeExpectation(test.expectation, tok)}</p>
      </div>
      {result ? <ResultChart test={test} result={result} tok={tok} /> : <p className="muted">Not run yet.</p>}
      <div className="presented-test-foot">
        <span className="muted small">{result ? `${fresh ? 'ran' : 'saved'} ${result.ranAt.replace('T', ' ').slice(0, 19)}` : ''}</span>
        <button type="button" onClick={() => void w.runTest(test.id)} disabled={running}>Re-run</button>
      </div>
    </aside>
  );
}

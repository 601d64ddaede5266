/**
 * The labelled subgraph figure in the graph area (present/figure.ts), shown instead of the canvas when the
 * display is 'subgraph' (the pane's Graph / Subgraph switch, a saved view, presentation mode). Rebuilt when the
 * graph, the pins / supernodes / labels or the view's supernode choice change.
 */
import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../store/helpers';
import { useWb } from '../store/react';
import { activeViewOf } from '../store/work/viewActions';
import { useWork, useWorkActions } from '../work/context';
import { subgraphFigure } from './figure';

export function SubgraphFigureView({ large = false }: { readonly large?: boolean }) {
  const a = useWorkActions();
  const graph = useWb((s) => s.graph);
  const work = useWork((s) => s.history.present.work);
  const featureLabels = useWork((s) => s.featureLabels);
  const supernodeIds = useWork((s) => activeViewOf(s)?.supernodeIds);
  // In presentation mode the view's test card sits at the right: the figure keeps clear of it.
  const withCard = useWork((s) => large && Boolean(activeViewOf(s)?.testId));
  const [svg, setSvg] = useState<string | null>(null);
  const ref = useRef<HTMLDivElement>(null);
  // The figure takes the aspect of its area (rounded, so resizing does not rebuild it on every pixel).
  const [aspect, setAspect] = useState(1.6);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) setAspect(Math.round((r.width / r.height) * 5) / 5);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const [message, setMessage] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    if (!graph) return;
    a.figureStats(supernodeIds).then(
      (stats) => {
        if (!live) return;
        if (!stats) {
          setSvg(null);
          setMessage('Pin nodes (Ctrl/⌘-click) or group them into supernodes to see the subgraph figure.');
          return;
        }
        setSvg(subgraphFigure({ graph, stats, nodeLabels: work.nodeLabels, featureLabels, aspect }).svg);
        setMessage(null);
      },
      (e: unknown) => live && setMessage(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [a, graph, work, featureLabels, supernodeIds, aspect]);

  return (
    <div className={`subgraph-figure${large ? ' large' : ''}${withCard ? ' with-card' : ''}`} data-testid="subgraph-figure" role="img" aria-label="Subgraph figure">
      {message && <p className="muted">{message}</p>}
      {/* Our own SVG text (present/figure.ts escapes every label), not user markup. */}
      <div className="figure-svg" ref={ref} dangerouslySetInnerHTML={{ __html: svg ?? '' }} />
    </div>
  );
}

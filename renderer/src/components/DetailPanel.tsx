/** Right column, top: the selected node's facts, its strongest inputs/outputs and (features) its card. */
import { useMemo } from 'react';
import type { GraphNode } from '../../../shared/api';
import { FeatureCardView } from '../details/FeatureCardView';
import { LinkTable, nodeName } from '../details/LinkTable';
import { useActions, useWb } from '../store/react';
import { formatPercent, formatValue, layerName } from '../text/format';
import { visibleToken } from '../text/tokenText';

export function useNodeLookup(): (i: number) => GraphNode | undefined {
  const graph = useWb((s) => s.graph);
  return useMemo(() => {
    const m = new Map<number, GraphNode>();
    for (const n of graph?.nodes ?? []) m.set(n.index, n);
    return (i: number) => m.get(i);
  }, [graph]);
}

function Fact({ label, children }: { readonly label: string; readonly children: React.ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function DetailPanel() {
  const detail = useWb((s) => s.detail);
  const loading = useWb((s) => s.detailLoading);
  const selected = useWb((s) => s.selected);
  const graph = useWb((s) => s.graph);
  const a = useActions();
  const nodeAt = useNodeLookup();
  const select = (i: number) => a.selectNode(i, { center: true });
  const n = detail?.node;
  const tokenAt = (pos: number) => graph?.tokens[pos];
  return (
    <section className="panel detail-panel" aria-label="Node details" aria-busy={loading}>
      <h2 className="panel-title">Node details</h2>
      {!n ? (
        <p className="muted">{loading ? 'Loading…' : selected.length === 0 ? 'Click a node in the graph (Shift-click a second one for the paths between them).' : ''}</p>
      ) : (
        <>
          <p className="node-heading">
            <span className={`kind-dot ${n.kind}`} aria-hidden="true" />
            <strong>{nodeName(n, n.index)}</strong> <code className="muted small">{n.id}</code>
          </p>
          <dl className="facts">
            <Fact label="Type">{n.kind}</Fact>
            <Fact label="Layer">{layerName(n.kind, n.layer)}</Fact>
            <Fact label="Position">
              {n.pos}
              {tokenAt(n.pos) && <code className="small"> {visibleToken(tokenAt(n.pos)!.text)}</code>}
            </Fact>
            {n.activation !== null && <Fact label="Activation">{formatValue(n.activation)}</Fact>}
            {n.prob !== null && <Fact label="Probability">{formatPercent(n.prob)}</Fact>}
            <Fact label="Influence">{formatPercent(n.influence)}</Fact>
          </dl>
          <LinkTable title="Inputs" links={detail.inputs} nodeAt={nodeAt} onSelect={select} />
          <LinkTable title="Outputs" links={detail.outputs} nodeAt={nodeAt} onSelect={select} />
          {n.kind === 'feature' && (detail.card ? <FeatureCardView card={detail.card} /> : <p className="muted small card-note">{detail.cardNote ?? 'No feature card.'}</p>)}
        </>
      )}
    </section>
  );
}

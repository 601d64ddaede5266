/** Above the node details: pin/unpin the selected node, its label in this explanation and its feature label. */
import { useWb } from '../store/react';
import { useWork, useWorkActions } from './context';

export const featureKey = (layer: number, feature: number | null) => (feature === null ? null : `${layer}_${feature}`);

export function NodeWorkBar() {
  const a = useWorkActions();
  const node = useWb((s) => {
    const i = s.selected.at(-1);
    return i === undefined ? null : (s.graph?.nodes.find((n) => n.index === i) ?? null);
  });
  const pinned = useWork((s) => (node ? s.history.present.work.pinnedNodeIds.includes(node.id) : false));
  const label = useWork((s) => (node ? (s.history.present.work.nodeLabels[node.id] ?? '') : ''));
  const fkey = node && node.kind === 'feature' ? featureKey(node.layer, node.feature) : null;
  const featureLabel = useWork((s) => (fkey ? (s.featureLabels[fkey] ?? '') : ''));
  const canLabelFeatures = useWork((s) => s.featureLabelsFor !== null);
  if (!node) return null;
  return (
    <section className="panel node-work" aria-label="Node work">
      <div className="button-row">
        <button type="button" className={pinned ? '' : 'primary'} aria-pressed={pinned} onClick={() => a.togglePin(node.id)} title="Ctrl/⌘-click a node to pin or unpin it">
          {pinned ? 'Unpin' : 'Pin'}
        </button>
        <span className="muted small">{pinned ? 'In the subgraph' : 'Pin to add it to the subgraph'}</span>
      </div>
      <label className="field small">
        <span>Label</span>
        <input type="text" aria-label="Node label" placeholder={node.label} value={label} onChange={(e) => a.setNodeLabel(node.id, e.target.value)} />
      </label>
      {fkey && canLabelFeatures && (
        <label className="field small">
          <span title="Saved for this dictionary: the feature carries it into every graph">Feature label</span>
          <input
            type="text"
            aria-label="Feature label"
            key={fkey}
            defaultValue={featureLabel}
            placeholder={`all graphs (${fkey})`}
            onBlur={(e) => e.target.value !== featureLabel && void a.setFeatureLabel(fkey, e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && e.currentTarget.blur()}
          />
        </label>
      )}
    </section>
  );
}

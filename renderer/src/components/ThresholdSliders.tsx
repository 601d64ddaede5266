/** Node and edge thresholds (cumulative influence kept); every change re-prunes live. */
import { useActions, useWb } from '../store/react';

function Slider({ label, value, onChange, hint, disabled }: { readonly label: string; readonly value: number; readonly onChange: (v: number) => void; readonly hint: string; readonly disabled: boolean }) {
  const id = `slider-${label.replace(/\s+/g, '-').toLowerCase()}`;
  return (
    <div className="slider" title={hint}>
      <label htmlFor={id}>{label}</label>
      <input id={id} type="range" min={0} max={1} step={0.01} value={value} aria-label={label} disabled={disabled} onChange={(e) => onChange(Number(e.target.value))} />
      <span className="slider-value" aria-hidden="true">{value.toFixed(2)}</span>
    </div>
  );
}

export function ThresholdSliders() {
  const node = useWb((s) => s.nodeThreshold);
  const edge = useWb((s) => s.edgeThreshold);
  const hasGraph = useWb((s) => s.graph !== null);
  const a = useActions();
  return (
    <div className="sliders" role="group" aria-label="Pruning">
      <Slider label="Node threshold" value={node} onChange={a.setNodeThreshold} disabled={!hasGraph} hint="Keep the nodes that together carry this fraction of the influence on the targets" />
      <Slider label="Edge threshold" value={edge} onChange={a.setEdgeThreshold} disabled={!hasGraph} hint="Keep the edges that together carry this fraction of the edge influence" />
    </div>
  );
}

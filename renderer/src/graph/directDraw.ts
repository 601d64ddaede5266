import type { Core } from 'cytoscape';

/**
 * Turns off cytoscape's per-element texture caches (node bodies and labels are then drawn straight onto its
 * canvas — the caches' own "direct draw" fallback). The caches draw each element into a shared texture canvas
 * and then drawImage from it; in a software-rasterized canvas (no GPU: headless Chromium, CI, many laptops
 * in Electron) every such write-then-read copies the texture, ~1.5–2 ms per element, so showing 1,000 new
 * nodes (or zooming to a new texture level) froze the page for seconds. Internal API: when a cytoscape
 * version lacks these caches, nothing changes.
 */
export function drawNodesDirectly(cy: Core): void {
  type Cache = { getElement?: unknown; drawElement?: (ctx: unknown, ele: unknown) => void };
  const r = (cy as unknown as { renderer?: () => { data?: Record<string, Cache | undefined>; eleTextBiggerThanMin?: (ele: unknown) => boolean } | undefined }).renderer?.();
  const body = r?.data?.eleTxrCache;
  const label = r?.data?.lblTxrCache;
  const drawLabel = label?.drawElement;
  if (!r || !body || !label || typeof body.getElement !== 'function' || typeof label.getElement !== 'function' || typeof drawLabel !== 'function' || typeof r.eleTextBiggerThanMin !== 'function') return;
  body.getElement = () => null;
  label.getElement = () => null;
  // The label cache applied min-zoomed-font-size; its direct-draw fallback does not, so check it here.
  const bigEnough = r.eleTextBiggerThanMin.bind(r);
  label.drawElement = (ctx, ele) => {
    if (bigEnough(ele)) drawLabel(ctx, ele);
  };
}

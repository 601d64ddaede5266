/**
 * What the graph canvas shows, as plain data (GraphController.scene): the input of the SVG / PNG export
 * (present/sceneSvg.ts), so the exported file is drawn from the same positions and looks as the screen.
 */
import type { GraphNodeKind } from '../../../shared/api';
import type { MarkKind } from './marks';
import type { Box } from './viewport';

export interface SceneNode {
  readonly index: number;
  readonly id: string;
  readonly kind: GraphNodeKind;
  /** Layout (model) coordinates of the centre. */
  readonly x: number;
  readonly y: number;
  /** Diameter (features, errors), 0 for tokens and logits (boxes sized by their labels). */
  readonly size: number;
  /** The canvas label: token text, logit token and probability, `#feature`. */
  readonly label: string;
  /** Feature influence step (style.ts classes f0…), −1 for other kinds. */
  readonly level: number;
  readonly marks: readonly MarkKind[];
  readonly selected: boolean;
}

export interface SceneEdge {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  /** Edge batch (edgeLayer.ts batchStyle: colour by sign, width and opacity by strength). */
  readonly batch: number;
}

export interface GraphScene {
  /** The visible region in model coordinates. */
  readonly region: Box;
  readonly zoom: number;
  readonly nodes: readonly SceneNode[];
  /** In draw order (weakest first). */
  readonly edges: readonly SceneEdge[];
  /** The edge layer's density factor for this view (many edges are drawn fainter). */
  readonly edgeAlpha: number;
  /** Row bands inside the region: level 0 = embeddings, 1..L = layers, L+1 = logits. */
  readonly rows: readonly { readonly level: number; readonly y: number }[];
  readonly nLayers: number;
}

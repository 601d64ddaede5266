/**
 * Replacement and completeness scores (method brief §3.4), always on the UNPRUNED graph:
 *   replacement  = Σ_tokens I / (Σ_tokens I + Σ_errors I)
 *   completeness = Σ_n (1 − Σ_{e ∈ errors} Â[n, e]) · (I[n] + w[n]) / Σ_n (I[n] + w[n])
 * Rows without inputs (tokens, errors) have Â = 0 there, so they count as fully complete.
 */
import { NodeKind } from '../../shared/graph';
import { sparseInfluence } from './influence';
import type { PreparedPruning } from './prune';
import { toSparse, type GraphInput } from './prune';

export interface GraphScores {
  readonly replacement: number;
  readonly completeness: number;
}

export function graphScores(g: GraphInput | PreparedPruning): GraphScores {
  const sg = toSparse(g);
  // A prepared graph already holds I; otherwise one sparse sweep computes it.
  const I = 'influence' in g ? g.influence : sparseInfluence(sg);
  const { N, kinds, w, rowPtr, col, val, rowInv } = sg;
  let tokenI = 0;
  let errorI = 0;
  let num = 0;
  let den = 0;
  for (let n = 0; n < N; n++) {
    if (kinds[n] === NodeKind.token) tokenI += I[n];
    else if (kinds[n] === NodeKind.error) errorI += I[n];
    let errorShare = 0;
    for (let p = rowPtr[n]; p < rowPtr[n + 1]; p++) if (kinds[col[p]] === NodeKind.error) errorShare += Math.abs(val[p]) * rowInv[n];
    const out = I[n] + w[n];
    num += (1 - errorShare) * out;
    den += out;
  }
  return { replacement: tokenI / (tokenI + errorI), completeness: num / den };
}

/** The graphs a session holds, by id (`g1`, `g2`, …): the most recently used 8 are kept. */
import type { GraphEntry } from './graphEntry';
import { ApiFailure } from './errors';

export const MAX_GRAPHS = 8;

export class GraphStore {
  private readonly graphs = new Map<string, GraphEntry>(); // insertion order = recency
  private next = 0;

  constructor(private readonly capacity = MAX_GRAPHS) {}

  /** A fresh id for the next graph (ids are never reused). */
  newId(): string {
    return `g${++this.next}`;
  }

  add(entry: GraphEntry): void {
    this.graphs.set(entry.summary.graphId, entry);
    while (this.graphs.size > this.capacity) this.graphs.delete(this.graphs.keys().next().value!);
  }

  get(graphId: string): GraphEntry {
    const e = this.graphs.get(graphId);
    if (!e) throw new ApiFailure('not-found', `no graph "${graphId}": it was never opened or was closed to free memory (the engine keeps the last ${this.capacity}); trace or open it again`);
    this.graphs.delete(graphId);
    this.graphs.set(graphId, e);
    return e;
  }

  get size(): number {
    return this.graphs.size;
  }

  clear(): void {
    this.graphs.clear();
  }
}

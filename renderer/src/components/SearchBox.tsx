/** Search nodes by label, token text or feature id; Enter or a click selects the node and centres it. */
import { useMemo, useState } from 'react';
import { searchNodes } from '../search/match';
import { useActions, useWb } from '../store/react';
import { layerName } from '../text/format';
import { shortToken } from '../text/tokenText';

export const SEARCH_INPUT_ID = 'node-search';

export function SearchBox() {
  const q = useWb((s) => s.search);
  const graph = useWb((s) => s.graph);
  const pruned = useWb((s) => s.pruned);
  const a = useActions();
  const [open, setOpen] = useState(false);
  const visible = useMemo(() => new Set(pruned?.nodes ?? []), [pruned]);
  const results = useMemo(() => (graph ? searchNodes(graph.nodes, graph.tokens, q, visible) : []), [graph, q, visible]);
  const choose = (index: number) => {
    a.selectNode(index, { center: true });
    setOpen(false);
  };
  return (
    <div className="search">
      <input
        id={SEARCH_INPUT_ID}
        type="search"
        aria-label="Search nodes"
        placeholder="Search nodes ( / )"
        value={q}
        disabled={!graph}
        onChange={(e) => {
          a.setSearch(e.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && results[0]) {
            e.preventDefault();
            choose(results[0].node.index);
          }
        }}
      />
      {open && q.trim() !== '' && (
        <ul className="search-results" aria-label="Search results">
          {results.length === 0 && <li className="muted small empty">No node matches “{q}”.</li>}
          {results.map(({ node, visible: v }) => (
            <li key={node.index}>
              <button type="button" onMouseDown={(e) => e.preventDefault()} onClick={() => choose(node.index)} className={v ? '' : 'hidden-node'}>
                <span className="result-label">{node.kind === 'token' || node.kind === 'logit' ? shortToken(node.label, 24) : node.label}</span>
                <span className="muted small"> {node.kind} · {layerName(node.kind, node.layer)} · pos {node.pos}{v ? '' : ' · hidden'}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

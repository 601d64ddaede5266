/** A node's strongest direct inputs or outputs: sortable by weight or share; a row selects that node. */
import { useState } from 'react';
import type { GraphNode, NodeLink } from '../../../shared/api';
import { formatPercent, formatValue, layerName } from '../text/format';
import { shortToken } from '../text/tokenText';
import { nextSort, sortLinks, type LinkSort, type LinkSortKey } from './sortLinks';

export function nodeName(n: GraphNode | undefined, fallback: number): string {
  if (!n) return `#${fallback}`;
  if (n.kind === 'token') return `${shortToken(n.label, 16)} (emb @${n.pos})`;
  if (n.kind === 'logit') return `${shortToken(n.label, 16)} (logit)`;
  if (n.kind === 'error') return `err ${layerName(n.kind, n.layer)} @${n.pos}`;
  return `${n.label} @${n.pos}`;
}

export function LinkTable(props: {
  readonly title: string;
  readonly links: readonly NodeLink[];
  readonly nodeAt: (i: number) => GraphNode | undefined;
  readonly onSelect: (i: number) => void;
}) {
  const [sort, setSort] = useState<LinkSort>({ key: 'weight', descending: true });
  const rows = sortLinks(props.links, sort);
  const header = (key: LinkSortKey, label: string) => (
    <th scope="col" aria-sort={sort.key === key ? (sort.descending ? 'descending' : 'ascending') : 'none'} className="num">
      <button type="button" className="th-sort" onClick={() => setSort((s) => nextSort(s, key))}>
        {label} {sort.key === key ? (sort.descending ? '▼' : '▲') : ''}
      </button>
    </th>
  );
  return (
    <div className="link-table">
      <h3 className="sub-title">{props.title} <span className="muted small">({props.links.length})</span></h3>
      {rows.length === 0 ? (
        <p className="muted small">None.</p>
      ) : (
        <table aria-label={props.title}>
          <thead>
            <tr>
              <th scope="col">Node</th>
              {header('weight', 'Weight')}
              {header('share', 'Share')}
            </tr>
          </thead>
          <tbody>
            {rows.map((l) => (
              <tr key={l.node}>
                <td>
                  <button type="button" className="link-node" onClick={() => props.onSelect(l.node)}>{nodeName(props.nodeAt(l.node), l.node)}</button>
                </td>
                <td className={`num ${l.weight >= 0 ? 'pos' : 'neg'}`}>{formatValue(l.weight)}</td>
                <td className="num share">
                  <span className="share-bar" style={{ width: `${Math.min(100, l.share * 100)}%` }} aria-hidden="true" />
                  {formatPercent(l.share)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

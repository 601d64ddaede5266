/** Header: which model and dictionary the engine has open, and the Open… buttons. */
import type { ReactNode } from 'react';
import type { DictionaryInfo } from '../../../shared/api';
import { formatCount, shortFingerprint } from '../text/format';
import { useActions, useWb } from '../store/react';

function DictionaryInfoView({ d }: { readonly d: DictionaryInfo | null }) {
  return (
    <div className="model-info" aria-label="Dictionary">
      <span className="label">Dictionary</span>
      {d ? (
        <>
          <strong title={d.path}>{d.name}</strong>
          <span className="muted">{d.kind.toUpperCase()} · {formatCount(d.featuresPerLayer)}/layer</span>
          {d.embedded && <span className="badge">embedded</span>}
          {!d.hasFeatureIndex && <span className="badge warn" title="No feature index: feature cards are unavailable">no index</span>}
        </>
      ) : (
        <span className="warn-text">none — open one to trace</span>
      )}
    </div>
  );
}

export function ModelBar({ transportKind, tools }: { readonly transportKind: 'bridge' | 'websocket'; readonly tools?: ReactNode }) {
  const session = useWb((s) => s.session);
  const busy = useWb((s) => s.job !== null);
  const a = useActions();
  const m = session?.model;
  const d = session?.dictionary;
  return (
    <header className="model-bar">
      <h1 className="brand">Circuit Workbench</h1>
      <div className="model-info" aria-label="Model">
        {m ? (
          <>
            <span className="label">Model</span>
            <strong title={`${m.path} · sha256 ${m.fingerprint}`}>{m.name}</strong>
            <span className="muted">{formatCount(m.parameters)} params · {m.nLayers} layers</span>
            <code className="fingerprint" title={`sha256 ${m.fingerprint}`}>{shortFingerprint(m.fingerprint)}</code>
            {m.embedded && <span className="badge">embedded</span>}
          </>
        ) : (
          <span className="muted">Connecting to the engine…</span>
        )}
      </div>
      {session && <DictionaryInfoView d={d ?? null} />}
      <div className="bar-actions">
        {/* Views that open over the workbench (lens and monitors, model diff). */}
        {tools}
        <span className="open-label" aria-hidden="true">Open</span>
        <button type="button" aria-label="Open model…" onClick={() => void a.openFile('model')} disabled={busy}>Model…</button>
        <button type="button" aria-label="Open dictionary…" onClick={() => void a.openFile('dictionary')} disabled={busy}>Dictionary…</button>
        <button type="button" aria-label="Open graph…" onClick={() => void a.openFile('graph')} disabled={busy}>Graph…</button>
        <button type="button" className="icon" onClick={() => a.setHelpOpen(true)} aria-label="Keyboard shortcuts" title={`Keyboard shortcuts (?) · ${transportKind === 'bridge' ? 'desktop' : 'browser mode'}`}>?</button>
      </div>
    </header>
  );
}

/** Entry point of the lens and monitor views: a small button that opens them over the workbench. */
import { useState } from 'react';
import type { ApiClient } from '../../../shared/api';
import { useWb } from '../store/react';
import { MonitorPanel } from '../monitor/MonitorPanel';
import { LensPanel } from './LensPanel';
import './lens.css';

export function LensLauncher({ client }: { readonly client: ApiClient }) {
  const [tab, setTab] = useState<'lens' | 'monitor' | null>(null);
  const prompt = useWb((s) => s.prompt);
  return (
    <>
      <button type="button" className="lens-launch" onClick={() => setTab('lens')} aria-label="Lens & monitors…" title="Logit lens and runtime monitors">Lens…</button>
      {tab && (
        <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && setTab(null)}>
          <div className="modal lens-modal" role="dialog" aria-label="Lens and monitors">
            <div className="lens-tabs" role="tablist">
              <button type="button" role="tab" aria-selected={tab === 'lens'} onClick={() => setTab('lens')}>Logit lens</button>
              <button type="button" role="tab" aria-selected={tab === 'monitor'} onClick={() => setTab('monitor')}>Monitors</button>
              <button type="button" className="lens-close" aria-label="Close" onClick={() => setTab(null)}>×</button>
            </div>
            {/* Both stay mounted so switching tabs keeps their state. */}
            <div hidden={tab !== 'lens'}><LensPanel client={client} defaultPrompt={prompt} /></div>
            <div hidden={tab !== 'monitor'}><MonitorPanel client={client} /></div>
          </div>
        </div>
      )}
    </>
  );
}

/** Page layout: header (model bar), left (prompt, target, trace), centre (graph), right (details, paths). */
import type { Transport } from '../api/transport';
import { useShortcuts } from '../keyboard/useShortcuts';
import { useWb } from '../store/react';
import { ConnectionBanner } from './ConnectionBanner';
import { DetailPanel } from './DetailPanel';
import { FileBrowserDialog } from './FileBrowserDialog';
import { GraphPane } from './GraphPane';
import { HelpOverlay } from './HelpOverlay';
import { ModelBar } from './ModelBar';
import { PathsPanel } from './PathsPanel';
import { PromptPanel } from './PromptPanel';
import { Toasts } from './Toasts';

export function App({ transport }: { readonly transport: Transport }) {
  useShortcuts();
  const helpOpen = useWb((s) => s.helpOpen);
  const fileDialog = useWb((s) => s.fileDialog);
  const presentation = useWb((s) => s.presentation);
  return (
    <div className={`app${presentation ? ' presentation' : ''}`}>
      <ModelBar transportKind={transport.kind} />
      <ConnectionBanner transport={transport} />
      <main className="columns">
        <aside className="column left" aria-label="Prompt and target">
          <PromptPanel />
        </aside>
        <section className="column centre" aria-label="Attribution graph">
          <GraphPane />
        </section>
        <aside className="column right" aria-label="Inspector">
          <DetailPanel />
          <PathsPanel />
        </aside>
      </main>
      {fileDialog && <FileBrowserDialog purpose={fileDialog} />}
      {helpOpen && <HelpOverlay />}
      <Toasts />
    </div>
  );
}

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
import { useWork } from '../work/context';
import { CausalTestPanel } from '../work/CausalTestPanel';
import { ExplanationBar } from '../work/ExplanationBar';
import { ExplanationFileDialog } from '../work/ExplanationFileDialog';
import { NodeWorkBar } from '../work/NodeWorkBar';
import { RecoveryBanner } from '../work/RecoveryBanner';
import { SubgraphPanel } from '../work/SubgraphPanel';
import { useWorkEffects } from '../work/useWorkEffects';
import { ViewsPanel } from '../work/ViewsPanel';
import { useExport } from '../present/context';
import { ExportDialog } from '../present/ExportDialog';
import { PresentationHeader, usePresentationEffects } from '../present/Presentation';
import { DiffLauncher } from '../diff/DiffLauncher';
import { LensLauncher } from '../lens/LensLauncher';

export function App({ transport }: { readonly transport: Transport }) {
  useShortcuts();
  useWorkEffects();
  usePresentationEffects();
  const exportDialog = useExport((s) => s.dialog);
  const workDialog = useWork((s) => s.fileDialog);
  const helpOpen = useWb((s) => s.helpOpen);
  const fileDialog = useWb((s) => s.fileDialog);
  const presentation = useWb((s) => s.presentation);
  return (
    <div className={`app${presentation ? ' presentation' : ''}`}>
      <ModelBar
        transportKind={transport.kind}
        tools={
          !presentation && (
            <>
              <LensLauncher client={transport.client} />
              <DiffLauncher client={transport.client} />
            </>
          )
        }
      />
      <ConnectionBanner transport={transport} />
      <RecoveryBanner />
      {presentation && <PresentationHeader />}
      <main className="columns">
        <aside className="column left" aria-label="Prompt and target">
          <PromptPanel />
          <ExplanationBar />
          <SubgraphPanel />
          <ViewsPanel />
          <CausalTestPanel />
        </aside>
        <section className="column centre" aria-label="Attribution graph">
          <GraphPane />
        </section>
        <aside className="column right" aria-label="Inspector">
          <NodeWorkBar />
          <DetailPanel />
          <PathsPanel />
        </aside>
      </main>
      {fileDialog && <FileBrowserDialog purpose={fileDialog} />}
      {workDialog && <ExplanationFileDialog mode={workDialog} />}
      {exportDialog && <ExportDialog format={exportDialog} />}
      {helpOpen && <HelpOverlay />}
      <Toasts />
    </div>
  );
}

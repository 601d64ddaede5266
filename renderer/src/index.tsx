/** Entry point: picks the transport, creates the store, installs the debug hook and mounts the app. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectTransport } from './api/transport';
import { App } from './components/App';
import { installDebugHook } from './debug';
import { StoreContext } from './store/react';
import { createWorkbenchStore } from './store/store';
import { createWorkStore } from './store/work/workStore';
import { WorkStoreContext } from './work/context';
import { ExporterContext } from './present/context';
import { createExporter } from './present/exporter';
import './styles.css';

const transport = connectTransport();
const store = createWorkbenchStore({ client: transport.client, pickFile: transport.bridge ? (o) => transport.bridge!.pickFile(o) : null });
const work = createWorkStore({ main: store, client: transport.client, pickFile: transport.bridge ? (o) => transport.bridge!.pickFile(o) : null, confirm: (m) => window.confirm(m) });
const exporter = createExporter({ main: store, work, client: transport.client, pickFile: transport.bridge ? (o) => transport.bridge!.pickFile(o) : null });
store.getState().actions.setConnection(transport.current());
transport.subscribe((s) => store.getState().actions.setConnection(s));
installDebugHook(window);
// Desktop menu commands (File ▸ Open / Save / Export, View ▸ Presentation).
transport.bridge?.onMenu((action) => {
  const a = store.getState().actions;
  const w = work.getState().actions;
  // File ▸ Open / Save / Save as: explanation files (graphs open from the model bar's "Open graph…").
  if (action === 'open') void w.open();
  else if (action === 'save') void w.save();
  else if (action === 'save-as') void w.saveAs();
  else if (action === 'presentation') a.togglePresentation();
  else if (action === 'export-svg') void exporter.getState().actions.export('svg');
  else if (action === 'export-png') void exporter.getState().actions.export('png');
  else if (action === 'export-report') void exporter.getState().actions.export('html');
  else void a.exportGraph();
});
void store.getState().actions.init();

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <StoreContext.Provider value={store}>
        <WorkStoreContext.Provider value={work}>
          <ExporterContext.Provider value={exporter}>
            <App transport={transport} />
          </ExporterContext.Provider>
        </WorkStoreContext.Provider>
      </StoreContext.Provider>
    </StrictMode>,
  );
}

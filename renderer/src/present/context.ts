/** React access to the exporter (present/exporter.ts), provided beside the workbench and work stores. */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { ExportActions, ExportState, Exporter } from './exporter';

export const ExporterContext = createContext<Exporter | null>(null);

export function useExporterStore(): Exporter {
  const s = useContext(ExporterContext);
  if (!s) throw new Error('ExporterContext missing');
  return s;
}

export function useExport<T>(selector: (s: ExportState) => T): T {
  return useStore(useExporterStore(), selector);
}

export function useExportActions(): ExportActions {
  return useStore(useExporterStore(), (s) => s.actions);
}

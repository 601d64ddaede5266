/** React access to the exporter (present/exporter.ts), provided beside the workbench and work stores. */
import { storeContext } from '../store/storeContext';
import type { ExportActions, ExportState } from './exporter';

const ctx = storeContext<ExportState, ExportActions>('ExporterContext');

export const ExporterContext = ctx.Context;
export const useExport = ctx.useSelect;
export const useExportActions = ctx.useActions;

/**
 * The engine in its own process, spoken to over Node IPC: the Electron main process forks it
 * (`child_process.fork('main/api/host.ts', ['--workspace', DIR], { execArgv: ['--import', 'tsx'] })`) and
 * relays envelopes both ways. Options: --workspace DIR (default: unrestricted), --model FILE, --dict DIR,
 * --data-dir DIR (the app's data folder: recovery copies and feature labels when there is no workspace).
 * The host exits when its parent disconnects. Messages that arrive while the model loads are queued.
 */
import { parseArgs } from 'node:util';
import type { EngineMessage } from '../../shared/api';
import { isUserError } from '../errors';
import { createEngineService, type EngineService } from './service';

async function main(): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) {
    process.stderr.write('cwb engine host: run me with child_process.fork (no IPC channel)\n');
    process.exit(2);
  }
  const { values } = parseArgs({ options: { workspace: { type: 'string' }, model: { type: 'string' }, dict: { type: 'string' }, 'data-dir': { type: 'string' } }, strict: true });
  const emit = (m: EngineMessage) => {
    if (process.connected) send(m);
  };
  let service: EngineService | null = null;
  const queue: unknown[] = [];
  process.on('message', (m: unknown) => (service ? service.handle(m, emit) : queue.push(m)));
  process.on('disconnect', () => {
    void (service?.close() ?? Promise.resolve()).finally(() => process.exit(0));
  });
  try {
    service = await createEngineService({ workspace: values.workspace ?? null, model: values.model, dictionary: values.dict, dataDir: values['data-dir'] ?? null });
  } catch (e) {
    process.stderr.write(`cwb engine host: ${isUserError(e) ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(isUserError(e) ? 2 : 1);
  }
  for (const m of queue.splice(0)) service.handle(m, emit);
}

void main();

/** Where the app's own files live, independent of the working directory. */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const assetsDir = path.join(packageRoot, 'assets');
export const embeddedModelPath = path.join(assetsDir, 'models', 'stories260K', 'stories260K.bin');
export const embeddedDictionaryPath = path.join(assetsDir, 'dictionaries', 'stories260K-plt');

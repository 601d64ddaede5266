// Electron entry point (package.json "main"). The desktop shell is TypeScript run through tsx, like the CLI and
// the engine: register tsx's ESM hooks in this process, then load the shell (app.ts). Electron (>= 28) runs an
// ESM entry; the top-level await keeps app.ts's setup (profile path, sandbox, single-instance lock) ahead of
// the app's `ready` event. tsx is therefore a runtime dependency, not a dev one. The repository's tsconfig.json
// is named explicitly because a packaged app's working directory is not the app folder.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

register({ tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) });
await import('./app.ts');

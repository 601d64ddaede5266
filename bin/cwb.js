#!/usr/bin/env node
// The cwb command: runs the TypeScript CLI through tsx's loader (no build step needed).
import { register } from 'tsx/esm/api';

process.env.CWB_BIN = '1';
register();
await import('../main/cli/index.ts');

#!/usr/bin/env node
// Entry point for `npx driftline`: runs the CLI compiled from src/ into dist/ (rebuilt when src/
// changes; see load.js), or through tsx when it cannot be compiled. No build step to run by hand.
import { importSrc } from './load.js';
// Work that can overlap loading the command (src/cli/early.ts), then the command line itself.
(await importSrc('cli/early')).startEarly(process.argv);
await importSrc('cli/main');

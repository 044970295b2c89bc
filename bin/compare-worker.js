// Entry point of the `driftline compare` worker thread (see src/compare-thread.ts): loads
// src/compare-worker compiled, or through tsx, as bin/driftline.js loads the CLI.
import { importSrc } from './load.js';
await importSrc('compare-worker');

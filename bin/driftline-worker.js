// Entry point of a `driftline run` worker thread (processor.workers > 1; see src/io/workers.ts).
// Loads src/io/worker-main the way bin/driftline.js loads the CLI: compiled in dist/, or through tsx.
import { importSrc } from './load.js';
await importSrc('io/worker-main');

// Entry point of a `driftline run` worker thread (processor.workers > 1; see src/io/workers.ts).
// Loads src/io/worker-main the way bin/driftline.js loads the CLI.
import { register } from 'tsx/esm/api';
register();
await import('../src/io/worker-main.ts');

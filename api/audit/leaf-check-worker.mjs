// The entry of the verifier's worker threads: loads the TypeScript module through tsx, as the CLI does.
import { register } from 'tsx/esm/api';

register();
await import('./leaf-check-worker.ts');

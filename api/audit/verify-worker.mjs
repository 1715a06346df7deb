// The verify worker (api/audit/verify.ts): parses binary COPY bytes of `leafCheckSelect` handed over in
// batches, in order, and answers each batch with the leaves that do not check. Plain JS that loads the
// TypeScript through tsx, as scripts/bin/steward.js does, however the parent was started.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { BinaryCopyParser } = await import('./event-binary.ts');
const { LEAF_CHECK_WIDTH, leafChecker } = await import('./leaf-check.ts');

let found = [];
const parser = new BinaryCopyParser(
  LEAF_CHECK_WIDTH,
  leafChecker((m) => found.push(m)),
);
parentPort.on('message', (msg) => {
  try {
    if (msg.end) parser.end();
    else parser.feed(Buffer.from(msg.buf.buffer, msg.buf.byteOffset, msg.buf.byteLength));
    parentPort.postMessage({ id: msg.id, found });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
  found = [];
});
parentPort.postMessage({ ready: true });

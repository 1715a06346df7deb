/// <reference lib="webworker" />
// Hashes a large file off the page's thread: the page stays responsive (progress bar, Cancel) while
// hundreds of megabytes go through the pure-JavaScript SHA-256.
import { sha256 } from '@noble/hashes/sha2.js';

export type HashRequest = { file: Blob; slice: number };
export type HashMessage = { hashed: number; total: number } | { digest: Uint8Array } | { error: string };

self.onmessage = async (e: MessageEvent<HashRequest>) => {
  const { file, slice } = e.data;
  try {
    const h = sha256.create();
    for (let at = 0; at < file.size; at += slice) {
      h.update(new Uint8Array(await file.slice(at, at + slice).arrayBuffer()));
      self.postMessage({ hashed: Math.min(at + slice, file.size), total: file.size } satisfies HashMessage);
    }
    self.postMessage({ digest: h.digest() } satisfies HashMessage);
  } catch (err) {
    self.postMessage({ error: err instanceof Error ? err.message : String(err) } satisfies HashMessage);
  }
};

import { sha256 } from '@noble/hashes/sha2.js';
import type { HashMessage, HashRequest } from './hash.worker';
import type { MultipartInstructions, SignedPut } from './types';

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Files up to this size are hashed in one WebCrypto call (fast, native); larger ones slice by slice. */
const WHOLE_FILE_HASH_LIMIT = 64 * 1024 * 1024;
const HASH_SLICE = 8 * 1024 * 1024;

/**
 * The lowercase hex SHA-256 of a file, computed in the browser. WebCrypto has no streaming digest and
 * would hold the whole file in memory, so large files are read in slices into an incremental SHA-256
 * (`@noble/hashes`, pure JavaScript: no WebAssembly, which the Content-Security-Policy does not allow),
 * in a worker so that the page stays responsive; on the page's thread where workers are unavailable.
 */
export async function sha256Hex(
  file: Blob,
  onProgress?: (hashed: number, total: number) => void,
): Promise<string> {
  if (file.size <= WHOLE_FILE_HASH_LIMIT) {
    const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
    onProgress?.(file.size, file.size);
    return hex(new Uint8Array(digest));
  }
  if (typeof Worker !== 'undefined') return hex(await hashInWorker(file, onProgress));
  const h = sha256.create();
  for (let at = 0; at < file.size; at += HASH_SLICE) {
    h.update(new Uint8Array(await file.slice(at, at + HASH_SLICE).arrayBuffer()));
    onProgress?.(Math.min(at + HASH_SLICE, file.size), file.size);
  }
  return hex(h.digest());
}

function hashInWorker(file: Blob, onProgress?: (hashed: number, total: number) => void) {
  return new Promise<Uint8Array>((resolve, reject) => {
    const worker = new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module' });
    const done = () => worker.terminate();
    worker.onmessage = (e: MessageEvent<HashMessage>) => {
      const m = e.data;
      if ('digest' in m) {
        done();
        resolve(m.digest);
      } else if ('error' in m) {
        done();
        reject(new Error(`The file could not be read: ${m.error}`));
      } else onProgress?.(m.hashed, m.total);
    };
    worker.onerror = (e) => {
      done();
      reject(new Error(`The file could not be hashed: ${e.message}`));
    };
    worker.postMessage({ file, slice: HASH_SLICE } satisfies HashRequest);
  });
}

/** Thrown when the object store refuses an upload. */
export class UploadError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

/**
 * Sends the raw file to the signed URL with exactly the headers the API asked for. XMLHttpRequest,
 * not fetch, because only it reports upload progress. No credentials go to the object store.
 */
export function uploadToSignedUrl(
  upload: Pick<SignedPut, 'url' | 'headers'> & { method?: string },
  file: Blob,
  onProgress: (loaded: number, total: number) => void,
  signal?: AbortSignal,
): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method || 'PUT', upload.url);
    for (const [name, value] of Object.entries(upload.headers ?? {})) {
      // Browsers set these themselves and refuse to let scripts do it.
      if (/^(content-length|host|connection)$/i.test(name)) continue;
      xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        // A part's ETag names it in the completion; readable because the store's CORS exposes it.
        resolve(xhr.getResponseHeader('ETag'));
      } else {
        reject(new UploadError(`The object store refused the upload (HTTP ${xhr.status}).`, xhr.status));
      }
    };
    xhr.onerror = () =>
      reject(new UploadError('The upload failed: the object store could not be reached.', 0));
    xhr.onabort = () => reject(new UploadError('The upload was cancelled.', 0));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
}

/**
 * Uploads a file in parts to the signed part URLs, `concurrency` at a time, retrying a failed part
 * (`retries` times, with a growing pause); `onProgress` gets the bytes sent over all parts. Answers each
 * part's ETag, which `POST /files/:id/complete` needs. `renew` is asked for fresh part URLs when the
 * store refuses a part's signature (it expired during a long upload).
 */
export async function uploadParts(
  upload: MultipartInstructions,
  file: Blob,
  onProgress: (loaded: number, total: number) => void,
  opts: {
    concurrency?: number;
    retries?: number;
    renew?: () => Promise<MultipartInstructions>;
    signal?: AbortSignal;
  } = {},
): Promise<UploadedPart[]> {
  const { concurrency = 4, retries = 3 } = opts;
  let urls = new Map(upload.parts.map((p) => [p.partNumber, p.url]));
  const sent = new Map<number, number>();
  const report = () => {
    let total = 0;
    for (const n of sent.values()) total += n;
    onProgress(total, file.size);
  };
  const queue = upload.parts.map((p) => p.partNumber);
  const done: UploadedPart[] = [];
  let renewing: Promise<void> | undefined;

  async function sendPart(partNumber: number) {
    const start = (partNumber - 1) * upload.partSize;
    const slice = file.slice(start, start + upload.partSize);
    for (let attempt = 0; ; attempt++) {
      try {
        const etag = await uploadToSignedUrl(
          { method: 'PUT', url: urls.get(partNumber)!, headers: {} },
          slice,
          (loaded) => {
            sent.set(partNumber, loaded);
            report();
          },
          opts.signal,
        );
        if (!etag)
          throw new UploadError('The object store did not expose the part’s ETag (check its CORS rules).', 0);
        done.push({ partNumber, etag });
        return;
      } catch (e) {
        sent.set(partNumber, 0);
        report();
        if (opts.signal?.aborted || attempt >= retries) throw e;
        if (e instanceof UploadError && e.status === 403 && opts.renew) {
          // Expired signatures: one renewal serves every part waiting on it.
          renewing ??= opts.renew().then((fresh) => {
            urls = new Map(fresh.parts.map((p) => [p.partNumber, p.url]));
            renewing = undefined;
          });
          await renewing;
        } else {
          await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
        }
      }
    }
  }

  async function worker() {
    for (let n = queue.shift(); n !== undefined; n = queue.shift()) await sendPart(n);
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  return done.sort((a, b) => a.partNumber - b.partNumber);
}

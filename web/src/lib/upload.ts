import type { UploadInstructions } from './types';

/** The lowercase hex SHA-256 of a file, computed in the browser. */
export async function sha256Hex(file: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
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
  upload: UploadInstructions,
  file: Blob,
  onProgress: (loaded: number, total: number) => void,
  signal?: AbortSignal,
): Promise<void> {
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
        resolve();
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

import type { SignedRequest } from '../storage/object-store.ts';

/** What a client needs to upload the bytes itself: the signed request, exactly as it must be sent. */
export function presentUpload(upload: SignedRequest) {
  return { method: upload.method, url: upload.url, headers: upload.headers, expiresAt: upload.expiresAt };
}

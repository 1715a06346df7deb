import type { UploadInstructions } from './files.service.ts';

/**
 * What a client needs to upload the bytes itself: the signed request, exactly as it must be sent; or, for a
 * multipart upload, the part size and one signed PUT URL per part (each answers an `ETag` to send back to
 * `POST /files/:id/complete`).
 */
export function presentUpload(upload: UploadInstructions) {
  if (upload.method === 'multipart')
    return {
      method: upload.method,
      partSize: upload.partSize,
      parts: upload.parts,
      expiresAt: upload.expiresAt,
    };
  return { method: upload.method, url: upload.url, headers: upload.headers, expiresAt: upload.expiresAt };
}

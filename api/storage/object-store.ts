/** A signed request a client performs itself (browser upload, download). */
export interface SignedRequest {
  method: 'GET' | 'PUT';
  url: string;
  headers: Record<string, string>;
  expiresAt: Date;
}

/**
 * Where file bytes live. Implemented once over the S3 protocol; the embedded default and any
 * S3-compatible store (AWS S3, MinIO, Ceph, Garage, R2) differ only by configuration.
 */
export interface ObjectStore {
  readonly bucket: string;
  /** Creates the bucket if it does not exist. */
  ensureBucket(): Promise<void>;
  /**
   * A signed PUT the client uses to upload exactly `size` bytes of `contentType`. With `exactSize` the
   * `content-length` is signed too, so the store itself refuses a body of any other size.
   */
  signPut(
    key: string,
    opts: { contentType: string; size: number; exactSize?: boolean },
  ): Promise<SignedRequest>;
  /** A signed GET; `filename` sets the download's Content-Disposition. */
  signGet(key: string, opts: { filename?: string; contentType?: string }): Promise<SignedRequest>;
  /** Size of the stored object, or null when there is none. */
  head(key: string): Promise<{ size: number } | null>;
  /** SHA-256 (hex) of the stored object's bytes, read back from the store. */
  sha256(key: string): Promise<string>;
  /** Starts a multipart upload (S3 CreateMultipartUpload); returns its upload id. */
  createMultipart(key: string, opts: { contentType: string }): Promise<string>;
  /** A signed UploadPart (PUT with `partNumber` and `uploadId`) the client sends one part's bytes to. */
  signPart(key: string, uploadId: string, partNumber: number): Promise<SignedRequest>;
  /** Assembles the uploaded parts (S3 CompleteMultipartUpload); rejects when a part is missing or wrong. */
  completeMultipart(
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<void>;
  /** Drops an open multipart upload and its parts (S3 AbortMultipartUpload). */
  abortMultipart(key: string, uploadId: string): Promise<void>;
  put(key: string, body: Buffer | Uint8Array | string, contentType: string): Promise<void>;
  /** Copies an object within the bucket (S3 CopyObject). */
  copy(from: string, to: string): Promise<void>;
  delete(key: string): Promise<void>;
}

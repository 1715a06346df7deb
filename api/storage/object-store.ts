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
  /** A signed PUT the client uses to upload exactly `size` bytes of `contentType`. */
  signPut(key: string, opts: { contentType: string; size: number }): Promise<SignedRequest>;
  /** A signed GET; `filename` sets the download's Content-Disposition. */
  signGet(key: string, opts: { filename?: string; contentType?: string }): Promise<SignedRequest>;
  /** Size of the stored object, or null when there is none. */
  head(key: string): Promise<{ size: number } | null>;
  /** SHA-256 (hex) of the stored object's bytes, read back from the store. */
  sha256(key: string): Promise<string>;
  put(key: string, body: Buffer | Uint8Array | string, contentType: string): Promise<void>;
  delete(key: string): Promise<void>;
}

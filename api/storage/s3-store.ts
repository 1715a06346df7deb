import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { ObjectStore, SignedRequest } from './object-store.ts';
import { encode, presignV4Query } from './sigv4.ts';

export interface S3Settings {
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Path-style addressing (needed by the embedded server and MinIO; harmless on AWS). */
  forcePathStyle?: boolean;
  signedUrlTtlSeconds: number;
}

const encodeKey = (key: string) => key.split('/').map(encode).join('/');

/**
 * The one ObjectStore implementation, over `@aws-sdk/client-s3`. URLs are presigned by `presignV4Query`
 * (./sigv4.ts), not `getSignedUrl()`, which rebuilds the SDK middleware stack on each call (~0.4 ms of
 * CPU, STACK.md): the download path signs on every request.
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  private readonly client: S3Client;
  /** `host[:port]`, the path before the key, and `protocol//host`: fixed per store, worked out once. */
  private readonly host: string;
  private readonly keyPrefix: string;
  private readonly origin: string;

  constructor(private readonly settings: S3Settings) {
    this.bucket = settings.bucket;
    const pathStyle = settings.forcePathStyle ?? true;
    const credentials = { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey };
    this.client = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      credentials,
      forcePathStyle: pathStyle,
      // The SDK's default checksums break streamed uploads on several S3-compatible servers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    // Bucket-level requests get a trailing slash (`/bucket/`) that some servers sign differently.
    this.client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { path?: string };
        if (request?.path && /^\/[^/]+\/$/.test(request.path)) request.path = request.path.slice(0, -1);
        return next(args);
      },
      { step: 'build', name: 'stripBucketTrailingSlash' },
    );
    const base = new URL(settings.endpoint ?? `https://s3.${settings.region}.amazonaws.com`);
    const hostname = pathStyle ? base.hostname : `${this.bucket}.${base.hostname}`;
    this.host = base.port ? `${hostname}:${base.port}` : hostname;
    const basePath = base.pathname.replace(/\/$/, '');
    this.keyPrefix = pathStyle ? `${basePath}/${this.bucket}/` : `${basePath}/`;
    this.origin = `${base.protocol}//${this.host}`;
  }

  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  private async sign(
    method: 'GET' | 'PUT',
    key: string,
    query: Record<string, string>,
    headers: Record<string, string>,
    signedHeaders?: Record<string, string>,
  ): Promise<SignedRequest> {
    const path = this.keyPrefix + encodeKey(key);
    const ttl = this.settings.signedUrlTtlSeconds;
    // S3 signs the path as sent (single-encoded); content-type is sent by the client, not signed.
    const { canonicalQuery, signature } = presignV4Query({
      method,
      host: this.host,
      path,
      query,
      ...(signedHeaders ? { headers: signedHeaders } : {}),
      region: this.settings.region,
      service: 's3',
      accessKeyId: this.settings.accessKeyId,
      secretAccessKey: this.settings.secretAccessKey,
      expiresIn: ttl,
      now: new Date(),
    });
    return {
      method,
      url: `${this.origin}${path}?${canonicalQuery}&X-Amz-Signature=${signature}`,
      headers,
      expiresAt: new Date(Date.now() + ttl * 1000),
    };
  }

  signPut(
    key: string,
    opts: { contentType: string; size: number; exactSize?: boolean },
  ): Promise<SignedRequest> {
    // A signed content-length is not among the headers to set: clients (browsers must) send the body's own.
    const signed = opts.exactSize ? { 'content-length': String(opts.size) } : undefined;
    return this.sign('PUT', key, {}, { 'content-type': opts.contentType }, signed);
  }

  signGet(key: string, opts: { filename?: string; contentType?: string }): Promise<SignedRequest> {
    const query: Record<string, string> = {};
    if (opts.filename) {
      // ASCII only and none of !'()*: the embedded server canonicalises query values with
      // encodeURIComponent, not RFC 3986, so those characters would break its signature check.
      const safe = opts.filename.replace(/[^\x20-\x7e]|["\\!'()*;]/g, '_');
      query['response-content-disposition'] = `attachment; filename="${safe}"`;
    }
    if (opts.contentType) query['response-content-type'] = opts.contentType;
    return this.sign('GET', key, query, {});
  }

  async createMultipart(key: string, opts: { contentType: string }): Promise<string> {
    const out = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: opts.contentType }),
    );
    if (!out.UploadId) throw new Error('The object store started a multipart upload without an id.');
    return out.UploadId;
  }

  signPart(key: string, uploadId: string, partNumber: number): Promise<SignedRequest> {
    // Signed like any presigned PUT, with the part's coordinates among the signed query parameters.
    return this.sign('PUT', key, { partNumber: String(partNumber), uploadId }, {});
  }

  async completeMultipart(
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<void> {
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: {
          Parts: [...parts]
            .sort((a, b) => a.partNumber - b.partNumber)
            .map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })),
        },
      }),
    );
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    await this.client.send(
      new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }),
    );
  }

  async head(key: string): Promise<{ size: number } | null> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: Number(out.ContentLength ?? 0) };
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (err as Error).name === 'NotFound' || (err as Error).name === 'NoSuchKey')
        return null;
      throw err;
    }
  }

  async sha256(key: string): Promise<string> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const hash = createHash('sha256');
    for await (const chunk of out.Body as Readable) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  async put(key: string, body: Buffer | Uint8Array | string, contentType: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async copy(from: string, to: string): Promise<void> {
    await this.client.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: to,
        CopySource: `${this.bucket}/${encodeKey(from)}`,
      }),
    );
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

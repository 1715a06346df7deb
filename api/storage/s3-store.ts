import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ObjectStore, SignedRequest } from './object-store.ts';

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

/** RFC 3986 encoding, as SigV4 expects it. */
const encode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const encodeKey = (key: string) => key.split('/').map(encode).join('/');

/**
 * The one ObjectStore implementation, over `@aws-sdk/client-s3`. URLs are presigned with a reused
 * `SignatureV4` signer: `getSignedUrl()` rebuilds the SDK middleware stack on each call (~0.4 ms of CPU,
 * STACK.md) and the download path signs on every request.
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly signer: SignatureV4;
  private readonly base: URL;
  private readonly pathStyle: boolean;

  constructor(private readonly settings: S3Settings) {
    this.bucket = settings.bucket;
    this.pathStyle = settings.forcePathStyle ?? true;
    const credentials = { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey };
    this.client = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      credentials,
      forcePathStyle: this.pathStyle,
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
    // S3 signs the path as sent (single-encoded): uriEscapePath false, as the SDK's own presigner does.
    this.signer = new SignatureV4({
      credentials,
      region: settings.region,
      service: 's3',
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: false,
    });
    this.base = new URL(settings.endpoint ?? `https://s3.${settings.region}.amazonaws.com`);
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
  ): Promise<SignedRequest> {
    const hostname = this.pathStyle ? this.base.hostname : `${this.bucket}.${this.base.hostname}`;
    const host = this.base.port ? `${hostname}:${this.base.port}` : hostname;
    const basePath = this.base.pathname.replace(/\/$/, '');
    const path = this.pathStyle
      ? `${basePath}/${this.bucket}/${encodeKey(key)}`
      : `${basePath}/${encodeKey(key)}`;
    const ttl = this.settings.signedUrlTtlSeconds;
    const signed = await this.signer.presign(
      {
        method,
        protocol: this.base.protocol,
        hostname,
        port: this.base.port ? Number(this.base.port) : undefined,
        path,
        query,
        headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...headers },
      },
      // Like the SDK's presigner: content-type is sent by the client but not part of the signature.
      { expiresIn: ttl, unsignableHeaders: new Set(['content-type']) },
    );
    const qs = Object.entries(signed.query ?? {})
      .map(([k, v]) => `${encode(k)}=${encode(String(v))}`)
      .join('&');
    return {
      method,
      url: `${this.base.protocol}//${host}${path}?${qs}`,
      headers,
      expiresAt: new Date(Date.now() + ttl * 1000),
    };
  }

  signPut(key: string, opts: { contentType: string; size: number }): Promise<SignedRequest> {
    return this.sign('PUT', key, {}, { 'content-type': opts.contentType });
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

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

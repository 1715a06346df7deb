import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

export interface EmbeddedS3 {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  close(): Promise<void>;
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Credentials made once per data folder and kept there (0600), so a restart keeps working URLs and objects. */
function loadOrCreateCredentials(dataDir: string): Credentials {
  const path = join(dataDir, 's3-credentials.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as Credentials;
  const creds = {
    accessKeyId: `STEWARD${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path, JSON.stringify(creds, null, 2), { mode: 0o600 });
  return creds;
}

/**
 * Runs the S3-protocol server `@20minutes/s3rver` in this process on 127.0.0.1. It checks SigV4
 * signatures and expiry like a real store; the platform talks to it through the same S3 client it
 * would use for AWS S3 or MinIO.
 */
export async function startEmbeddedS3(opts: {
  dataDir: string;
  bucket: string;
  /** Origins allowed to PUT / GET with signed URLs from a browser (CORS). */
  allowedOrigins: string[];
  port?: number;
}): Promise<EmbeddedS3> {
  const S3rver = require('@20minutes/s3rver');
  const { DUMMY_ACCOUNT } = require('@20minutes/s3rver/lib/models/account');
  const creds = loadOrCreateCredentials(opts.dataDir);
  // The package ships a well-known key pair; replace it with this folder's own.
  DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
  DUMMY_ACCOUNT.createKeyPair(creds.accessKeyId, creds.secretAccessKey);
  const directory = join(opts.dataDir, 'objects');
  mkdirSync(directory, { recursive: true });
  const origins = opts.allowedOrigins.map((o) => `<AllowedOrigin>${o}</AllowedOrigin>`).join('');
  const cors = `<CORSConfiguration><CORSRule>${origins}<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`;
  const server = new S3rver({
    address: '127.0.0.1',
    port: opts.port ?? 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: opts.bucket, configs: [cors] }],
  });
  guardMultipartCompletion(server.store);
  const address = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    ...creds,
    close: async () => {
      await server.close();
      DUMMY_ACCOUNT.revokeAccessKey(creds.accessKeyId);
    },
  };
}

interface FilesystemStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putObjectMultipart(
    bucket: string,
    uploadId: string,
    parts: { number: number; etag: string }[],
  ): Promise<unknown>;
}

/**
 * CompleteMultipartUpload as S3 answers it. The server assembles whatever part numbers it is given: a part
 * never uploaded made it throw outside any request (an uncaught exception that would stop the platform)
 * and an ETag that is not the part's was accepted. Here both are `InvalidPart` (400) and an unknown
 * upload `NoSuchUpload` (404), before assembly starts.
 */
function guardMultipartCompletion(store: FilesystemStore) {
  const S3Error = require('@20minutes/s3rver/lib/models/error');
  const assemble = store.putObjectMultipart.bind(store);
  store.putObjectMultipart = async (bucket, uploadId, parts) => {
    if (!/^[0-9a-f]{1,64}$/.test(uploadId))
      throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
    const dir = join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
    if (!existsSync(join(dir, 'key')))
      throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
    for (const part of parts) {
      const md5 = await readFile(join(dir, `${part.number}.md5`), 'utf8').catch(() => undefined);
      if (md5 === undefined || md5 !== part.etag)
        throw new S3Error(
          'InvalidPart',
          'One or more of the specified parts could not be found or its ETag did not match.',
          { PartNumber: part.number, ETag: part.etag },
        );
    }
    return assemble(bucket, uploadId, parts);
  };
}

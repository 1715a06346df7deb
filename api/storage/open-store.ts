import type { Config } from '../config.ts';
import { type EmbeddedS3, startEmbeddedS3 } from './embedded-s3.ts';
import { S3ObjectStore } from './s3-store.ts';

/** Opens the store of the configuration: the one given, or the embedded S3-protocol server. */
export async function openStore(config: Config, publicOrigin: string) {
  let embedded: EmbeddedS3 | undefined;
  let settings = config.s3;
  if (!config.s3.endpoint) {
    embedded = await startEmbeddedS3({
      dataDir: config.dataDir,
      bucket: config.s3.bucket,
      allowedOrigins: [publicOrigin],
    });
    settings = {
      ...config.s3,
      endpoint: embedded.endpoint,
      accessKeyId: embedded.accessKeyId,
      secretAccessKey: embedded.secretAccessKey,
    };
  }
  const store = new S3ObjectStore({
    endpoint: settings.endpoint,
    region: settings.region,
    bucket: settings.bucket,
    accessKeyId: settings.accessKeyId!,
    secretAccessKey: settings.secretAccessKey!,
    signedUrlTtlSeconds: config.signedUrlTtlSeconds,
  });
  await store.ensureBucket();
  return { store, embedded, origin: new URL(settings.endpoint!).origin };
}

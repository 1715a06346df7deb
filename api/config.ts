import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';

const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.url().optional())
  .optional();
const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const Env = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: optionalUrl,
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: optionalText,
  /** Connections per api process to a PostgreSQL server (queries pipeline on each); default: twice the cores, 4–10. */
  DATABASE_POOL_SIZE: optionalText.pipe(z.coerce.number<string>().int().min(1).max(1000).optional()),
  S3_ENDPOINT: optionalUrl,
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z.string().default('steward'),
  S3_ACCESS_KEY_ID: optionalText,
  S3_SECRET_ACCESS_KEY: optionalText,
  OIDC_ISSUER: optionalUrl,
  OIDC_CLIENT_ID: optionalText,
  OIDC_CLIENT_SECRET: optionalText,
  SIGNED_URL_TTL_SECONDS: z.coerce.number().int().min(1).max(604800).default(300),
  /** Files larger than this (bytes) upload in parts (S3 multipart); smaller ones in one signed PUT. */
  MULTIPART_THRESHOLD: z.coerce
    .number()
    .int()
    .min(5 * 1024 ** 2)
    .max(5 * 1024 ** 3)
    .default(64 * 1024 ** 2),
  /** Size of each part (bytes) but the last; S3 refuses parts under 5 MiB. Grown for files over 10,000 parts. */
  MULTIPART_PART_SIZE: z.coerce
    .number()
    .int()
    .min(5 * 1024 ** 2)
    .max(5 * 1024 ** 3)
    .default(16 * 1024 ** 2),
  /** Downloads (signed URLs issued) per caller per minute: token, signed-in user, or anonymous IP. */
  DOWNLOAD_RATE_LIMIT: z.coerce.number().int().min(1).default(600),
  TRUST_PROXY: z.string().default('loopback'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SEED_DEMO: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
  /** `off`: this process never integrates audit events (another api process or `steward` job does). */
  AUDIT_SEQUENCER: z.enum(['on', 'off']).default('on'),
  /** Seconds between runs of the periodic job (expiries, overdue obligations, reminders, e-mail); `0` or `off`: never by itself. */
  JOBS_INTERVAL_SECONDS: z
    .string()
    .trim()
    .regex(/^(off|\d{1,5})$/, 'use a number of seconds, or 0 / off')
    .default('60')
    .transform((v) => (v === 'off' ? 0 : Number(v)))
    .pipe(z.number().int().min(0).max(86_400)),
  /** `smtp://user:pass@host:587` or `smtps://user:pass@host:465`: notifications are also e-mailed. */
  SMTP_URL: optionalText.pipe(
    z
      .string()
      .regex(/^smtps?:\/\/[^/\s]+/, 'use smtp://user:pass@host:port or smtps://…')
      .optional(),
  ),
  /** The From of e-mails, e.g. `Steward <steward@example.org>`; required with SMTP_URL. */
  MAIL_FROM: optionalText,
});

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /** The origin users reach the platform at; cookies are `Secure` when it is https. */
  publicUrl: string;
  /** PUBLIC_URL was not set: it follows the port actually bound (PORT=0 in tests). */
  publicUrlFromPort: boolean;
  dataDir: string;
  databaseUrl: string;
  /** postgres.js pool size (PostgreSQL servers only; PGlite is one connection). */
  databasePoolSize: number;
  s3: {
    /** Absent: the embedded S3-protocol server runs in-process. */
    endpoint?: string;
    region: string;
    bucket: string;
    accessKeyId?: string;
    secretAccessKey?: string;
  };
  oidc: {
    /** Absent: the built-in development IdP runs in-process (refused in production). */
    issuer?: string;
    clientId?: string;
    clientSecret?: string;
  };
  signedUrlTtlSeconds: number;
  /** Multipart uploads: above `threshold` bytes a file uploads in parts of `partSize` bytes. */
  uploads: { multipartThreshold: number; partSize: number };
  downloadRateLimit: number;
  trustProxy: string;
  logLevel: string;
  seedDemo: boolean;
  /** Run the audit sequencer's periodic ticks in this process (README, "The audit log"). */
  auditSequencer: boolean;
  /** Milliseconds between runs of the periodic job in this process; 0: none (api/jobs/jobs.ts). */
  jobsIntervalMs: number;
  /** Absent: notifications stay in the inbox, no e-mail. The URL holds the SMTP password: never log it. */
  mail?: { smtpUrl: string; from: string };
  version: string;
}

export class ConfigError extends Error {}

/**
 * About twice the api host's cores, as PostgreSQL's own sizing advice has it: postgres.js pipelines
 * queries on a busy connection, so a small pool keeps every connection fed, while more backends only
 * contend for the same cores (on 2 cores the download gate served 0.75–0.80 of its floor with 4
 * connections and 0.59–0.62 with 10: `npm run bench`). At least 4: a transaction holds its connection
 * to itself, and a few long ones (a report, a sequencer batch) must not take the whole pool.
 */
export const defaultPoolSize = () => Math.min(10, Math.max(4, 2 * availableParallelism()));

/** Parses the environment once; the only reader of `process.env`. Throws a readable list of every bad variable. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.OIDC_ISSUER && !e.OIDC_CLIENT_ID) problems.push('  OIDC_CLIENT_ID: required when OIDC_ISSUER is set');
  if (!e.OIDC_ISSUER && e.NODE_ENV === 'production')
    problems.push(
      '  OIDC_ISSUER: required in production (the development IdP refuses to run when NODE_ENV=production)',
    );
  if (e.S3_ENDPOINT && !(e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY))
    problems.push('  S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY: required when S3_ENDPOINT is set');
  if (e.SMTP_URL && !e.MAIL_FROM)
    problems.push('  MAIL_FROM: required when SMTP_URL is set (e.g. "Steward <steward@example.org>")');
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  const dataDir = resolve(e.DATA_DIR);
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    publicUrlFromPort: !e.PUBLIC_URL,
    dataDir,
    databaseUrl: e.DATABASE_URL ?? `file:${resolve(dataDir, 'db')}`,
    databasePoolSize: e.DATABASE_POOL_SIZE ?? defaultPoolSize(),
    s3: {
      endpoint: e.S3_ENDPOINT,
      region: e.S3_REGION,
      bucket: e.S3_BUCKET,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
    },
    oidc: { issuer: e.OIDC_ISSUER, clientId: e.OIDC_CLIENT_ID, clientSecret: e.OIDC_CLIENT_SECRET },
    signedUrlTtlSeconds: e.SIGNED_URL_TTL_SECONDS,
    uploads: { multipartThreshold: e.MULTIPART_THRESHOLD, partSize: e.MULTIPART_PART_SIZE },
    downloadRateLimit: e.DOWNLOAD_RATE_LIMIT,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    seedDemo: e.SEED_DEMO,
    auditSequencer: e.AUDIT_SEQUENCER === 'on',
    jobsIntervalMs: e.JOBS_INTERVAL_SECONDS * 1000,
    mail: e.SMTP_URL && e.MAIL_FROM ? { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM } : undefined,
    version: process.env.npm_package_version ?? '0.1.0',
  };
}

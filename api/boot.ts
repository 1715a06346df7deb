import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import pino, { type Logger } from 'pino';
import { type DbHandle, openDb } from '../db/index.ts';
import { createApp } from './app.ts';
import { loadAuditKey } from './audit/checkpoint.ts';
import { Sequencer } from './audit/sequencer.ts';
import type { Config } from './config.ts';
import { loadInstanceSecrets } from './instance.ts';
import { Jobs } from './jobs/jobs.ts';
import { smtpMailer } from './jobs/mailer.ts';
import { seedDemo } from './seed/seed.service.ts';
import type { ObjectStore } from './storage/object-store.ts';
import { openStore } from './storage/open-store.ts';

export interface Running {
  url: string;
  config: Config;
  database: DbHandle;
  store: ObjectStore;
  server: Server;
  logger: Logger;
  /** Integrates audit events into the Merkle tree; `flush()` runs a tick on demand. */
  sequencer: Sequencer;
  /** The periodic job (expiries, overdue obligations, reminders, e-mail); `runOnce()` runs it on demand. */
  jobs: Jobs;
  /** True when this start seeded the demo data. */
  seeded: boolean;
  close(): Promise<void>;
}

/**
 * Starts the platform: binds the port first (so PORT=0 works and the public URL is known), then
 * opens and migrates the database, opens the object store, seeds the demo on first start, and
 * serves the app.
 */
export async function start(
  config: Config,
  opts: { pglite?: PGlite; logger?: Logger } = {},
): Promise<Running> {
  const logger = opts.logger ?? pino({ level: config.logLevel });
  const server = createServer((_req, res) => {
    res.statusCode = 503;
    res.setHeader('Retry-After', '2');
    res.end('Steward is starting.');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const cfg: Config = config.publicUrlFromPort
    ? { ...config, port, publicUrl: `http://localhost:${port}` }
    : { ...config, port };
  const closers: (() => Promise<unknown>)[] = [() => new Promise((r) => server.close(r))];
  const close = async () => {
    server.closeAllConnections?.();
    for (const c of closers.reverse()) await c().catch((err) => logger.warn({ err }, 'close failed'));
  };
  try {
    const database = await openDb(cfg.databaseUrl, { pglite: opts.pglite, max: cfg.databasePoolSize });
    closers.push(() => database.close());
    await database.migrate();
    const secrets = await loadInstanceSecrets(database.db);
    const auditKey = await loadAuditKey(database.db, cfg.publicUrl);
    // Every api process runs one unless AUDIT_SEQUENCER=off; the advisory lock picks who integrates
    // (api/audit/sequencer.ts). Off, it still exists for on-demand flush() but never ticks by itself.
    // Stopped before the database closes (closers run in reverse).
    const sequencer = new Sequencer(database.db, auditKey, { logger });
    if (cfg.auditSequencer) sequencer.start();
    closers.push(() => sequencer.stop());
    // Like the sequencer: every process runs it (unless JOBS_INTERVAL_SECONDS=0); an advisory lock picks
    // who changes state each run. SMTP is opened lazily by nodemailer, so a down server costs nothing here.
    const jobs = new Jobs(database.db, {
      intervalMs: cfg.jobsIntervalMs,
      publicUrl: cfg.publicUrl,
      mailer: cfg.mail ? smtpMailer(cfg.mail.smtpUrl, cfg.mail.from) : undefined,
      logger,
    });
    if (cfg.jobsIntervalMs > 0) jobs.start();
    closers.push(() => jobs.stop());
    const { store, embedded, origin } = await openStore(cfg, new URL(cfg.publicUrl).origin);
    if (embedded) closers.splice(1, 0, () => embedded.close());
    let seeded = false;
    if (cfg.seedDemo) seeded = await seedDemo(database.db, store);
    const app = createApp({
      config: cfg,
      database,
      store,
      storageOrigin: origin,
      storageKind: embedded ? 'embedded-s3' : 's3',
      secrets,
      auditKey: { name: auditKey.name, publicKey: auditKey.publicKey },
      logger,
    });
    server.removeAllListeners('request');
    server.on('request', app);
    return {
      url: cfg.publicUrl,
      config: cfg,
      database,
      store,
      server,
      logger,
      sequencer,
      jobs,
      seeded,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

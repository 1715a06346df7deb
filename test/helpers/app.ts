import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { inject } from 'vitest';
import { systemCtx } from '../../api/audit/audit.ts';
import { type Running, start } from '../../api/boot.ts';
import { parseConfig } from '../../api/config.ts';
import { createTokenFor } from '../../api/tokens/tokens.service.ts';
import { ensureUser } from '../../api/users/users.service.ts';
import { withDatabase } from './global-setup.ts';

export interface TestApp extends Running {
  /** A user made ahead of sign-in, with a bearer token of the given scopes. */
  user(opts: {
    email: string;
    name?: string;
    admin?: boolean;
    scopes?: string[];
  }): Promise<{ id: string; token: string }>;
  api(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  /**
   * A community created over HTTP by a platform admin (admin@test.org), with `stewardEmail` appointed
   * its steward; the steward, with a token of every scope.
   */
  community(slug: string, stewardEmail: string, name?: string): Promise<{ id: string; token: string }>;
  stop(): Promise<void>;
}

/**
 * With DATABASE_URL (PostgreSQL runs): a fresh database cloned from the migrated template, and how to drop
 * it. Undefined on PGlite runs.
 */
export async function clonePgTemplate(): Promise<{ url: string; drop: () => Promise<void> } | undefined> {
  const pgUrl = inject('pgUrl');
  if (!pgUrl) return undefined;
  const name = `steward_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(pgUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name} template ${inject('pgTemplate')}`);
  await admin.end();
  return {
    url: withDatabase(pgUrl, name),
    drop: async () => {
      const a = postgres(pgUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/**
 * Starts the whole platform for one test file over real HTTP on a free port: a fresh copy of the
 * migrated database (PGlite, or a PostgreSQL database cloned from the template when DATABASE_URL is
 * set), the embedded S3-protocol server and the development IdP.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'steward-app-'));
  let pglite: PGlite | undefined;
  let databaseUrl = 'memory:';
  let dropDb: (() => Promise<void>) | undefined;
  const clone = await clonePgTemplate();
  if (clone) {
    databaseUrl = clone.url;
    dropDb = clone.drop;
  } else {
    pglite = new PGlite({ loadDataDir: new Blob([readFileSync(inject('pgliteDump'))]) });
  }
  const config = parseConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'silent',
    SEED_DEMO: 'false',
    // Tests run the periodic job when they mean to (`jobs.runOnce()`), never on a timer mid-test.
    JOBS_INTERVAL_SECONDS: '0',
    ...env,
  });
  const running = await start(config, { pglite });
  const db = running.database.db;
  const app: TestApp = {
    ...running,
    async user({ email, name, admin, scopes }) {
      const { user } = await ensureUser(db, systemCtx('test'), {
        email,
        name: name ?? email.split('@')[0],
        isAdmin: admin,
      });
      const { token } = await createTokenFor({ ...systemCtx('test'), db, now: new Date() }, user.id, {
        name: 'test',
        scopes: (scopes ?? ['read', 'download', 'request', 'manage']) as never,
        expiresInDays: 1,
      });
      return { id: user.id, token };
    },
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.token) headers.set('authorization', `Bearer ${init.token}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set('content-type', 'application/json');
        body = JSON.stringify(init.json);
      }
      return fetch(`${running.url}/api/v1${path}`, { redirect: 'manual', ...init, headers, body });
    },
    async community(slug, stewardEmail, name) {
      const admin = await app.user({ email: 'admin@test.org', admin: true });
      const res = await app.api('/communities', {
        method: 'POST',
        token: admin.token,
        json: { slug, name: name ?? slug, stewardEmail },
      });
      if (res.status !== 201)
        throw new Error(`creating community ${slug}: ${res.status} ${await res.text()}`);
      return app.user({ email: stewardEmail });
    },
    async stop() {
      await running.close();
      await dropDb?.();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return app;
}

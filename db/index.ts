import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { type SQL, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema/index.ts';

export { schema };
export type Schema = typeof schema;
/** The database handle every repo takes; a transaction is one too. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type DbKind = 'pglite' | 'postgres';

export interface DbHandle {
  db: Db;
  kind: DbKind;
  /** Applies the committed migrations (idempotent; serialised across processes on PostgreSQL). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/** The rows of a raw statement: postgres.js answers an array, PGlite `{ rows }`. */
export async function queryRows<T>(db: Db, q: SQL): Promise<T[]> {
  const r = await db.execute(q);
  return (Array.isArray(r) ? r : (r as { rows: T[] }).rows) as T[];
}

/** Takes the transaction-scoped advisory lock `key` if it is free: true when this transaction holds it. */
export async function tryXactLock(tx: Db, key: number | SQL): Promise<boolean> {
  const [r] = await queryRows<{ locked: boolean }>(
    tx,
    sql`select pg_try_advisory_xact_lock(${key}) as locked`,
  );
  return r.locked;
}

/**
 * `pg_export_snapshot()` (PostgreSQL, inside a repeatable-read transaction): other connections that
 * `set transaction snapshot` to it read exactly what this transaction reads.
 */
export async function exportSnapshot(tx: Db): Promise<string> {
  const [r] = await queryRows<{ s: string }>(tx, sql`select pg_export_snapshot() as s`);
  return r.s;
}

export const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface OpenDbOptions {
  /** An existing PGlite instance (tests load a migrated copy per file). */
  pglite?: PGlite;
  /** postgres.js pool size. */
  max?: number;
}

/**
 * Opens the database named by `url`:
 * - `postgres://…` or `postgresql://…`: a PostgreSQL server through postgres.js;
 * - `file:DIR`: embedded PGlite in DIR, guarded by a lockfile so a second process cannot open it;
 * - `memory:`: an in-memory PGlite (tests, scratch).
 */
export async function openDb(url: string, options: OpenDbOptions = {}): Promise<DbHandle> {
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options);
  if (options.pglite) return wrapPglite(options.pglite, () => {});
  if (url === 'memory:' || url === 'memory://') return wrapPglite(new PGlite(), () => {});
  if (url.startsWith('file:')) {
    const dir = resolve(url.slice('file:'.length).replace(/^\/\/(?=\/)/, ''));
    mkdirSync(dirname(dir), { recursive: true });
    const release = acquireLock(`${dir}.lock`);
    try {
      const pg = new PGlite(dir);
      await pg.waitReady;
      return wrapPglite(pg, release);
    } catch (err) {
      release();
      throw err;
    }
  }
  throw new Error(
    `DATABASE_URL must start with postgres://, file: or memory: (got "${url.split(':')[0]}:…")`,
  );
}

function openPostgres(url: string, options: OpenDbOptions): DbHandle {
  // Not `max_pipeline: 0` (STACK.md's remedy for slow-down under saturation): with it, postgres.js
  // refuses every `begin` as UNSAFE_TRANSACTION here. The slow-down itself came from the driver's queue,
  // which never compacted while in use and was scanned on every hand-off: db/patches/ mends it.
  const client = postgres(url, { max: options.max ?? 10, onnotice: () => {} });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    async migrate() {
      // One connection holds an advisory lock so two api processes starting together migrate once.
      const lockClient = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await lockClient`select pg_advisory_lock(7263101)`;
        await migratePostgres(drizzlePostgres(lockClient), { migrationsFolder });
        await lockClient`select pg_advisory_unlock(7263101)`;
      } finally {
        await lockClient.end();
      }
    },
    close: () => client.end(),
  };
}

function wrapPglite(pg: PGlite, release: () => void): DbHandle {
  const db = drizzlePglite(pg, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    migrate: () => migratePglite(drizzlePglite(pg), { migrationsFolder }),
    async close() {
      try {
        if (!pg.closed) await pg.close();
      } finally {
        release();
      }
    },
  };
}

/**
 * PGlite has no lock of its own: a second process opening the same directory silently loses writes.
 * The lockfile holds the owner's pid; a lock left by a dead process is taken over.
 */
export function acquireLock(path: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        rmSync(path, { force: true });
      };
      process.on('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new DatabaseLockedError(path, owner);
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not take the database lock ${path}`);
}

export class DatabaseLockedError extends Error {
  constructor(
    readonly lockPath: string,
    readonly pid: number,
  ) {
    super(
      `the embedded database is already in use by process ${pid} (lock ${lockPath}). ` +
        'Stop that process, or point DATA_DIR / DATABASE_URL elsewhere.',
    );
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * What the benchmarks share: the scratch-database URL beside BENCH_DATABASE_URL, the steward (or any
 * script) run as a child process that is ready once its stdout matches, and stopped with SIGTERM, and
 * the gated download's caller (a builder's token under a grant).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { eq } from 'drizzle-orm';
import { systemCtx } from '../api/audit/audit.ts';
import { createTokenFor } from '../api/tokens/tokens.service.ts';
import { ensureUser } from '../api/users/users.service.ts';
import { openDb } from '../db/index.ts';
import { grantees, grants, licenceVersions } from '../db/schema/index.ts';

export const benchBaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The URL of database `name` on the bench's PostgreSQL server. */
export function dbUrl(name: string, base = benchBaseUrl) {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

/** `node --import tsx ...args` with `env` added; resolves when stdout matches `ready`. */
export function startChild(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpMatchArray; ms: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = out.match(ready);
      if (m) {
        child.stdout!.off('data', onData);
        resolve({ child, match: m, ms: performance.now() - t0 });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b) => {
      if (process.env.BENCH_VERBOSE) process.stderr.write(b);
    });
    child.on('exit', (code) => reject(new Error(`child exited with ${code}:\n${out}`)));
  });
}

/** `steward serve` in its own process; `url` uses 127.0.0.1 (what load generators should call). */
export async function serveSteward(env: Record<string, string>, nodeArgs: string[] = []) {
  const s = await startChild([...nodeArgs, 'scripts/steward.ts', 'serve'], env, /running at (http:\/\/\S+)/);
  return { ...s, url: s.match[1].replace('localhost', '127.0.0.1') };
}

export const stopChild = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

/**
 * Bea Builder's download token and a grant in force on `datasetId` (under its first licence version,
 * the seed's, or a new one), written through the services where they exist: the gated download's caller.
 */
export async function builderTokenWithGrant(url: string, datasetId: string): Promise<string> {
  const handle = await openDb(url, { max: 1 });
  try {
    const ctx = systemCtx('bench');
    const { user } = await ensureUser(handle.db, ctx, { email: 'builder@example.org', name: 'Bea Builder' });
    const { token } = await createTokenFor({ ...ctx, db: handle.db, now: new Date() }, user.id, {
      name: 'bench',
      scopes: ['read', 'download'],
      expiresInDays: 1,
    });
    const [existing] = await handle.db
      .select({ id: licenceVersions.id })
      .from(licenceVersions)
      .where(eq(licenceVersions.datasetId, datasetId))
      .orderBy(licenceVersions.version)
      .limit(1);
    const lv =
      existing ??
      (
        await handle.db
          .insert(licenceVersions)
          .values({ datasetId, version: 1, base: 'CC-BY-NC-4.0', text: 'Research only.' })
          .returning({ id: licenceVersions.id })
      )[0];
    const [g] = await handle.db
      .insert(grants)
      .values({
        datasetId,
        kind: 'request',
        licenceVersionId: lv.id,
        expiresAt: new Date(Date.now() + 86_400_000),
      })
      .returning();
    await handle.db.insert(grantees).values({ grantId: g.id, userId: user.id });
    return token;
  } finally {
    await handle.close();
  }
}

import { randomBytes } from 'node:crypto';
import { inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { instanceSettings } from '../db/schema/index.ts';

export interface InstanceSecrets {
  /** Signs session cookies. */
  sessionSecret: string;
  /** Salt of the anonymous actors' IP hashes in the audit log. */
  ipSalt: string;
  /** Keys of the development IdP's cookies. */
  devIdpCookieKey: string;
  /** Client secret of the platform at the development IdP. */
  devIdpClientSecret: string;
}

const KEYS: (keyof InstanceSecrets)[] = ['sessionSecret', 'ipSalt', 'devIdpCookieKey', 'devIdpClientSecret'];

/**
 * Instance secrets live in the database, made once on first start, so that every api process of an
 * instance signs and verifies the same cookies. `INSERT … ON CONFLICT DO NOTHING` makes concurrent
 * first starts agree on one value.
 */
export async function loadInstanceSecrets(db: Db): Promise<InstanceSecrets> {
  await db
    .insert(instanceSettings)
    .values(KEYS.map((key) => ({ key: `secret.${key}`, value: randomBytes(32).toString('base64url') })))
    .onConflictDoNothing();
  const rows = await db
    .select()
    .from(instanceSettings)
    .where(
      inArray(
        instanceSettings.key,
        KEYS.map((k) => `secret.${k}`),
      ),
    );
  const out = {} as InstanceSecrets;
  for (const row of rows) out[row.key.slice('secret.'.length) as keyof InstanceSecrets] = row.value as string;
  return out;
}

/** Sets a flag once; true when this call set it (used so the demo seed runs on first start only). */
export async function claimFlag(db: Db, key: string): Promise<boolean> {
  const rows = await db
    .insert(instanceSettings)
    .values({ key, value: sql`to_jsonb(now())` })
    .onConflictDoNothing()
    .returning({ key: instanceSettings.key });
  return rows.length === 1;
}

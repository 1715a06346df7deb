import { createHash, generateKeyPairSync, type JsonWebKey, randomBytes } from 'node:crypto';
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
  /** The instance's Ed25519 key that signs grant Agreements (JWS); its public half is served as a JWK. */
  signingKey: SigningKey;
}

/** An Ed25519 key pair as JWKs; `kid` is the RFC 7638 thumbprint of the public key. */
export interface SigningKey {
  kid: string;
  privateJwk: JsonWebKey;
  publicJwk: JsonWebKey;
}

const KEYS = ['sessionSecret', 'ipSalt', 'devIdpCookieKey', 'devIdpClientSecret'] as const;

/** RFC 7638 JWK thumbprint of an OKP public key. */
const thumbprint = (jwk: JsonWebKey) =>
  createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x }))
    .digest('base64url');

function signingKeyOf(privateJwk: JsonWebKey): SigningKey {
  const { d: _d, ...publicJwk } = privateJwk;
  const kid = thumbprint(publicJwk);
  return {
    kid,
    privateJwk: { ...privateJwk, kid },
    publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' },
  };
}

/**
 * Instance secrets live in the database, made once on first start, so that every api process of an
 * instance signs and verifies the same cookies. `INSERT … ON CONFLICT DO NOTHING` makes concurrent
 * first starts agree on one value.
 */
export async function loadInstanceSecrets(db: Db): Promise<InstanceSecrets> {
  const ed25519 = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  await db
    .insert(instanceSettings)
    .values([
      ...KEYS.map((key) => ({ key: `secret.${key}`, value: randomBytes(32).toString('base64url') })),
      { key: 'secret.signingKey', value: ed25519 },
    ])
    .onConflictDoNothing();
  const rows = await db
    .select()
    .from(instanceSettings)
    .where(
      inArray(
        instanceSettings.key,
        [...KEYS, 'signingKey'].map((k) => `secret.${k}`),
      ),
    );
  const out = {} as InstanceSecrets;
  for (const row of rows) {
    const key = row.key.slice('secret.'.length);
    if (key === 'signingKey') out.signingKey = signingKeyOf(row.value as JsonWebKey);
    else out[key as (typeof KEYS)[number]] = row.value as string;
  }
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

import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { instanceSettings } from '../../db/schema/index.ts';

/**
 * Checkpoints in the C2SP formats (c2sp.org/tlog-checkpoint, c2sp.org/signed-note):
 *
 *   <origin>\n<tree size>\n<base64 root>\n      ← the note text, which is what is signed
 *   \n
 *   — <key name> base64(key ID (4 bytes) || Ed25519 signature (64 bytes))\n
 *
 * key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]. The key name is the origin.
 */

export interface AuditKey {
  /** Key name and checkpoint origin, e.g. `steward.example.org/audit`. */
  name: string;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Buffer;
  keyId: Buffer;
  /** Never logged, never in the audit details: stays inside this module's callers. */
  privateKey: KeyObject;
}

const SETTING = 'secret.auditSigningKey';

export function keyIdOf(name: string, publicKey: Buffer): Buffer {
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.from([1]), publicKey]))
    .digest()
    .subarray(0, 4);
}

function rawPublic(k: KeyObject): Buffer {
  return Buffer.from(k.export({ format: 'jwk' }).x as string, 'base64url');
}

/**
 * The instance's checkpoint key: generated once (first start, or first CLI use) and kept in
 * instance_settings like the other instance secrets, so every api process signs with the same key.
 * `INSERT … ON CONFLICT DO NOTHING` makes concurrent first starts agree on one key.
 */
export async function loadAuditKey(db: Db, publicUrl: string): Promise<AuditKey> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const name = `${new URL(publicUrl).host}/audit`;
  await db
    .insert(instanceSettings)
    .values({
      key: SETTING,
      value: { name, privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64') },
    })
    .onConflictDoNothing();
  return readAuditKey(db) as Promise<AuditKey>;
}

/** The stored key, or undefined when none was ever made. */
export async function readAuditKey(db: Db): Promise<AuditKey | undefined> {
  const [row] = await db.select().from(instanceSettings).where(eq(instanceSettings.key, SETTING));
  if (!row) return undefined;
  const v = row.value as { name: string; privateKey: string };
  const privateKey = createPrivateKey({
    key: Buffer.from(v.privateKey, 'base64'),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = rawPublic(createPublicKey(privateKey));
  return { name: v.name, publicKey, keyId: keyIdOf(v.name, publicKey), privateKey };
}

/** The checkpoint body that is signed. */
export function checkpointText(origin: string, size: number, root: Buffer): string {
  return `${origin}\n${size}\n${root.toString('base64')}\n`;
}

export interface SignedCheckpoint {
  size: number;
  /** hex */
  root: string;
  /** base64(key ID || signature), as on the note's signature line */
  signature: string;
  keyId: string;
  note: string;
}

export function signCheckpoint(key: AuditKey, size: number, root: Buffer): SignedCheckpoint {
  const text = checkpointText(key.name, size, root);
  const sig = sign(null, Buffer.from(text), key.privateKey);
  const signature = Buffer.concat([key.keyId, sig]).toString('base64');
  return {
    size,
    root: root.toString('hex'),
    signature,
    keyId: key.keyId.toString('hex'),
    note: `${text}\n— ${key.name} ${signature}\n`,
  };
}

function publicKeyObject(raw: Buffer): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
}

/**
 * Checks a signed note against the key (name + raw public key): its text must be a checkpoint for
 * (size, root) and a signature line from that key must verify. Returns a reason when it does not.
 */
export function checkNote(
  note: string,
  name: string,
  publicKey: Buffer,
  expect: { size: number; root: Buffer },
): string | undefined {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return 'not a signed note';
  const text = note.slice(0, split + 1);
  if (text !== checkpointText(name, expect.size, expect.root))
    return 'note text does not match the checkpoint';
  const keyId = keyIdOf(name, publicKey);
  const k = publicKeyObject(publicKey);
  for (const line of note.slice(split + 2).split('\n')) {
    const m = /^— (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const raw = Buffer.from(m[2], 'base64');
    if (raw.length !== 68 || !raw.subarray(0, 4).equals(keyId)) continue;
    return verify(null, Buffer.from(text), k, raw.subarray(4)) ? undefined : 'signature does not verify';
  }
  return 'no signature by the instance key';
}

/** The key in the vkey form Go's note package and the tlog tools read: name+keyid+base64(0x01||key). */
export function verifierKey(name: string, publicKey: Buffer): string {
  return `${name}+${keyIdOf(name, publicKey).toString('hex')}+${Buffer.concat([Buffer.from([1]), publicKey]).toString('base64')}`;
}

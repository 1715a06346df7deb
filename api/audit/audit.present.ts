import type { auditCheckpoints } from '../../db/schema/index.ts';
import { verifierKey } from './checkpoint.ts';

export interface AuditPublicKey {
  name: string;
  publicKey: Buffer;
}

/** A signed checkpoint as served: the C2SP note, its parts, and the key to check it with. */
export function presentCheckpoint(row: typeof auditCheckpoints.$inferSelect, key: AuditPublicKey) {
  return {
    size: row.size,
    root: row.root,
    signature: row.signature,
    publicKey: key.publicKey.toString('base64'),
    keyName: key.name,
    verifierKey: verifierKey(key.name, key.publicKey),
    note: row.note,
    createdAt: row.createdAt,
  };
}

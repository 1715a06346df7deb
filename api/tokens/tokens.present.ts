import type { apiTokens } from '../../db/schema/index.ts';

type TokenRow = typeof apiTokens.$inferSelect;

/** The fields of a token that leave the server; never its hash. */
export function presentToken(row: TokenRow) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
  };
}

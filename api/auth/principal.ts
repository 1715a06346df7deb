import type { TokenScope } from '../../db/schema/enums.ts';
import type { Actor, AppAbility, GrantRef, Membership } from '../../policies/index.ts';
import { defineAbilityFor } from '../../policies/index.ts';

/**
 * What the principal queries return for a signed-in caller. Memberships and grants in force arrive as
 * JSON *text*: the text is both the cache key and, on a miss only, the input to JSON.parse.
 */
export interface PrincipalRow {
  userId: string;
  isAdmin: boolean;
  memberships: string;
  grants: string;
  tokenId?: string | null;
  scopes?: string[] | null;
}

const MAX_ENTRIES = 10_000;
const cache = new Map<string, { actor: Actor; ability: AppAbility }>();

/**
 * The actor and its CASL ability for a principal row, memoised on everything the ability is built from.
 *
 * Not a session cache: the row is read from the database on every request (grants in force are decided
 * there with `now()`), so a revoked grant or a deleted membership changes the key at once. What is saved
 * is only the pure build (~100 µs with 100 grants). Bounded; oldest entries go first. Safe with many api
 * processes, since each entry is a pure function of its key.
 */
export function actorFor(p: PrincipalRow): { actor: Actor; ability: AppAbility } {
  const scopes = p.scopes ?? null;
  const key = `${p.userId}|${p.isAdmin ? 1 : 0}|${p.tokenId ?? ''}|${scopes?.join(',') ?? ''}|${p.memberships}|${p.grants}`;
  const hit = cache.get(key);
  if (hit) {
    // Refresh recency so a busy caller's entry is not the next to go.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const actor: Actor = {
    kind: 'user',
    userId: p.userId,
    isAdmin: p.isAdmin,
    memberships: JSON.parse(p.memberships) as Membership[],
    grants: JSON.parse(p.grants) as GrantRef[],
    ...(p.tokenId && scopes ? { token: { id: p.tokenId, scopes: scopes as TokenScope[] } } : {}),
  };
  const entry = { actor, ability: defineAbilityFor(actor) };
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(key, entry);
  return entry;
}

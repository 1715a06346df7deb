import canonicalize from 'canonicalize';
import { sql } from 'drizzle-orm';
import { auditEvents } from '../../db/schema/index.ts';
import { CANONICAL_KEYS, type CanonicalEvent, type CanonicalKey } from './canonical.ts';
import { leafHash } from './merkle.ts';

export { CANONICAL_KEYS, jsonCanonical } from './canonical.ts';

/** `at` as the canonical text, made by PostgreSQL so that no precision is lost on the way. */
export const atText = sql<string>`to_char(${auditEvents.at} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The drizzle select list that yields a CanonicalEvent per row. */
export const canonicalColumns = {
  seq: auditEvents.seq,
  at: atText,
  actorType: auditEvents.actorType,
  actorId: auditEvents.actorId,
  actorTokenId: auditEvents.actorTokenId,
  actorIpHash: auditEvents.actorIpHash,
  action: auditEvents.action,
  communityId: auditEvents.communityId,
  datasetId: auditEvents.datasetId,
  subjectType: auditEvents.subjectType,
  subjectId: auditEvents.subjectId,
  purpose: auditEvents.purpose,
  // Read as text and parsed once: drizzle's jsonb mapping would also decode a JSON *string* value,
  // and the hash must see the value exactly as stored.
  details: sql<Record<string, unknown>>`${auditEvents.details}::text`.mapWith((v: string) => JSON.parse(v)),
  requestId: auditEvents.requestId,
} satisfies Record<CanonicalKey, unknown>;

if (Object.keys(canonicalColumns).sort().join() !== CANONICAL_KEYS.join())
  throw new Error('canonicalColumns and CANONICAL_KEYS name different fields');
const KEYS = CANONICAL_KEYS;
const PREFIXES = KEYS.map((k, i) => `${i ? ',' : '{'}${JSON.stringify(k)}:`);

/**
 * RFC 8785 JSON of an event. Equal to `canonicalize(event)` (a unit test checks it) but without
 * sorting the fixed top-level keys on every call: the verifier runs this a million times.
 */
export function canonicalEvent(e: CanonicalEvent): string {
  let out = '';
  for (let i = 0; i < KEYS.length; i++) {
    const v = e[KEYS[i]];
    out += PREFIXES[i];
    if (v === null || v === undefined) out += 'null';
    else if (typeof v === 'string') out += JSON.stringify(v);
    else if (typeof v === 'number') out += canonicalize(v);
    else out += canonicalize(v);
  }
  return `${out}}`;
}

/** The event's hash: its RFC 6962 leaf hash. */
export function eventHash(e: CanonicalEvent): Buffer {
  return leafHash(canonicalEvent(e));
}

/**
 * What is hashed for an audit event, byte for byte (README, "The audit log"; the standalone
 * scripts/verify-community-log.mjs reproduces it):
 *
 *   leaf hash = SHA-256(0x00 || UTF-8 of the RFC 8785 canonical JSON of the object below)
 *
 *   { action, actorId, actorIpHash, actorTokenId, actorType, at, communityId, datasetId, details,
 *     purpose, requestId, seq, subjectId, subjectType }
 *
 * All fourteen keys are always present (null when empty). `seq` is a JSON number; `at` is the UTC
 * time with microseconds, `YYYY-MM-DDTHH:MM:SS.ffffffZ` (PostgreSQL keeps microseconds, a JS Date
 * would drop them); ids are the lower-case UUID text; `details` is the JSON object as stored.
 * The leaf hash is the event's hash: the same bytes are the leaf of the RFC 6962 tree.
 */
export interface CanonicalEvent {
  seq: number;
  at: string;
  actorType: string;
  actorId: string | null;
  actorTokenId: string | null;
  actorIpHash: string | null;
  action: string;
  communityId: string | null;
  datasetId: string | null;
  subjectType: string;
  subjectId: string;
  purpose: string | null;
  details: Record<string, unknown>;
  requestId: string | null;
}

export type CanonicalKey = keyof CanonicalEvent;

/**
 * The fourteen keys in RFC 8785 order (UTF-16 code units, what the default sort does). Written out
 * rather than derived from the drizzle columns, so that the verifier's worker threads load this module
 * without the schema (event-hash.ts checks that the two agree).
 */
export const CANONICAL_KEYS: readonly CanonicalKey[] = [
  'action',
  'actorId',
  'actorIpHash',
  'actorTokenId',
  'actorType',
  'at',
  'communityId',
  'datasetId',
  'details',
  'purpose',
  'requestId',
  'seq',
  'subjectId',
  'subjectType',
];

/**
 * RFC 8785 JSON of a value that came out of `JSON.parse` (so: no cycles, no toJSON, no undefined, no
 * lone surrogates, finite numbers). Equal to `canonicalize(v)` (a property test checks it) without its
 * per-call bookkeeping: the verifier runs it on a million `details` objects. Numbers and strings are
 * serialised by JSON.stringify, which is RFC 8785's ECMAScript serialisation.
 */
export function jsonCanonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + jsonCanonical(v[i]);
    return `${out}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++)
    out += `${i ? ',' : ''}${JSON.stringify(keys[i])}:${jsonCanonical(o[keys[i]])}`;
  return `${out}}`;
}

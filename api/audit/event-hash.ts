import canonicalize from 'canonicalize';
import { sql } from 'drizzle-orm';
import { auditEvents } from '../../db/schema/index.ts';
import { leafHash } from './merkle.ts';

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
};

// RFC 8785 orders keys by UTF-16 code units, which is what the default sort does.
const KEYS = Object.keys(canonicalColumns).sort() as (keyof CanonicalEvent)[];
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

const AT_SQL = `to_char(e.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const COLUMN_SQL: Record<keyof CanonicalEvent, string> = {
  seq: 'e.seq',
  at: AT_SQL,
  actorType: 'e.actor_type',
  actorId: 'e.actor_id',
  actorTokenId: 'e.actor_token_id',
  actorIpHash: 'e.actor_ip_hash',
  action: 'e.action',
  communityId: 'e.community_id',
  datasetId: 'e.dataset_id',
  subjectType: 'e.subject_type',
  subjectId: 'e.subject_id',
  purpose: 'e.purpose',
  details: 'e.details',
  requestId: 'e.request_id',
};
function part(keys: (keyof CanonicalEvent)[], open: boolean, close: boolean): string {
  const pieces = keys.map((k, i) => {
    const lit = `${i === 0 && open ? '{' : ','}${JSON.stringify(k)}:`;
    // to_json(text)::text escapes exactly as JSON.stringify does (", \, \b \f \n \r \t, \u00xx).
    const value = k === 'seq' ? 'e.seq::text' : `coalesce(to_json(${COLUMN_SQL[k]})::text, 'null')`;
    return `'${lit}' || ${value}`;
  });
  return `(${pieces.join(' || ')}${close ? ` || '}'` : ''})`;
}
const d = KEYS.indexOf('details');

/**
 * For bulk work (the sequencer, the verifier): PostgreSQL writes the canonical JSON of every field but
 * `details` (fixed keys, strings escaped by to_json exactly as JSON.stringify does), so JavaScript only
 * parses and canonicalises `details`. Select list over `audit_events e`: `pre`, `details`, `post`.
 * A test checks that `joinCanonical` of these equals `canonicalEvent` of the row.
 */
export const canonicalPartsSql = `${part(KEYS.slice(0, d), true, false)} || ',"details":' as pre, e.details::text as details, ${part(KEYS.slice(d + 1), false, true)} as post`;

/** The canonical JSON from the parts `canonicalPartsSql` selects. */
export function joinCanonical(pre: string, details: string, post: string): string {
  return `${pre}${details === '{}' ? '{}' : canonicalize(JSON.parse(details))}${post}`;
}

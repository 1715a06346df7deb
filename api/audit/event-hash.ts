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
export const CANONICAL_KEYS = Object.keys(canonicalColumns).sort() as (keyof CanonicalEvent)[];
const KEYS = CANONICAL_KEYS;
const PREFIXES = KEYS.map((k, i) => `${i ? ',' : '{'}${JSON.stringify(k)}:`);

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

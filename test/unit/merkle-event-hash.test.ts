import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CANONICAL_KEYS, canonicalEvent, eventHash, jsonCanonical } from '../../api/audit/event-hash.ts';
import {
  canonicalAt,
  canonicalFromColumns,
  copyField,
  leafHashFromColumns,
} from '../../api/audit/event-rows.ts';
import { leafHash } from '../../api/audit/merkle.ts';

const text = fc.string({ unit: 'grapheme', maxLength: 30 });
const nullable = fc.option(text, { nil: null });
const event = fc.record({
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  at: fc.constant('2026-11-26T06:00:00.123456Z'),
  actorType: text,
  actorId: nullable,
  actorTokenId: nullable,
  actorIpHash: nullable,
  action: text,
  communityId: nullable,
  datasetId: nullable,
  subjectType: text,
  subjectId: text,
  purpose: nullable,
  details: fc.dictionary(text, fc.jsonValue({ maxDepth: 2 })) as fc.Arbitrary<Record<string, unknown>>,
  requestId: nullable,
});

describe('the event hash', () => {
  it('the fast serialiser is byte for byte RFC 8785 (the canonicalize library)', () => {
    fc.assert(
      fc.property(event, (e) => {
        const clean = JSON.parse(JSON.stringify(e)); // what comes back from the database: JSON values only
        expect(canonicalEvent(clean)).toBe(canonicalize(clean));
      }),
      { numRuns: 500 },
    );
  });

  it('is SHA-256(0x00 || canonical JSON), over all fourteen fields in sorted order', () => {
    const e = {
      seq: 7,
      at: '2026-11-26T06:00:00.000001Z',
      actorType: 'user',
      actorId: null,
      actorTokenId: null,
      actorIpHash: null,
      action: 'download.issued',
      communityId: null,
      datasetId: null,
      subjectType: 'File',
      subjectId: 'f',
      purpose: null,
      details: { b: 1, a: [1e21, 'é'] },
      requestId: 'r',
    };
    expect(canonicalEvent(e)).toBe(
      '{"action":"download.issued","actorId":null,"actorIpHash":null,"actorTokenId":null,"actorType":"user","at":"2026-11-26T06:00:00.000001Z","communityId":null,"datasetId":null,"details":{"a":[1e+21,"é"],"b":1},"purpose":null,"requestId":"r","seq":7,"subjectId":"f","subjectType":"File"}',
    );
    expect(eventHash(e).equals(leafHash(canonicalEvent(e)))).toBe(true);
  });
});

describe('the bulk serialiser (column texts → canonical JSON)', () => {
  it('jsonCanonical is byte for byte the canonicalize library on parsed JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        const clean = JSON.parse(JSON.stringify(v));
        expect(jsonCanonical(clean)).toBe(canonicalize(clean));
      }),
      { numRuns: 1000 },
    );
  });

  it('turns PostgreSQL timestamptz text (UTC, ISO) into six-digit microseconds', () => {
    expect(canonicalAt('2026-11-26 06:00:00.123456+00')).toBe('2026-11-26T06:00:00.123456Z');
    expect(canonicalAt('2026-11-26 06:00:00.1+00')).toBe('2026-11-26T06:00:00.100000Z');
    expect(canonicalAt('2026-11-26 06:00:00+00')).toBe('2026-11-26T06:00:00.000000Z');
    expect(() => canonicalAt('2026-11-26 07:00:00+01')).toThrow(/UTC/);
    expect(() => canonicalAt('11/26/2026 06:00:00 UTC')).toThrow(/ISO/);
  });

  it('reads COPY text fields: \\N is NULL, escapes undone', () => {
    expect(copyField('plain')).toBe('plain');
    expect(copyField('\\N')).toBeNull();
    expect(copyField('\\\\N')).toBe('\\N');
    expect(copyField('a\\tb\\nc\\rd\\\\e\\bf\\fg\\vh')).toBe('a\tb\nc\rd\\e\bf\fg\vh');
  });

  it('equals canonicalEvent and eventHash for any event', () => {
    // As stored: the id columns are uuid, so their text is a lower-case UUID.
    const uuid = fc.option(fc.uuid(), { nil: null });
    const stored = fc
      .tuple(event, uuid, uuid, uuid, uuid)
      .map(([e, actorId, actorTokenId, communityId, datasetId]) => ({
        ...e,
        actorId,
        actorTokenId,
        communityId,
        datasetId,
      }));
    fc.assert(
      fc.property(stored, (e) => {
        const clean = JSON.parse(JSON.stringify(e));
        // The texts PostgreSQL hands over: jsonb with its own spacing and key order, seq as digits.
        const texts = CANONICAL_KEYS.map((k) => {
          const v = clean[k];
          if (k === 'at') return '2026-11-26 06:00:00.123456+00';
          if (k === 'details') return JSON.stringify(v, null, 1);
          if (k === 'seq') return String(v);
          return v;
        });
        expect(canonicalFromColumns(['x', ...texts], 1)).toBe(canonicalEvent(clean));
        expect(leafHashFromColumns(texts, 0).equals(eventHash(clean))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

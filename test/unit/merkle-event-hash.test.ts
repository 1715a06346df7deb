import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalEvent, eventHash } from '../../api/audit/event-hash.ts';
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

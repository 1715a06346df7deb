import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalAtMicros, flatJsonb, LeafWriter } from '../../api/audit/event-binary.ts';
import { CANONICAL_KEYS, canonicalEvent, jsonCanonical } from '../../api/audit/event-hash.ts';
import { canonicalAt } from '../../api/audit/event-rows.ts';
import { Latin1TreeBuilder, leafHash, TreeBuilder } from '../../api/audit/merkle.ts';

/** PostgreSQL's jsonb text: keys by length then bytes, ": " and ", " (numbers and strings as JSON). */
function jsonbText(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(jsonbText).join(', ')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort((a, b) => {
    const [x, y] = [Buffer.from(a), Buffer.from(b)];
    return x.length - y.length || Buffer.compare(x, y);
  });
  return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonbText(o[k])}`).join(', ')}}`;
}

const fast = (text: string) => {
  const src = Buffer.from(text);
  const out = Buffer.alloc(src.length + 8);
  const n = flatJsonb(src, 0, src.length, out, 3);
  return n < 0 ? undefined : out.toString('utf8', 3, n);
};

describe('the binary COPY serialiser (verify on PostgreSQL)', () => {
  it('takes the flat-object shortcut only where it equals jsonCanonical', () => {
    const value = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 8 }),
      fc.integer(),
      fc.maxSafeInteger(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      fc.jsonValue({ maxDepth: 1 }),
    );
    const key = fc.oneof(fc.string({ maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 4 }));
    let taken = 0;
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (v) => {
        const clean = JSON.parse(JSON.stringify(v));
        const got = fast(jsonbText(clean));
        if (got !== undefined) {
          taken++;
          expect(got).toBe(jsonCanonical(clean));
        }
      }),
      { numRuns: 3000 },
    );
    expect(taken).toBeGreaterThan(100);
    // What the log mostly holds takes it; anything unusual does not.
    expect(fast('{"name": "part-1.parquet", "size": 1024, "tier": "gated"}')).toBe(
      '{"name":"part-1.parquet","size":1024,"tier":"gated"}',
    );
    expect(fast('{}')).toBe('{}');
    expect(fast('{"a": true, "b": null, "c": false, "d": -5}')).toBe('{"a":true,"b":null,"c":false,"d":-5}');
    for (const odd of [
      '{"b": 1, "aa": 2}', // jsonb's order is not RFC 8785's
      '{"a": 1.50}',
      '{"a": 1e3}',
      '{"a": -0}',
      '{"a": 01}',
      '{"a": 1234567890123456}',
      '{"a": "x\\ny"}',
      '{"é": 1}',
      '{"a": [1]}',
      '{"a": {}}',
      '{"a": 1',
      '{"a": 1}x',
    ])
      expect(fast(odd)).toBeUndefined();
  });

  it('formats microseconds since 2000 as the canonical time', () => {
    expect(canonicalAtMicros(0)).toBe('2000-01-01T00:00:00.000000Z');
    expect(canonicalAtMicros(-1)).toBe('1999-12-31T23:59:59.999999Z');
    fc.assert(
      fc.property(fc.integer({ min: -946_684_800_000_000 + 1, max: 7_000_000_000_000_000 }), (us) => {
        const ms = Math.floor(us / 1000) + 946_684_800_000;
        const d = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
        const micro = String(((us % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0');
        const text = `${d.slice(0, 10)} ${d.slice(11, 19)}.${micro}+00`;
        expect(canonicalAtMicros(us)).toBe(canonicalAt(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('builds the same tree from latin1 strings as from Buffers', () => {
    const a = new TreeBuilder();
    const b = new Latin1TreeBuilder();
    expect(b.root().equals(a.root())).toBe(true);
    for (let i = 0; i < 70; i++) {
      const h = leafHash(`leaf ${i}`);
      a.push(h);
      b.push(h.toString('latin1'));
      expect(b.root().equals(a.root())).toBe(true);
    }
  });

  it('writes 0x00 || canonicalEvent from a binary COPY row', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 20 });
    const nullable = fc.option(text, { nil: null });
    const uuid = fc.option(fc.uuid(), { nil: null });
    const ev = fc.record({
      seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      us: fc.integer({ min: 0, max: 1_000_000_000_000_000 }),
      actorType: text,
      actorId: uuid,
      actorTokenId: uuid,
      actorIpHash: nullable,
      action: text,
      communityId: uuid,
      datasetId: uuid,
      subjectType: text,
      subjectId: text,
      purpose: nullable,
      details: fc.oneof(
        fc.dictionary(text, fc.jsonValue({ maxDepth: 2 })),
        fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.integer(), fc.string({ maxLength: 5 }))),
      ) as fc.Arbitrary<Record<string, unknown>>,
      requestId: nullable,
    });
    const w = new LeafWriter();
    fc.assert(
      fc.property(ev, ({ us, ...rest }) => {
        const e = JSON.parse(JSON.stringify({ ...rest, at: canonicalAtMicros(us) }));
        // One row: 3 leading fields that are not the event's, then the fourteen in canonical key order.
        const fields: (Buffer | null)[] = [Buffer.from('x'), null, Buffer.from('yz')];
        for (const k of CANONICAL_KEYS) {
          const v = k === 'at' ? null : e[k];
          if (k === 'at') {
            const b = Buffer.alloc(8);
            b.writeBigInt64BE(BigInt(us));
            fields.push(b);
          } else if (v === null) fields.push(null);
          else if (k === 'seq') {
            const b = Buffer.alloc(8);
            b.writeBigInt64BE(BigInt(v));
            fields.push(b);
          } else if (k === 'details')
            fields.push(Buffer.concat([Buffer.from([1]), Buffer.from(jsonbText(v))]));
          else if (['actorId', 'actorTokenId', 'communityId', 'datasetId'].includes(k))
            fields.push(Buffer.from(String(v).replaceAll('-', ''), 'hex'));
          else fields.push(Buffer.from(String(v)));
        }
        const src = Buffer.concat([Buffer.from('junk'), ...fields.map((f) => f ?? Buffer.alloc(0))]);
        const pos = new Int32Array(fields.length);
        const len = new Int32Array(fields.length);
        let p = 4;
        fields.forEach((f, i) => {
          pos[i] = p;
          len[i] = f ? f.length : -1;
          p += f ? f.length : 0;
        });
        const n = w.write(src, pos, len, 3);
        expect(w.out[0]).toBe(0);
        expect(w.out.toString('utf8', 1, n)).toBe(canonicalEvent(e));
      }),
      { numRuns: 1000 },
    );
  });
});

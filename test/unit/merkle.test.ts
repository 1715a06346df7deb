import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  type NodeReader,
  nodeHash,
  splitPoint,
  TreeBuilder,
  verifyConsistency,
  verifyInclusion,
} from '../../api/audit/merkle.ts';

/** RFC 6962 §2.1 written out literally, over the list of leaf hashes. */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return emptyRoot();
  if (leaves.length === 1) return leaves[0];
  const k = splitPoint(leaves.length);
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
function refPath(m: number, d: Buffer[]): Buffer[] {
  if (d.length === 1) return [];
  const k = splitPoint(d.length);
  return m < k
    ? [...refPath(m, d.slice(0, k)), mth(d.slice(k))]
    : [...refPath(m - k, d.slice(k)), mth(d.slice(0, k))];
}
function refSubproof(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const k = splitPoint(d.length);
  return m <= k
    ? [...refSubproof(m, d.slice(0, k), b), mth(d.slice(k))]
    : [...refSubproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}

/** Builds a tree of n leaves and the store of perfect subtrees the sequencer would keep. */
function build(n: number) {
  const leaves = Array.from({ length: n }, (_, i) => leafHash(`event ${i}`));
  const nodes = new Map<string, Buffer>();
  for (const [i, h] of leaves.entries()) nodes.set(`0:${i}`, h);
  const b = new TreeBuilder((level, index, hash) => nodes.set(`${level}:${index}`, hash));
  const roots = [emptyRoot()];
  for (const h of leaves) {
    b.push(h);
    roots.push(b.root());
  }
  const get: NodeReader = (level, index) => {
    const h = nodes.get(`${level}:${index}`);
    if (!h) throw new Error(`missing node ${level}:${index}`);
    return h;
  };
  return { leaves, roots, get };
}

describe('RFC 6962 Merkle tree', () => {
  it('hashes leaves and nodes with the 0x00 / 0x01 prefixes (RFC 6962 test vector: empty leaf)', () => {
    expect(emptyRoot().toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(leafHash('').toString('hex')).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
  });

  it('the incremental root equals MTH at every size', () => {
    const { leaves, roots } = build(70);
    for (let n = 0; n <= 70; n++) expect(roots[n].equals(mth(leaves.slice(0, n)))).toBe(true);
  });

  it('inclusion proofs equal RFC PATH and verify; a wrong leaf, index or root does not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), fc.nat(), (n, r) => {
        const { leaves, roots, get } = build(n);
        const m = r % n;
        const proof = inclusionProof(m, n, get);
        expect(proof.map((p) => p.toString('hex'))).toEqual(refPath(m, leaves).map((p) => p.toString('hex')));
        expect(verifyInclusion(m, n, leaves[m], proof, roots[n])).toBe(true);
        expect(verifyInclusion(m, n, leafHash('forged'), proof, roots[n])).toBe(false);
        if (n > 1) expect(verifyInclusion((m + 1) % n, n, leaves[m], proof, roots[n])).toBe(false);
        expect(verifyInclusion(m, n, leaves[m], proof, leafHash('other root'))).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('consistency proofs equal RFC SUBPROOF and verify; a changed history does not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), fc.nat(), (n, r) => {
        const { leaves, roots, get } = build(n);
        const m = (r % n) + 1;
        const proof = consistencyProof(m, n, get);
        expect(proof.map((p) => p.toString('hex'))).toEqual(
          (m === n ? [] : refSubproof(m, leaves, true)).map((p) => p.toString('hex')),
        );
        expect(verifyConsistency(m, n, roots[m], roots[n], proof)).toBe(true);
        const altered = [...leaves.slice(0, m - 1), leafHash('altered')];
        if (m < n || m === n) {
          expect(verifyConsistency(m, n, mth(altered), roots[n], proof)).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('resumes from the frontier of stored subtrees', () => {
    const { leaves, roots, get } = build(45);
    const resumed = TreeBuilder.resume(37, [get(5, 0), get(2, 8), get(0, 36)]);
    for (const h of leaves.slice(37)) resumed.push(h);
    expect(resumed.root().equals(roots[45])).toBe(true);
  });
});

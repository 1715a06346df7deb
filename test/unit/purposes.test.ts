import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { duoTerms } from '../../policies/duo.ts';
import {
  broaderChain,
  type DeclaredPurpose,
  isPurpose,
  type LicenceTerms,
  matchTerms,
  purposeTerms,
} from '../../policies/purposes.ts';

const GRU = 'DUO:0000042';
const HMB = 'DUO:0000006';
const DS = 'DUO:0000007';
const NRES = 'DUO:0000004';
const NCU = 'DUO:0000046';
const NPU = 'DUO:0000045';
const NPUNCU = 'DUO:0000018';
const NMDS = 'DUO:0000015';
const IRB = 'DUO:0000021';
const IS = 'DUO:0000028';

describe('the purpose vocabulary', () => {
  it('is a tree: every broader purpose exists, and chains end at a root', () => {
    for (const t of purposeTerms) if (t.broader) expect(isPurpose(t.broader), t.id).toBe(true);
    expect(broaderChain('disease-specific:MONDO:0005148')).toEqual([
      'disease-specific:MONDO:0005148',
      'health-research',
      'research',
    ]);
    expect(broaderChain('ai-fine-tuning')).toEqual(['ai-fine-tuning', 'ai']);
    expect(broaderChain('journalism')).toEqual(['journalism']);
  });

  it('knows its purposes, and disease-specific ones only with a MONDO id', () => {
    for (const p of ['research', 'ai-training', 'commercial-product', 'disease-specific:MONDO:0007254'])
      expect(isPurpose(p), p).toBe(true);
    for (const p of [
      'disease-specific',
      'disease-specific:MONDO:1',
      'disease-specific:DOID:1234567',
      'fun',
      '',
    ])
      expect(isPurpose(p), p).toBe(false);
  });

  it('maps to DUO permissions where DUO has one', () => {
    const duo = Object.fromEntries(purposeTerms.filter((t) => t.duo).map((t) => [t.id, t.duo]));
    expect(duo).toEqual({ research: GRU, 'health-research': HMB, 'disease-specific': DS });
  });

  it('names the DUO terms of the standard file, no more and no fewer', () => {
    const csv = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/standards/duo.csv');
    if (!existsSync(csv)) return; // the standards folder sits beside the repo in the workplace and CI
    const rows = readFileSync(csv, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').slice(0, 3));
    const assignable = rows.filter(([, code]) => code).map(([id, code]) => `${id} ${code}`);
    expect(duoTerms.map((t) => `${t.id} ${t.code}`).sort()).toEqual(assignable.sort());
  });
});

const L = (terms: Partial<LicenceTerms>): LicenceTerms => ({
  purposes: [],
  duo: [],
  prohibitions: [],
  ...terms,
});
const P = (category: string, more: Partial<DeclaredPurpose> = {}): DeclaredPurpose => ({
  category,
  commercial: false,
  forProfit: false,
  ...more,
});

describe('matchTerms (the DUOS rules)', () => {
  const table: [string, DeclaredPurpose, LicenceTerms, 'match' | 'no_match' | 'abstain', RegExp?][] = [
    // A purpose matches when the licence permits it or a broader one.
    ['the same purpose', P('ai-training'), L({ purposes: ['ai-training'] }), 'match', /permits ai-training/],
    [
      'a broader purpose',
      P('ai-fine-tuning'),
      L({ purposes: ['ai'] }),
      'match',
      /permits ai, which includes/,
    ],
    ['GRU covers health research', P('health-research'), L({ duo: [GRU] }), 'match', /research/],
    ['HMB covers a disease', P('disease-specific:MONDO:0005148'), L({ duo: [HMB] }), 'match'],
    ['NRES covers everything', P('journalism'), L({ duo: [NRES] }), 'match', /NRES/],
    [
      'the same disease',
      P('disease-specific:MONDO:0005148'),
      L({ purposes: ['disease-specific:MONDO:0005148'] }),
      'match',
    ],
    // A narrower licence does not cover a broader purpose.
    ['research under HMB', P('research'), L({ duo: [HMB] }), 'no_match', /does not permit research/],
    [
      'AI under research',
      P('ai-training'),
      L({ purposes: ['research'] }),
      'no_match',
      /does not permit ai-training/,
    ],
    ['health research under DS', P('health-research'), L({ duo: [DS] }), 'no_match', /DUO DS/],
    ['sibling purposes', P('ai-training'), L({ purposes: ['ai-evaluation'] }), 'no_match'],
    // Commercial use and for-profit organisations.
    [
      'NCU and commercial use',
      P('research', { commercial: true }),
      L({ duo: [GRU, NCU] }),
      'no_match',
      /commercial/,
    ],
    ['NCU and non-commercial use', P('research'), L({ duo: [GRU, NCU] }), 'match'],
    [
      'NCU and a commercial product',
      P('commercial-product'),
      L({ purposes: ['commercial-product'], duo: [NCU] }),
      'no_match',
    ],
    [
      'the commercial prohibition',
      P('research', { commercial: true }),
      L({ duo: [GRU], prohibitions: ['commercial'] }),
      'no_match',
      /prohibits commercial/,
    ],
    [
      'NPU and a for-profit organisation',
      P('research', { forProfit: true }),
      L({ duo: [GRU, NPU] }),
      'no_match',
      /for-profit/,
    ],
    ['NPU and a non-profit', P('research'), L({ duo: [GRU, NPU] }), 'match'],
    [
      'NPUNCU and a company doing research',
      P('research', { forProfit: true }),
      L({ duo: [GRU, NPUNCU] }),
      'no_match',
    ],
    ['NPUNCU and commercial use', P('research', { commercial: true }), L({ duo: [GRU, NPUNCU] }), 'no_match'],
    // No methods or model development.
    ['NMDS and model training', P('ai-training'), L({ purposes: ['ai'], duo: [NMDS] }), 'no_match', /NMDS/],
    ['NMDS and health research', P('health-research'), L({ duo: [GRU, NMDS] }), 'match'],
    [
      'the AI-training prohibition',
      P('ai-fine-tuning'),
      L({ duo: [NRES], prohibitions: ['ai-training'] }),
      'no_match',
      /training/,
    ],
    [
      'the AI-training prohibition and evaluation',
      P('ai-evaluation'),
      L({ duo: [NRES], prohibitions: ['ai-training'] }),
      'match',
    ],
    // What the rules cannot decide goes to reviewers.
    ['an unknown purpose', P('astrology'), L({ duo: [GRU] }), 'abstain', /vocabulary/],
    ['a licence naming no purpose', P('research'), L({}), 'abstain', /no permitted purpose/],
    [
      'another disease',
      P('disease-specific:MONDO:0007254'),
      L({ purposes: ['disease-specific:MONDO:0005148'] }),
      'abstain',
      /ontology/,
    ],
    ['DS without a disease', P('disease-specific:MONDO:0007254'), L({ duo: [DS] }), 'abstain'],
    [
      'NCU, commercial status not said',
      P('research', { commercial: undefined }),
      L({ duo: [GRU, NCU] }),
      'abstain',
      /does not say/,
    ],
    [
      'NPU, organisation not said',
      P('research', { forProfit: undefined }),
      L({ duo: [GRU, NPU] }),
      'abstain',
    ],
    [
      'generative training prohibited',
      P('ai-training'),
      L({ purposes: ['ai'], prohibitions: ['generative-training'] }),
      'abstain',
      /generative/,
    ],
    ['an institution restriction', P('research'), L({ duo: [GRU, IS] }), 'abstain', /institution/],
    // Obligations (ethics approval) do not change the match; exclusions win over doubts.
    ['ethics approval required', P('research'), L({ duo: [GRU, IRB] }), 'match'],
    ['no_match beats abstain', P('astrology', { commercial: true }), L({ duo: [GRU, NCU] }), 'no_match'],
  ];

  it.each(table)('%s', (_name, purpose, licence, result, reason) => {
    const m = matchTerms(purpose, licence);
    expect(m.result).toBe(result);
    expect(m.reasons.length).toBeGreaterThan(0);
    if (reason) expect(m.reasons.join(' | ')).toMatch(reason);
  });

  it('gives every reason for a no_match, not just the first', () => {
    const m = matchTerms(
      P('ai-training', { commercial: true, forProfit: true }),
      L({ purposes: ['research'], duo: [NPUNCU, NMDS] }),
    );
    expect(m.result).toBe('no_match');
    expect(m.reasons).toHaveLength(4);
  });
});

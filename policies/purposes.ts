import { duoId, duoTerm } from './duo.ts';

/**
 * The purpose vocabulary (DOMAIN.md "Purpose vocabulary and matching"): a small tree of what data is used
 * for, each purpose with its broader purpose and, where DUO has one, the DUO permission it maps to.
 * `disease-specific:<MONDO id>` is a family: one purpose per disease, all narrower than `health-research`.
 * Pure data and functions, shared by the api and the web app.
 */
export interface PurposeTerm {
  id: string;
  label: string;
  description: string;
  broader?: string;
  /** The DUO data-use permission that says the same, if any (DUO has no AI codes). */
  duo?: string;
}

export const purposeTerms: readonly PurposeTerm[] = [
  { id: 'research', label: 'Research', description: 'Any research purpose.', duo: duoId('GRU') },
  {
    id: 'health-research',
    label: 'Health research',
    description: 'Health, medical or biomedical research.',
    broader: 'research',
    duo: duoId('HMB'),
  },
  {
    id: 'disease-specific',
    label: 'Disease-specific research',
    description: 'Research on one disease, named by its MONDO id: disease-specific:MONDO:0005148.',
    broader: 'health-research',
    duo: duoId('DS'),
  },
  { id: 'ai', label: 'AI', description: 'Building or studying AI systems.' },
  { id: 'ai-training', label: 'AI training', description: 'Training a model on the data.', broader: 'ai' },
  {
    id: 'ai-fine-tuning',
    label: 'AI fine-tuning',
    description: 'Fine-tuning an existing model on the data.',
    broader: 'ai',
  },
  {
    id: 'ai-evaluation',
    label: 'AI evaluation',
    description: 'Evaluating or benchmarking models with the data.',
    broader: 'ai',
  },
  {
    id: 'commercial-product',
    label: 'Commercial product',
    description: 'A product or service sold or run for profit.',
  },
  { id: 'education', label: 'Education', description: 'Teaching and learning.' },
  { id: 'journalism', label: 'Journalism', description: 'Reporting in the public interest.' },
  {
    id: 'public-service',
    label: 'Public service',
    description: 'Work of a public body for the people it serves.',
  },
];

const byId = new Map(purposeTerms.map((t) => [t.id, t]));
const DISEASE = /^disease-specific:(MONDO:\d{7})$/;

/** The vocabulary term of a purpose (`disease-specific:MONDO:…` → the `disease-specific` term). */
export function purposeTerm(purpose: string): PurposeTerm | undefined {
  return byId.get(DISEASE.test(purpose) ? 'disease-specific' : purpose);
}

/** Whether `purpose` is in the vocabulary. Bare `disease-specific` is not: it needs a MONDO id. */
export const isPurpose = (purpose: string): boolean =>
  purpose !== 'disease-specific' && purposeTerm(purpose) !== undefined;

/** The MONDO id of a disease-specific purpose. */
export const diseaseOf = (purpose: string): string | undefined => DISEASE.exec(purpose)?.[1];

/** The purpose and every broader one, narrowest first: `ai-training` → `['ai-training', 'ai']`. */
export function broaderChain(purpose: string): string[] {
  const chain = [purpose];
  let t = purposeTerm(purpose);
  while (t?.broader) {
    chain.push(t.broader);
    t = byId.get(t.broader);
  }
  return chain;
}

/** Whether `broad` is `narrow` itself or broader than it. */
export const isBroaderOrSame = (broad: string, narrow: string) => broaderChain(narrow).includes(broad);

/** Purposes that develop methods or models: what DUO's NMDS (no general methods research) excludes. */
const methodsDevelopment = new Set(['ai', 'ai-training', 'ai-fine-tuning', 'ai-evaluation']);
/** Purposes that train or adapt a model on the data. */
const training = new Set(['ai', 'ai-training', 'ai-fine-tuning']);

/**
 * What a licence may prohibit. Some exclude purposes (`commercial`, `ai-training`); the others bind how
 * data is handled whatever the purpose, and reviewers read them with the request.
 */
export const prohibitionTerms = [
  { id: 'commercial', label: 'Commercial use' },
  { id: 'redistribution', label: 'Redistribution of the data' },
  { id: 're-identification', label: 'Re-identifying people' },
  { id: 'ai-training', label: 'Training AI models' },
  { id: 'generative-training', label: 'Training generative AI models' },
  { id: 'population-origins-research', label: 'Population origins or ancestry research' },
  { id: 'surveillance', label: 'Surveillance or profiling of people' },
  { id: 'military', label: 'Military use' },
] as const;
export type Prohibition = (typeof prohibitionTerms)[number]['id'];
export const prohibitionIds = prohibitionTerms.map((p) => p.id) as [Prohibition, ...Prohibition[]];

/** A requester's declared purpose, as in an access request. */
export interface DeclaredPurpose {
  category: string;
  description?: string;
  /** Commercial use. Unknown when not said. */
  commercial?: boolean;
  /** Made by or for a for-profit organisation. Unknown when not said. */
  forProfit?: boolean;
}

/** The parts of a licence version that matching reads. */
export interface LicenceTerms {
  purposes: readonly string[];
  duo: readonly string[];
  prohibitions: readonly string[];
}

export interface TermsMatch {
  result: 'match' | 'no_match' | 'abstain';
  reasons: string[];
}

/** DUO modifiers that restrict who or what kind of study, which a declared purpose cannot show. */
const humanModifiers = ['RS', 'GSO', 'US', 'IS', 'PS', 'GS'] as const;

/**
 * The automatic terms match of a declared purpose against a licence, following the DUOS rules:
 * the purpose matches when the licence permits it or a broader purpose (its own purposes and the DUO
 * permissions GRU, HMB, DS; NRES permits everything); NCU / NPUNCU and the `commercial` prohibition
 * exclude commercial use, NPU / NPUNCU for-profit organisations; NMDS excludes methods and model
 * development; an `ai-training` prohibition excludes training. Any exclusion is `no_match`; whatever
 * the rules cannot decide (an unknown purpose, another disease, an undeclared commercial status, a
 * restriction on people or studies) is `abstain`, for reviewers. Every finding is a reason.
 */
export function matchTerms(purpose: DeclaredPurpose, licence: LicenceTerms): TermsMatch {
  const no: string[] = [];
  const unsure: string[] = [];
  const yes: string[] = [];
  const p = purpose.category;
  const duo = new Set(licence.duo.map((id) => duoTerm(id)?.code).filter((c): c is string => !!c));
  const prohibited = new Set(licence.prohibitions);

  if (!isPurpose(p)) {
    unsure.push(`"${p}" is not in the purpose vocabulary`);
  } else {
    // What the licence permits: its own purposes and those of its DUO permissions.
    const permitted = new Set(licence.purposes);
    if (duo.has('GRU')) permitted.add('research');
    if (duo.has('HMB')) permitted.add('health-research');
    const chain = broaderChain(p);
    const disease = diseaseOf(p);
    const otherDiseases = [...permitted].filter((x) => diseaseOf(x) && x !== p);
    if (duo.has('NRES')) {
      yes.push('the licence places no restriction on purpose (DUO NRES)');
    } else if (chain.some((x) => permitted.has(x))) {
      const by = chain.find((x) => permitted.has(x))!;
      yes.push(by === p ? `the licence permits ${p}` : `the licence permits ${by}, which includes ${p}`);
    } else if (disease && otherDiseases.length) {
      unsure.push(
        `the licence permits research on ${otherDiseases.map(diseaseOf).join(', ')}; whether ${disease} falls under it needs the disease ontology`,
      );
    } else if (duo.has('DS') && disease) {
      unsure.push('the licence permits disease-specific research (DUO DS) without naming the disease');
    } else if (duo.has('POA')) {
      unsure.push('the licence permits population origins or ancestry research only (DUO POA)');
    } else if (permitted.size === 0 && !duo.has('DS')) {
      unsure.push('the licence names no permitted purpose');
    } else {
      const named = [...permitted].sort();
      if (duo.has('DS')) named.push('disease-specific research (DUO DS)');
      no.push(`the licence does not permit ${p} (it permits ${named.join(', ')})`);
    }
  }

  const commercial = purpose.commercial === true || p === 'commercial-product';
  const noCommercial = duo.has('NCU') || duo.has('NPUNCU') || prohibited.has('commercial');
  if (noCommercial) {
    const why = prohibited.has('commercial')
      ? 'the licence prohibits commercial use'
      : 'non-commercial use only (DUO NCU)';
    if (commercial) no.push(`${why}, and the use is commercial`);
    else if (purpose.commercial === undefined)
      unsure.push(`${why}, and the request does not say whether the use is commercial`);
  }
  if (duo.has('NPU') || duo.has('NPUNCU')) {
    const why = 'not-for-profit organisations only (DUO NPU)';
    if (purpose.forProfit === true) no.push(`${why}, and the requester's organisation is for-profit`);
    else if (purpose.forProfit === undefined)
      unsure.push(`${why}, and the request does not say whether the organisation is for-profit`);
  }
  if (duo.has('NMDS') && methodsDevelopment.has(p)) {
    no.push(`no methods or model development (DUO NMDS), and ${p} develops models`);
  }
  if (prohibited.has('ai-training') && training.has(p)) {
    no.push(`the licence prohibits training AI models, and ${p} trains one`);
  } else if (prohibited.has('generative-training') && training.has(p)) {
    unsure.push(
      'the licence prohibits training generative models: reviewers decide whether this model is one',
    );
  }
  for (const code of humanModifiers) {
    if (duo.has(code)) {
      const t = duoTerm(duoId(code))!;
      unsure.push(`${t.label} (DUO ${code}) needs a reviewer`);
    }
  }

  if (no.length) return { result: 'no_match', reasons: no };
  if (unsure.length) return { result: 'abstain', reasons: unsure };
  return { result: 'match', reasons: yes };
}

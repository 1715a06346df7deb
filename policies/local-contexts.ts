/**
 * The Local Contexts vocabulary (localcontexts.org): Traditional Knowledge (TK) and Biocultural (BC)
 * Labels, which a community customises with its own text, and the Notices an institution or researcher
 * places until the community's Labels are attached. Pure data, shared by the api (validation, suggestions)
 * and the web app (the dataset page, the label editor, the licence editor's suggestions).
 *
 * A Label never becomes a term by itself: some *suggest* terms (TK Non-Commercial suggests prohibiting
 * commercial use), which a steward confirms in the licence editor. The community's text is what people read.
 */
import type { ReciprocityKind, ReciprocityTiming } from './licence-terms.ts';

export type LabelKind = 'TK' | 'BC' | 'notice';
export type Tier = 'open' | 'registered' | 'gated' | 'restricted' | 'closed';

/** What a label may suggest to the steward: a prohibition, a least tier, a reciprocity term, a purpose. */
export type TermSuggestion =
  | { kind: 'prohibition'; id: string }
  | { kind: 'tier'; atLeast: Tier }
  | { kind: 'reciprocity'; term: { kind: ReciprocityKind; timing: ReciprocityTiming } }
  | { kind: 'purpose'; id: string };

export interface LabelType {
  /** The Local Contexts name, exactly as Local Contexts writes it. */
  name: string;
  kind: LabelKind;
  /** The Local Contexts short code, e.g. "TK NC". */
  code: string;
  /** One line on what the label says (ours, not Local Contexts' template text). */
  summary: string;
  suggests: TermSuggestion[];
}

const attribute: TermSuggestion = {
  kind: 'reciprocity',
  term: { kind: 'attribute', timing: 'before-download' },
};
const nonCommercial: TermSuggestion = { kind: 'prohibition', id: 'commercial' };

export const labelTypes: readonly LabelType[] = [
  // Traditional Knowledge Labels
  {
    name: 'TK Attribution',
    kind: 'TK',
    code: 'TK A',
    summary: 'Name the correct sources, custodians or owners in any use.',
    suggests: [attribute],
  },
  {
    name: 'TK Clan',
    kind: 'TK',
    code: 'TK CL',
    summary: 'Circulated only within a clan.',
    suggests: [{ kind: 'tier', atLeast: 'restricted' }],
  },
  {
    name: 'TK Family',
    kind: 'TK',
    code: 'TK F',
    summary: 'Circulated only within a family.',
    suggests: [{ kind: 'tier', atLeast: 'restricted' }],
  },
  {
    name: 'TK Outreach',
    kind: 'TK',
    code: 'TK O',
    summary: 'For educational outreach.',
    suggests: [{ kind: 'purpose', id: 'education' }],
  },
  {
    name: 'TK Non-Verified',
    kind: 'TK',
    code: 'TK NV',
    summary: 'The community has not verified this material.',
    suggests: [],
  },
  {
    name: 'TK Verified',
    kind: 'TK',
    code: 'TK V',
    summary: 'The community has verified this material.',
    suggests: [],
  },
  {
    name: 'TK Non-Commercial',
    kind: 'TK',
    code: 'TK NC',
    summary: 'Only for non-commercial use.',
    suggests: [nonCommercial],
  },
  {
    name: 'TK Commercial',
    kind: 'TK',
    code: 'TK C',
    summary: 'May be used commercially, with the community.',
    suggests: [],
  },
  {
    name: 'TK Culturally Sensitive',
    kind: 'TK',
    code: 'TK CS',
    summary: 'Culturally sensitive; take care in its use.',
    suggests: [{ kind: 'tier', atLeast: 'gated' }],
  },
  {
    name: 'TK Community Voice',
    kind: 'TK',
    code: 'TK CV',
    summary: 'The community’s own voice on this material.',
    suggests: [],
  },
  {
    name: 'TK Community Use Only',
    kind: 'TK',
    code: 'TK CO',
    summary: 'Traditionally not circulated beyond the community.',
    suggests: [{ kind: 'tier', atLeast: 'gated' }],
  },
  {
    name: 'TK Seasonal',
    kind: 'TK',
    code: 'TK S',
    summary: 'Used or heard only at certain times of the year.',
    suggests: [],
  },
  {
    name: 'TK Women General',
    kind: 'TK',
    code: 'TK WG',
    summary: 'Usually shared among women.',
    suggests: [],
  },
  {
    name: 'TK Men General',
    kind: 'TK',
    code: 'TK MG',
    summary: 'Usually shared among men.',
    suggests: [],
  },
  {
    name: 'TK Men Restricted',
    kind: 'TK',
    code: 'TK MR',
    summary: 'Restricted to men of the community.',
    suggests: [{ kind: 'tier', atLeast: 'restricted' }],
  },
  {
    name: 'TK Women Restricted',
    kind: 'TK',
    code: 'TK WR',
    summary: 'Restricted to women of the community.',
    suggests: [{ kind: 'tier', atLeast: 'restricted' }],
  },
  {
    name: 'TK Secret / Sacred',
    kind: 'TK',
    code: 'TK SS',
    summary: 'Secret or sacred; not for circulation.',
    suggests: [{ kind: 'tier', atLeast: 'closed' }],
  },
  {
    name: 'TK Open to Collaboration',
    kind: 'TK',
    code: 'TK OC',
    summary: 'The community is open to collaboration.',
    suggests: [{ kind: 'reciprocity', term: { kind: 'notify-before-publication', timing: 'after-grant' } }],
  },
  {
    name: 'TK Creative',
    kind: 'TK',
    code: 'TK CR',
    summary: 'A creative work tied to the community’s knowledge.',
    suggests: [attribute],
  },
  // Biocultural Labels
  {
    name: 'BC Provenance',
    kind: 'BC',
    code: 'BC P',
    summary: 'The community is the source of this biocultural material.',
    suggests: [attribute],
  },
  {
    name: 'BC Multiple Communities',
    kind: 'BC',
    code: 'BC MC',
    summary: 'Several communities hold rights in this material.',
    suggests: [],
  },
  {
    name: 'BC Clan',
    kind: 'BC',
    code: 'BC CL',
    summary: 'Circulated only within a clan.',
    suggests: [{ kind: 'tier', atLeast: 'restricted' }],
  },
  {
    name: 'BC Consent Verified',
    kind: 'BC',
    code: 'BC CV',
    summary: 'The community has consent conditions in place.',
    suggests: [],
  },
  {
    name: 'BC Consent Non-Verified',
    kind: 'BC',
    code: 'BC CNV',
    summary: 'The consent for this material has not been verified.',
    suggests: [],
  },
  {
    name: 'BC Research Use',
    kind: 'BC',
    code: 'BC R',
    summary: 'For research use.',
    suggests: [{ kind: 'purpose', id: 'research' }],
  },
  {
    name: 'BC Outreach',
    kind: 'BC',
    code: 'BC O',
    summary: 'For educational outreach.',
    suggests: [{ kind: 'purpose', id: 'education' }],
  },
  {
    name: 'BC Non-Commercial',
    kind: 'BC',
    code: 'BC NC',
    summary: 'Only for non-commercial use.',
    suggests: [nonCommercial],
  },
  {
    name: 'BC Open to Collaboration',
    kind: 'BC',
    code: 'BC CB',
    summary: 'The community is open to collaboration.',
    suggests: [{ kind: 'reciprocity', term: { kind: 'notify-before-publication', timing: 'after-grant' } }],
  },
  {
    name: 'BC Open to Commercialization',
    kind: 'BC',
    code: 'BC OC',
    summary: 'Open to commercialisation, with the community as a primary party.',
    suggests: [{ kind: 'reciprocity', term: { kind: 'contribute-funds', timing: 'after-grant' } }],
  },
  // Notices
  {
    name: 'TK Notice',
    kind: 'notice',
    code: 'TK N',
    summary: 'Traditional knowledge with cultural rights attached; Labels may follow.',
    suggests: [],
  },
  {
    name: 'BC Notice',
    kind: 'notice',
    code: 'BC N',
    summary: 'Biocultural material with rights attached; Labels may follow.',
    suggests: [],
  },
  {
    name: 'Attribution Incomplete',
    kind: 'notice',
    code: 'AI',
    summary: 'The attribution of this material is incomplete or wrong.',
    suggests: [attribute],
  },
  {
    name: 'Open to Collaboration',
    kind: 'notice',
    code: 'OC',
    summary: 'The holder is open to collaborating with the communities concerned.',
    suggests: [],
  },
];

/** Spacing and case do not matter ("TK Secret/Sacred" is "TK Secret / Sacred"); "… Notice" may be added. */
const normalise = (s: string) =>
  s
    .toLowerCase()
    .replace(/\s*\/\s*/g, '/')
    .replace(/\s+/g, ' ')
    .replace(/ notice$/, '')
    .trim();
const byName = new Map(labelTypes.map((t) => [normalise(t.name), t]));

/** The label type of that name (its Local Contexts spelling, or a spacing or case variant), if any. */
export function labelType(name: string): LabelType | undefined {
  return byName.get(normalise(name));
}

const tierOrder: Tier[] = ['open', 'registered', 'gated', 'restricted', 'closed'];
/** True when `tier` is at least as strict as `atLeast`. */
export const tierAtLeast = (tier: Tier, atLeast: Tier) =>
  tierOrder.indexOf(tier) >= tierOrder.indexOf(atLeast);

export interface LabelSuggestion {
  /** The label type suggesting it (its Local Contexts name). */
  label: string;
  suggestion: TermSuggestion;
  /** Already what the dataset's tier and current licence say. */
  satisfied: boolean;
}

/**
 * The terms a dataset's labels suggest, each once (the first label suggesting it names it), and whether
 * the dataset's tier and current licence already carry it. The steward confirms; nothing applies itself.
 */
export function labelSuggestions(
  labels: readonly { type: string }[],
  current: {
    tier: Tier;
    licence?: { prohibitions: string[]; purposes: string[]; reciprocity: { kind: string }[] };
  },
): LabelSuggestion[] {
  const out: LabelSuggestion[] = [];
  const seen = new Set<string>();
  for (const l of labels) {
    for (const s of labelType(l.type)?.suggests ?? []) {
      const key = JSON.stringify(s);
      if (seen.has(key)) continue;
      seen.add(key);
      const lic = current.licence;
      const satisfied =
        s.kind === 'tier'
          ? tierAtLeast(current.tier, s.atLeast)
          : s.kind === 'prohibition'
            ? !!lic?.prohibitions.includes(s.id)
            : s.kind === 'purpose'
              ? !!lic?.purposes.includes(s.id)
              : !!lic?.reciprocity.some((r) => r.kind === s.term.kind);
      out.push({ label: labelType(l.type)?.name ?? l.type, suggestion: s, satisfied });
    }
  }
  return out;
}

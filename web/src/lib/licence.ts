import type { CreateLicence, Licence, ReciprocityTerm, Vocabulary } from './types';

/** A licence's terms as the preview and the dataset page show them: a draft body or a published version. */
export type LicenceView = Omit<CreateLicence, 'duo' | 'base'> & { base: string | null; duo: string[] };

export function viewOf(l: Licence | CreateLicence): LicenceView {
  return {
    ...l,
    base: l.base || null,
    duo: l.duo.map((d) => (typeof d === 'string' ? d : d.id)),
  };
}

/** A purpose's label: `disease-specific:MONDO:0005148` → "Disease-specific research (MONDO:0005148)". */
export function purposeLabel(vocab: Vocabulary | null, id: string): string {
  const disease = /^disease-specific:(.+)$/.exec(id)?.[1];
  const term = vocab?.purposes.find((p) => p.id === (disease ? 'disease-specific' : id));
  if (!term) return id;
  return disease ? `${term.label} (${disease})` : term.label;
}

export const label = (terms: { id: string; label: string }[] | undefined, id: string) =>
  terms?.find((t) => t.id === id)?.label ?? id;

/** One sentence for a reciprocity term, as a requester reads it. */
export function describeTerm(vocab: Vocabulary | null, t: ReciprocityTerm): string {
  const what = label(vocab?.reciprocity.kinds, t.kind);
  const when =
    t.timing === 'before-download'
      ? 'before your first download'
      : t.timing === 'after-grant'
        ? `within ${t.dueDays ?? 'N'} days of your grant`
        : t.timing === 'every-n-months'
          ? `every ${t.everyMonths ?? 'N'} month${t.everyMonths === 1 ? '' : 's'}`
          : 'when your grant ends';
  const proof = t.evidence ? ` (evidence: a ${t.evidence})` : '';
  return `${what} ${when}${proof}.`;
}

/** An empty licence body, for the editor. */
export const emptyLicence = (): CreateLicence => ({
  base: '',
  text: '',
  purposes: [],
  duo: [],
  prohibitions: [],
  constraints: {},
  reciprocity: [],
  decision: { rule: 'single' },
  autoApprove: false,
  maxGrantDays: null,
  fields: [],
});

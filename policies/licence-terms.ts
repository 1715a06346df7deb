/**
 * The words a licence version is written in besides purposes and DUO codes: reciprocity kinds and
 * timings, evidence, request form field types, with the labels people read. Pure data, shared by the
 * api (validation, ODRL) and the web app (the editor and the terms block).
 */
export const reciprocityKinds = [
  { id: 'attribute', label: 'Attribute the community' },
  { id: 'report-use', label: 'Report how the data was used' },
  { id: 'share-derived-data', label: 'Share derived data back' },
  { id: 'share-model', label: 'Share the trained model' },
  { id: 'publish-results', label: 'Publish the results' },
  { id: 'notify-before-publication', label: 'Tell the community before publishing' },
  { id: 'contribute-funds', label: 'Contribute funds (benefit sharing)' },
  { id: 'return-results-to-community', label: 'Return the results to the community' },
  { id: 'delete-at-end', label: 'Delete the data at the end' },
] as const;
export type ReciprocityKind = (typeof reciprocityKinds)[number]['id'];
export const reciprocityKindIds = reciprocityKinds.map((k) => k.id) as [
  ReciprocityKind,
  ...ReciprocityKind[],
];

export const reciprocityTimings = [
  { id: 'before-download', label: 'before the first download' },
  { id: 'after-grant', label: 'within N days of the grant' },
  { id: 'every-n-months', label: 'every N months' },
  { id: 'at-end', label: 'when the grant ends' },
] as const;
export type ReciprocityTiming = (typeof reciprocityTimings)[number]['id'];
export const reciprocityTimingIds = reciprocityTimings.map((k) => k.id) as [
  ReciprocityTiming,
  ...ReciprocityTiming[],
];

export const evidenceKinds = ['link', 'text', 'file'] as const;
export const fieldTypes = ['text', 'choice', 'checkbox', 'date', 'country'] as const;

/** The longest grant a licence may allow, in days (ten years). */
export const MAX_GRANT_DAYS = 3650;

/** One sentence for a reciprocity term, as a requester reads it. */
export function describeTerm(t: {
  kind: string;
  timing: string;
  dueDays?: number;
  everyMonths?: number;
  evidence?: string;
  description?: string;
}): string {
  const what = reciprocityKinds.find((k) => k.id === t.kind)?.label ?? t.kind;
  const when =
    t.timing === 'before-download'
      ? 'before your first download'
      : t.timing === 'after-grant'
        ? `within ${t.dueDays} days of your grant`
        : t.timing === 'every-n-months'
          ? `every ${t.everyMonths} month${t.everyMonths === 1 ? '' : 's'}`
          : 'when your grant ends';
  const proof = t.evidence ? ` (evidence: a ${t.evidence})` : '';
  return `${what} ${when}${proof}.${t.description ? ` ${t.description}` : ''}`;
}

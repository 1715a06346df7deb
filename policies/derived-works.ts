/**
 * Which derived works can be an obligation's evidence: pure data and rules, shared by the api (which
 * refuses the rest) and the web app (which offers only these), so that the two cannot disagree.
 */
export const derivedWorkKinds = ['model', 'dataset', 'paper', 'application'] as const;
export type DerivedWorkKind = (typeof derivedWorkKinds)[number];

/** The derived-work kind that meets a sharing term (other terms take any derived work). */
export const derivedKindFor: Readonly<Record<string, DerivedWorkKind>> = {
  'share-model': 'model',
  'share-derived-data': 'dataset',
};

/**
 * Whether a derived work can be the evidence of an obligation: the term asks for a link (a work gives
 * its link) or for no evidence at all — never a text or a file, which a work does not carry.
 */
export const derivedWorkCanEvidence = (evidenceKind: string | null | undefined) =>
  !evidenceKind || evidenceKind === 'link';

/**
 * Whether a work of `workKind` meets the obligation `o` as evidence (the api's rule: evidence kind, then
 * the sharing term's kind).
 */
export function derivedWorkMeets(
  o: { kind: string; evidenceKind: string | null | undefined },
  workKind: string,
): boolean {
  if (!derivedWorkCanEvidence(o.evidenceKind)) return false;
  const wanted = derivedKindFor[o.kind];
  return !wanted || wanted === workKind;
}

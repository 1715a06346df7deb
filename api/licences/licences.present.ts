import { duoTerm } from '../../policies/duo.ts';
import type { AppAbility, LicenceVersionSubject } from '../../policies/index.ts';
import { subjectOf } from '../../policies/subject.ts';
import type { DatasetWithCommunity } from '../datasets/datasets.repo.ts';
import { offerPath } from './licences.odrl.ts';
import type { LicenceRow } from './licences.repo.ts';

/** The policy subject of a licence version (of one not yet written when `l` is absent). */
export const licenceSubject = (d: DatasetWithCommunity, l?: LicenceRow): LicenceVersionSubject => ({
  id: l?.id ?? '',
  datasetId: d.id,
  communityId: d.communityId,
  status: l?.status ?? 'published',
  datasetStatus: d.status,
  datasetTier: d.tier,
});

/** A licence version as clients read it: the terms, the Offer's URL and what the caller may do. */
export function presentLicence(ability: AppAbility, d: DatasetWithCommunity, l: LicenceRow) {
  return {
    version: l.version,
    status: l.status,
    dataset: d.slug,
    base: l.base || null,
    text: l.text,
    purposes: l.purposes,
    duo: l.duo.map((id) => ({ id, code: duoTerm(id)?.code ?? null, label: duoTerm(id)?.label ?? id })),
    prohibitions: l.prohibitions,
    constraints: l.constraints,
    reciprocity: l.reciprocity,
    decision: l.decision,
    autoApprove: l.autoApprove,
    maxGrantDays: l.maxGrantDays,
    fields: l.fields,
    createdAt: l.createdAt,
    withdrawnAt: l.withdrawnAt,
    offerUrl: offerPath(d.slug, l.version),
    can: { withdraw: ability.can('withdraw', subjectOf('LicenceVersion', licenceSubject(d, l))) },
  };
}

/** The `licence` field of a dataset's JSON: the version in force and its Offer. */
export const presentLicenceRef = (d: DatasetWithCommunity, l: LicenceRow | undefined) =>
  l ? { version: l.version, offerUrl: offerPath(d.slug, l.version) } : null;

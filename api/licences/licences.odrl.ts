import { duoIri, duoTerm, duoTerms } from '../../policies/duo.ts';
import { reciprocityKinds } from '../../policies/licence-terms.ts';
import { diseaseOf, type Prohibition, purposeTerms } from '../../policies/purposes.ts';
import type { DatasetWithCommunity } from '../datasets/datasets.repo.ts';
import type { LicenceRow } from './licences.repo.ts';

/**
 * ODRL 2.2 (https://www.w3.org/TR/odrl-model/) for licence versions: each version is an `Offer` from the
 * community to anyone, and Steward's own terms (purposes, actions ODRL lacks such as returning a
 * derived model) live in a profile served at `/api/v1/odrl/profile.jsonld`.
 */

const ODRL_CONTEXT = 'http://www.w3.org/ns/odrl.jsonld';
const prefixes = {
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  dct: 'http://purl.org/dc/terms/',
  vcard: 'http://www.w3.org/2006/vcard/ns#',
};

export const profileIri = (publicUrl: string) => `${publicUrl}/api/v1/odrl/profile.jsonld`;
export const offerPath = (slug: string, version: number) =>
  `/api/v1/datasets/${slug}/licences/${version}/odrl.jsonld`;

type Term = { id: string; label: string; definition: string };

/** Profile actions: what a requester may be obliged or forbidden to do that ODRL's vocabulary lacks. */
const profileActions: Term[] = [
  {
    id: 'returnDerivedModel',
    label: 'Return the derived model',
    definition: 'Share a model trained or fine-tuned on the asset with its community.',
  },
  {
    id: 'returnDerivedData',
    label: 'Return derived data',
    definition: 'Share data derived from the asset with its community (DUO RTN).',
  },
  {
    id: 'publishResults',
    label: 'Publish results',
    definition: 'Make the results of the use available to the wider community (DUO PUB).',
  },
  {
    id: 'notifyBeforePublication',
    label: 'Notify before publication',
    definition: 'Tell the community before publishing anything made with the asset.',
  },
  {
    id: 'returnResults',
    label: 'Return results to the community',
    definition: 'Bring the results back to the community the data came from, in a form it can use.',
  },
  {
    id: 'reidentify',
    label: 'Re-identify',
    definition: 'Identify people or places the asset was made not to identify.',
  },
  {
    id: 'trainModel',
    label: 'Train a model',
    definition: 'Train or fine-tune a machine-learning model on the asset.',
  },
  {
    id: 'trainGenerativeModel',
    label: 'Train a generative model',
    definition: 'Train or fine-tune a generative model on the asset.',
  },
];

/** Profile left operands. */
const profileLeftOperands: Term[] = [
  {
    id: 'daysAfterGrant',
    label: 'Days after the grant',
    definition: 'The number of days after access was granted by which the duty is due.',
  },
  {
    id: 'dataUseModifier',
    label: 'Data-use modifiers',
    definition: 'The GA4GH DUO data-use modifiers the use accepts.',
  },
];

/** Purposes that licences may prohibit though no one requests them. */
const prohibitedPurposes: Term[] = [
  { id: 'surveillance', label: 'Surveillance', definition: 'Surveillance or profiling of people.' },
  { id: 'military', label: 'Military use', definition: 'Use by or for armed forces.' },
];

/** The ODRL action of each reciprocity kind: ODRL's own where one fits, else the profile's. */
const reciprocityAction: Record<string, string> = {
  attribute: 'attribute',
  'report-use': 'inform',
  'share-derived-data': 'steward:returnDerivedData',
  'share-model': 'steward:returnDerivedModel',
  'publish-results': 'steward:publishResults',
  'notify-before-publication': 'steward:notifyBeforePublication',
  'contribute-funds': 'compensate',
  'return-results-to-community': 'steward:returnResults',
  'delete-at-end': 'delete',
};

const purposeIri = (p: string) => {
  const disease = diseaseOf(p);
  return disease ? `http://purl.obolibrary.org/obo/${disease.replace(':', '_')}` : `steward:${p}`;
};

type Constraint = { leftOperand: string; operator: string; rightOperand: unknown };
type Rule = { target: string; action: string; assigner?: string; constraint?: Constraint[] } & Record<
  string,
  unknown
>;

function prohibitionRule(p: Prohibition, target: string, assigner: string): Rule {
  const purpose = (iri: string): Rule => ({
    target,
    assigner,
    action: 'use',
    constraint: [{ leftOperand: 'purpose', operator: 'eq', rightOperand: { '@id': iri } }],
  });
  switch (p) {
    case 'commercial':
      return { target, assigner, action: 'commercialize' };
    case 'redistribution':
      return { target, assigner, action: 'distribute' };
    case 're-identification':
      return { target, assigner, action: 'steward:reidentify' };
    case 'ai-training':
      return { target, assigner, action: 'steward:trainModel' };
    case 'generative-training':
      return { target, assigner, action: 'steward:trainGenerativeModel' };
    case 'population-origins-research':
      return purpose(duoIri(duoTerms.find((t) => t.code === 'POA')!.id));
    case 'surveillance':
      return purpose('steward:surveillance');
    case 'military':
      return purpose('steward:military');
  }
}

function timingConstraint(t: LicenceRow['reciprocity'][number]): Constraint | undefined {
  switch (t.timing) {
    case 'after-grant':
      return {
        leftOperand: 'steward:daysAfterGrant',
        operator: 'lteq',
        rightOperand: { '@value': String(t.dueDays), '@type': 'xsd:integer' },
      };
    case 'every-n-months':
      return {
        leftOperand: 'timeInterval',
        operator: 'eq',
        rightOperand: { '@value': `P${t.everyMonths}M`, '@type': 'xsd:duration' },
      };
    case 'at-end':
      return { leftOperand: 'event', operator: 'gt', rightOperand: { '@id': 'odrl:policyUsage' } };
    default:
      return undefined;
  }
}

/** The ODRL `Offer` of one licence version of dataset `d`. */
export function offerFor(publicUrl: string, d: DatasetWithCommunity, l: LicenceRow) {
  const target = `${publicUrl}/api/v1/datasets/${d.slug}`;
  const assigner = `${publicUrl}/api/v1/communities/${d.communitySlug}`;
  const duo = l.duo.map((id) => duoTerm(id)!).filter(Boolean);
  const unrestricted = duo.some((t) => t.code === 'NRES');

  const constraint: Constraint[] = [];
  const purposes = [
    ...l.purposes.map(purposeIri),
    ...duo.filter((t) => t.kind === 'permission').map((t) => duoIri(t.id)),
  ];
  if (purposes.length && !unrestricted)
    constraint.push({
      leftOperand: 'purpose',
      operator: 'isAnyOf',
      rightOperand: purposes.map((id) => ({ '@id': id })),
    });
  const modifiers = duo.filter((t) => t.kind === 'modifier');
  if (modifiers.length)
    constraint.push({
      leftOperand: 'steward:dataUseModifier',
      operator: 'isAllOf',
      rightOperand: modifiers.map((t) => ({ '@id': duoIri(t.id) })),
    });
  const c = l.constraints as { geography?: string[]; from?: string; until?: string };
  if (c.geography?.length)
    constraint.push({ leftOperand: 'spatial', operator: 'isAnyOf', rightOperand: c.geography });
  if (c.from)
    constraint.push({
      leftOperand: 'dateTime',
      operator: 'gteq',
      rightOperand: { '@value': c.from, '@type': 'xsd:date' },
    });
  if (c.until)
    constraint.push({
      leftOperand: 'dateTime',
      operator: 'lteq',
      rightOperand: { '@value': c.until, '@type': 'xsd:date' },
    });
  if (l.maxGrantDays)
    constraint.push({
      leftOperand: 'elapsedTime',
      operator: 'lteq',
      rightOperand: { '@value': `P${l.maxGrantDays}D`, '@type': 'xsd:duration' },
    });

  const duty = (t: LicenceRow['reciprocity'][number]): Rule => {
    const timing = timingConstraint(t);
    return {
      target,
      action: reciprocityAction[t.kind],
      ...(timing ? { constraint: [timing] } : {}),
      ...(t.evidence ? { 'steward:evidence': t.evidence } : {}),
      ...(t.description ? { 'dct:description': t.description } : {}),
      'rdfs:label': reciprocityKinds.find((k) => k.id === t.kind)?.label,
    };
  };
  const before = l.reciprocity.filter((t) => t.timing === 'before-download');
  const after = l.reciprocity.filter((t) => t.timing !== 'before-download');

  const permission: Rule = {
    target,
    assigner,
    action: 'use',
    ...(constraint.length ? { constraint } : {}),
    ...(before.length ? { duty: before.map(duty) } : {}),
  };
  return {
    '@context': [
      ODRL_CONTEXT,
      { ...prefixes, rdfs: 'http://www.w3.org/2000/01/rdf-schema#', steward: `${profileIri(publicUrl)}#` },
    ],
    '@type': 'Offer',
    uid: `${publicUrl}${offerPath(d.slug, l.version)}`,
    profile: profileIri(publicUrl),
    assigner: { '@type': 'Party', uid: assigner, 'vcard:fn': d.communityName },
    target,
    'dct:title': `${d.title} — licence version ${l.version}`,
    ...(l.base ? { 'dct:license': { '@id': `https://spdx.org/licenses/${l.base}` } } : {}),
    ...(l.text ? { 'dct:description': l.text } : {}),
    'dct:issued': { '@value': l.createdAt.toISOString(), '@type': 'xsd:dateTime' },
    ...(l.status === 'withdrawn' && l.withdrawnAt
      ? { 'dct:valid': { '@value': `/${l.withdrawnAt.toISOString()}` } }
      : {}),
    permission: [permission],
    ...(l.prohibitions.length
      ? { prohibition: (l.prohibitions as Prohibition[]).map((p) => prohibitionRule(p, target, assigner)) }
      : {}),
    ...(after.length ? { obligation: after.map((t) => ({ ...duty(t), assigner })) } : {}),
  };
}

/** The profile document: Steward's actions, left operands and purpose concepts, with their DUO matches. */
export function profileDocument(publicUrl: string) {
  const iri = profileIri(publicUrl);
  const term =
    (type: string, extra: Record<string, unknown> = {}) =>
    (t: Term) => ({
      '@id': `steward:${t.id}`,
      '@type': type,
      'rdfs:label': t.label,
      'skos:definition': t.definition,
      'rdfs:isDefinedBy': { '@id': iri },
      ...extra,
    });
  return {
    '@context': {
      odrl: 'http://www.w3.org/ns/odrl/2/',
      rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
      skos: 'http://www.w3.org/2004/02/skos/core#',
      owl: 'http://www.w3.org/2002/07/owl#',
      rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
      ...prefixes,
      steward: `${iri}#`,
    },
    '@graph': [
      {
        '@id': iri,
        '@type': 'owl:Ontology',
        'dct:title': 'Steward ODRL profile',
        'dct:description':
          'Terms Steward uses in ODRL Offers and Agreements for community data: reciprocity actions, purposes of use (with their GA4GH DUO matches) and timing.',
        'owl:imports': { '@id': 'http://www.w3.org/ns/odrl/2/' },
      },
      ...profileActions.map(term('odrl:Action', { 'odrl:includedIn': { '@id': 'odrl:use' } })),
      ...profileLeftOperands.map(term('odrl:LeftOperand')),
      {
        '@id': 'steward:evidence',
        '@type': 'rdf:Property',
        'rdfs:label': 'Evidence',
        'skos:definition': 'What shows a duty was fulfilled: a link, a text or a file.',
      },
      { '@id': 'steward:purposes', '@type': 'skos:ConceptScheme', 'rdfs:label': 'Steward purposes of use' },
      ...purposeTerms.map((p) => ({
        '@id': `steward:${p.id}`,
        '@type': 'skos:Concept',
        'skos:inScheme': { '@id': 'steward:purposes' },
        'skos:prefLabel': p.label,
        'skos:definition': p.description,
        ...(p.broader ? { 'skos:broader': { '@id': `steward:${p.broader}` } } : {}),
        ...(p.duo ? { 'skos:exactMatch': { '@id': duoIri(p.duo) } } : {}),
      })),
      ...prohibitedPurposes.map(term('skos:Concept', { 'skos:inScheme': { '@id': 'steward:purposes' } })),
    ],
  };
}

import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import type { DatasetWithCommunity } from '../datasets/datasets.repo.ts';
import type { SigningKey } from '../instance.ts';
import { offerFor } from '../licences/licences.odrl.ts';
import type { LicenceRow } from '../licences/licences.repo.ts';

/** What issuing a grant needs besides the database: where the platform lives and the key it signs with. */
export interface GrantIssuer {
  publicUrl: string;
  signingKey: SigningKey;
}

export const agreementPath = (grantId: string) => `/api/v1/grants/${grantId}/odrl.jsonld`;

export interface AgreementInput {
  grantId: string;
  d: DatasetWithCommunity;
  l: LicenceRow;
  grantees: { id: string; name: string }[];
  /** Asset IRIs the grant covers, when narrower than the dataset. */
  scope: { type: 'dataset' | 'release' | 'file'; ids: string[] };
  purpose: string | null;
  startsAt: Date;
  expiresAt: Date;
}

type Json = Record<string, unknown>;
const dateTime = (d: Date) => ({ '@value': d.toISOString(), '@type': 'xsd:dateTime' });

/**
 * The ODRL `Agreement` of a grant: the licence version's `Offer` (licences.odrl.ts) made specific — the
 * community as assigner, the grantees as assignee (a PartyCollection when there is a team), the assets
 * in scope as target, and the grant's dates and purpose as constraints of the permission.
 */
export function agreementFor(publicUrl: string, a: AgreementInput) {
  const offer = offerFor(publicUrl, a.d, a.l) as Json & {
    permission: Json[];
    prohibition?: Json[];
    obligation?: Json[];
  };
  const uid = `${publicUrl}${agreementPath(a.grantId)}`;
  const datasetIri = `${publicUrl}/api/v1/datasets/${a.d.slug}`;
  const party = (u: { id: string; name: string }) => ({
    '@type': 'Party',
    uid: `urn:uuid:${u.id}`,
    'vcard:fn': u.name,
  });
  const assignee =
    a.grantees.length === 1
      ? party(a.grantees[0])
      : { '@type': 'PartyCollection', uid: `${uid}#grantees`, 'vcard:hasMember': a.grantees.map(party) };
  const target =
    a.scope.type === 'dataset'
      ? datasetIri
      : {
          '@type': 'AssetCollection',
          uid: `${uid}#scope`,
          'dct:isPartOf': { '@id': datasetIri },
          'dct:hasPart': a.scope.ids.map((id) => ({
            '@id': a.scope.type === 'file' ? `${publicUrl}/api/v1/files/${id}` : `urn:uuid:${id}`,
          })),
        };
  const retarget = (r: Json) => ({ ...r, target });
  const [permission] = offer.permission;
  const constraint = [
    ...((permission.constraint as Json[] | undefined) ?? []).filter((c) => c.leftOperand !== 'purpose'),
    ...(a.purpose
      ? [{ leftOperand: 'purpose', operator: 'eq', rightOperand: { '@id': `steward:${a.purpose}` } }]
      : []),
    { leftOperand: 'dateTime', operator: 'gteq', rightOperand: dateTime(a.startsAt) },
    { leftOperand: 'dateTime', operator: 'lt', rightOperand: dateTime(a.expiresAt) },
  ];
  return {
    ...offer,
    '@type': 'Agreement',
    uid,
    'dct:source': { '@id': offer.uid },
    'dct:title': `${a.d.title} — access grant under licence version ${a.l.version}`,
    'dct:issued': dateTime(a.startsAt),
    assigner: offer.assigner,
    assignee,
    target,
    permission: [
      {
        ...retarget(permission),
        assignee: assignee.uid,
        constraint,
        ...(permission.duty ? { duty: (permission.duty as Json[]).map(retarget) } : {}),
      },
    ],
    ...(offer.prohibition ? { prohibition: offer.prohibition.map(retarget) } : {}),
    ...(offer.obligation
      ? { obligation: offer.obligation.map((o) => ({ ...retarget(o), assignee: assignee.uid })) }
      : {}),
  };
}

const keys = new WeakMap<SigningKey, KeyObject>();

/**
 * Signs an Agreement as a JWS (compact serialisation, EdDSA over Ed25519) with the instance key; the
 * payload is the Agreement's JSON. Returns the JWS and its SHA-256 (hex), which the `grant.issued`
 * audit event records.
 */
export async function signAgreement(key: SigningKey, agreement: unknown) {
  let k = keys.get(key);
  if (!k) {
    k = createPrivateKey({ key: key.privateJwk, format: 'jwk' });
    keys.set(key, k);
  }
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(agreement)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'odrl+json', cty: 'application/ld+json' })
    .sign(k);
  return { jws, hash: sha256(jws) };
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

import { offerPath } from '../licences/licences.odrl.ts';
import { datasetPage, type ExportEntry, gateUrl, spdxLicence } from './dcat.ts';

/** The Croissant 1.1 JSON-LD context (mlcommons), with the RAI namespace. */
export const CROISSANT_CONTEXT = {
  '@language': 'en',
  '@vocab': 'https://schema.org/',
  citeAs: 'cr:citeAs',
  column: 'cr:column',
  conformsTo: 'dct:conformsTo',
  cr: 'http://mlcommons.org/croissant/',
  rai: 'http://mlcommons.org/croissant/RAI/',
  data: { '@id': 'cr:data', '@type': '@json' },
  dataType: { '@id': 'cr:dataType', '@type': '@vocab' },
  dct: 'http://purl.org/dc/terms/',
  examples: { '@id': 'cr:examples', '@type': '@json' },
  extract: 'cr:extract',
  field: 'cr:field',
  fileProperty: 'cr:fileProperty',
  fileObject: 'cr:fileObject',
  fileSet: 'cr:fileSet',
  format: 'cr:format',
  includes: 'cr:includes',
  isLiveDataset: 'cr:isLiveDataset',
  jsonPath: 'cr:jsonPath',
  key: 'cr:key',
  md5: 'cr:md5',
  parentField: 'cr:parentField',
  path: 'cr:path',
  prov: 'http://www.w3.org/ns/prov#',
  recordSet: 'cr:recordSet',
  references: 'cr:references',
  regex: 'cr:regex',
  repeated: 'cr:repeated',
  replace: 'cr:replace',
  sc: 'https://schema.org/',
  separator: 'cr:separator',
  source: 'cr:source',
  subField: 'cr:subField',
  transform: 'cr:transform',
};

export const CROISSANT_CONFORMS_TO = 'http://mlcommons.org/croissant/1.1';
export const RAI_CONFORMS_TO = 'http://mlcommons.org/croissant/RAI/1.0';

/**
 * Croissant 1.1 with the RAI extension for one dataset. Every `contentUrl` is the stable download gate
 * (`/api/v1/files/:id/download`), which decides, records and redirects: never a signed URL, which
 * would expire and bypass the record.
 */
export function croissant(publicUrl: string, e: ExportEntry) {
  const { d, licence } = e;
  const offer = licence ? `${publicUrl}${offerPath(d.slug, licence.version)}` : undefined;
  const spdx = spdxLicence(licence?.base);
  const community = {
    '@type': 'Organization',
    '@id': `${publicUrl}/api/v1/communities/${d.communitySlug}`,
    name: d.communityName,
  };
  const rai = d.responsibleAi;
  const p = d.provenance;
  const collection = [
    p.collectionMethod,
    p.sources?.length ? `Sources: ${p.sources.join('; ')}` : undefined,
    p.consentBasis ? `Consent basis: ${p.consentBasis}` : undefined,
  ].filter(Boolean);
  const doc: Record<string, unknown> = {
    '@context': CROISSANT_CONTEXT,
    '@type': 'sc:Dataset',
    '@id': `${publicUrl}/api/v1/datasets/${d.slug}`,
    conformsTo: [CROISSANT_CONFORMS_TO, RAI_CONFORMS_TO],
    name: d.title,
    description: [d.summary, d.description].filter(Boolean).join('\n\n') || d.title,
    url: datasetPage(publicUrl, d.slug),
    creator: community,
    publisher: community,
    license: [offer, spdx].filter(Boolean),
    keywords: d.keywords,
    inLanguage: d.languages,
    isAccessibleForFree: true,
    conditionsOfAccess: d.tier === 'open' ? 'open' : `${d.tier}: see the licence Offer`,
    datePublished: d.publishedAt?.toISOString(),
    dateModified: d.updatedAt.toISOString(),
    version: e.release?.tag,
    citeAs: `${d.communityName}. ${d.title}. ${datasetPage(publicUrl, d.slug)}`,
    distribution: e.files
      .filter((f) => f.status === 'available')
      .map((f) => ({
        '@type': 'cr:FileObject',
        '@id': f.id,
        name: f.name,
        contentUrl: gateUrl(publicUrl, f.id),
        encodingFormat: f.mediaType,
        contentSize: `${f.size} B`,
        sha256: f.sha256,
      })),
  };
  if (d.spatialCoverage) doc.spatialCoverage = d.spatialCoverage;
  const t = d.temporalCoverage;
  if (t && (t.start || t.end)) doc.temporalCoverage = `${t.start ?? '..'}/${t.end ?? '..'}`;
  if (collection.length) doc['rai:dataCollection'] = collection.join('\n');
  if (p.sources?.length) doc['prov:wasDerivedFrom'] = p.sources;
  if (rai.biases) doc['rai:dataBiases'] = rai.biases;
  if (rai.limitations) doc['rai:dataLimitations'] = rai.limitations;
  if (rai.sensitiveInformation) doc['rai:personalSensitiveInformation'] = rai.sensitiveInformation;
  if (rai.intendedUses) doc['rai:dataUseCases'] = rai.intendedUses;
  if (rai.socialImpact) doc['rai:dataSocialImpact'] = rai.socialImpact;
  for (const k of Object.keys(doc)) if (doc[k] === undefined) delete doc[k];
  return doc;
}

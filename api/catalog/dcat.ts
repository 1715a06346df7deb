import { iso6393To1 } from 'iso-639-3';
import type { files, releases } from '../../db/schema/index.ts';
import type { DatasetWithCommunity } from '../datasets/datasets.repo.ts';
import { offerPath } from '../licences/licences.odrl.ts';

type ReleaseRow = typeof releases.$inferSelect;
type FileRow = typeof files.$inferSelect;

/** One dataset as the exports see it: the row, its licence in force, its latest published release. */
export interface ExportEntry {
  d: DatasetWithCommunity;
  licence: { version: number; base: string } | null;
  release: ReleaseRow | null;
  /** The files of `release` the reader may see. */
  files: FileRow[];
}

/**
 * The language metadata is written in. Steward keeps no separate field for it; titles and descriptions
 * are typed by stewards in the instance's working language.
 */
export const METADATA_LANGUAGE = 'en';

const EU = 'http://publications.europa.eu/resource/authority';

/** 639-1 (two letters) → 639-3, from the ISO 639-3 tables; three-letter tags pass through. */
const by6391 = new Map(Object.entries(iso6393To1).map(([three, two]) => [two, three]));

/** The EU language authority IRI of a BCP 47 tag (`mi-NZ` → …/language/MRI), or undefined. */
export function euLanguage(tag: string): string | undefined {
  const primary = tag.toLowerCase().split('-')[0];
  const code = primary.length === 2 ? by6391.get(primary) : primary.length === 3 ? primary : undefined;
  return code ? `${EU}/language/${code.toUpperCase()}` : undefined;
}

/** Tiers mapped onto the EU access-right vocabulary. */
export const accessRight = (tier: string) =>
  `${EU}/access-right/${tier === 'open' ? 'PUBLIC' : tier === 'closed' ? 'NON_PUBLIC' : 'RESTRICTED'}`;

/** The SPDX licence IRI when the base is an SPDX id (`CC-BY-4.0`), else undefined. */
export const spdxLicence = (base: string | undefined) =>
  base && /^[A-Za-z0-9.+-]+$/.test(base) && base.toLowerCase() !== 'custom'
    ? `http://spdx.org/licenses/${base}`
    : undefined;

export const datasetPage = (publicUrl: string, slug: string) => `${publicUrl}/datasets/${slug}`;
export const gateUrl = (publicUrl: string, fileId: string) => `${publicUrl}/api/v1/files/${fileId}/download`;
export const mediaTypeIri = (mediaType: string) =>
  `http://www.iana.org/assignments/media-types/${mediaType.split(';')[0].trim().toLowerCase()}`;

/** A date literal typed by its shape (`2020`, `2020-05`, `2020-05-01`, or a date-time). */
function dateLiteral(v: string) {
  const type = /^\d{4}$/.test(v)
    ? 'xsd:gYear'
    : /^\d{4}-\d{2}$/.test(v)
      ? 'xsd:gYearMonth'
      : /^\d{4}-\d{2}-\d{2}$/.test(v)
        ? 'xsd:date'
        : 'xsd:dateTime';
  return { '@value': v, '@type': type };
}

const text = (v: string) => ({ '@value': v, '@language': METADATA_LANGUAGE });

export const DCAT_CONTEXT = {
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  odrl: 'http://www.w3.org/ns/odrl/2/',
  spdx: 'http://spdx.org/rdf/terms#',
  locn: 'http://www.w3.org/ns/locn#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  hydra: 'http://www.w3.org/ns/hydra/core#',
};

/** One dcat:Dataset node (inline JSON-LD, compact IRIs from DCAT_CONTEXT). */
export function dcatDataset(publicUrl: string, e: ExportEntry) {
  const { d, licence } = e;
  const page = datasetPage(publicUrl, d.slug);
  const offer = licence ? `${publicUrl}${offerPath(d.slug, licence.version)}` : undefined;
  const policy = offer ? { '@id': offer, '@type': ['odrl:Offer', 'odrl:Policy'] } : undefined;
  const licenceDoc = licence
    ? { '@id': spdxLicence(licence.base) ?? offer, '@type': 'dct:LicenseDocument' }
    : undefined;
  const languages = d.languages.map(euLanguage).filter((x): x is string => !!x);
  const description = [d.summary, d.description].filter(Boolean).join('\n\n') || d.title;
  const node: Record<string, unknown> = {
    '@id': `${publicUrl}/api/v1/datasets/${d.slug}`,
    '@type': 'dcat:Dataset',
    'dct:identifier': d.slug,
    'dct:title': text(d.title),
    'dct:description': text(description),
    'dct:publisher': {
      '@id': `${publicUrl}/api/v1/communities/${d.communitySlug}`,
      '@type': 'foaf:Agent',
      'foaf:name': d.communityName,
    },
    'dcat:landingPage': { '@id': page, '@type': 'foaf:Document' },
    'dct:accessRights': { '@id': accessRight(d.tier), '@type': 'dct:RightsStatement' },
  };
  if (d.keywords.length) node['dcat:keyword'] = d.keywords.map(text);
  if (languages.length)
    node['dct:language'] = languages.map((id) => ({ '@id': id, '@type': 'dct:LinguisticSystem' }));
  if (d.publishedAt) node['dct:issued'] = dateLiteral(d.publishedAt.toISOString());
  node['dct:modified'] = dateLiteral(d.updatedAt.toISOString());
  if (d.spatialCoverage)
    node['dct:spatial'] = /^https?:\/\//.test(d.spatialCoverage)
      ? { '@id': d.spatialCoverage, '@type': 'dct:Location' }
      : { '@type': 'dct:Location', 'locn:geographicName': text(d.spatialCoverage) };
  const t = d.temporalCoverage;
  if (t && (t.start || t.end))
    node['dct:temporal'] = {
      '@type': 'dct:PeriodOfTime',
      ...(t.start ? { 'dcat:startDate': dateLiteral(t.start) } : {}),
      ...(t.end ? { 'dcat:endDate': dateLiteral(t.end) } : {}),
    };
  if (policy) node['odrl:hasPolicy'] = policy;
  if (e.release) node['dcat:version'] = e.release.tag;
  node['dcat:distribution'] = e.files
    .filter((f) => f.status === 'available')
    .map((f) => {
      const tier = f.tier ?? d.tier;
      const dist: Record<string, unknown> = {
        '@id': `${publicUrl}/api/v1/files/${f.id}`,
        '@type': 'dcat:Distribution',
        'dct:title': text(f.name),
        'dcat:accessURL': { '@id': page },
        'dct:format': { '@id': mediaTypeIri(f.mediaType), '@type': 'dct:MediaTypeOrExtent' },
        'dcat:mediaType': { '@id': mediaTypeIri(f.mediaType), '@type': 'dct:MediaType' },
        'dcat:byteSize': { '@value': String(f.size), '@type': 'xsd:nonNegativeInteger' },
        'spdx:checksum': {
          '@type': 'spdx:Checksum',
          'spdx:algorithm': { '@id': 'spdx:checksumAlgorithm_sha256', '@type': 'spdx:ChecksumAlgorithm' },
          'spdx:checksumValue': { '@value': f.sha256, '@type': 'xsd:hexBinary' },
        },
        'dct:rights': { '@id': accessRight(tier), '@type': 'dct:RightsStatement' },
      };
      // Only open files may be fetched without a decision; the others are reached from the page.
      if (tier === 'open') dist['dcat:downloadURL'] = { '@id': gateUrl(publicUrl, f.id) };
      if (licenceDoc) dist['dct:license'] = licenceDoc;
      if (policy) dist['odrl:hasPolicy'] = policy;
      return dist;
    });
  return node;
}

/**
 * The DCAT-AP 3 catalog: the instance as publisher, each exported dataset under `dcat:dataset`. With
 * `view`, the datasets are one page of the catalog, described as a Hydra partial collection view (as
 * the DCAT-AP pagination guidance does): this page, the first, and the next unless it is the last.
 */
export function dcatCatalog(
  publicUrl: string,
  entries: ExportEntry[],
  view?: { self: string; first: string; next?: string },
) {
  return {
    '@context': DCAT_CONTEXT,
    '@id': `${publicUrl}/api/v1/catalog/dcat.jsonld`,
    '@type': 'dcat:Catalog',
    'dct:title': text(`Steward at ${new URL(publicUrl).host}`),
    'dct:description': text(
      'Datasets published by their communities on this Steward instance, with the conditions they set.',
    ),
    'dct:publisher': { '@id': `${publicUrl}/`, '@type': 'foaf:Agent', 'foaf:name': 'Steward' },
    'foaf:homepage': { '@id': `${publicUrl}/`, '@type': 'foaf:Document' },
    'dcat:dataset': entries.map((e) => dcatDataset(publicUrl, e)),
    ...(view
      ? {
          'hydra:view': {
            '@id': view.self,
            '@type': 'hydra:PartialCollectionView',
            'hydra:first': { '@id': view.first },
            ...(view.next ? { 'hydra:next': { '@id': view.next } } : {}),
          },
        }
      : {}),
  };
}

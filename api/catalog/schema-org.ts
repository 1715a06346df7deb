import type { ExportEntry } from './dcat.ts';

/**
 * schema.org `Dataset` for search engines, embedded in the dataset's web page by the server (so crawlers
 * that do not run JavaScript read it too). Only what anyone may read: open files are direct downloads,
 * through the stable gate, never a signed URL; the licence is the ODRL Offer; Croissant is linked.
 */
export function schemaOrgDataset(publicUrl: string, e: ExportEntry) {
  const { d } = e;
  const api = `${publicUrl}/api/v1`;
  return {
    '@context': 'https://schema.org/',
    '@type': 'Dataset',
    '@id': `${api}/datasets/${d.slug}`,
    name: d.title,
    description: [d.summary, d.description].filter(Boolean).join('\n\n') || d.title,
    url: `${publicUrl}/datasets/${d.slug}`,
    keywords: d.keywords,
    inLanguage: d.languages,
    creator: { '@type': 'Organization', name: d.communityName },
    publisher: { '@type': 'Organization', name: d.communityName },
    ...(e.licence ? { license: `${api}/datasets/${d.slug}/licences/${e.licence.version}/odrl.jsonld` } : {}),
    isAccessibleForFree: true,
    conditionsOfAccess: d.tier,
    ...(d.publishedAt ? { datePublished: d.publishedAt.toISOString() } : {}),
    dateModified: d.updatedAt.toISOString(),
    ...(e.release ? { version: e.release.tag } : {}),
    distribution: e.files
      .filter((f) => f.status === 'available' && (f.tier ?? d.tier) === 'open')
      .map((f) => ({
        '@type': 'DataDownload',
        name: f.name,
        contentUrl: `${api}/files/${f.id}/download`,
        encodingFormat: f.mediaType,
        contentSize: `${f.size} B`,
        sha256: f.sha256,
      })),
    subjectOf: {
      '@type': 'CreativeWork',
      encodingFormat: 'application/ld+json',
      url: `${api}/datasets/${d.slug}/croissant.jsonld`,
    },
  };
}

/** A JSON-LD data block for an HTML head: never executed, and `<` escaped so no text can close it. */
export const jsonLdScript = (doc: unknown) =>
  `<script type="application/ld+json">${JSON.stringify(doc).replace(/</g, '\\u003c')}</script>`;

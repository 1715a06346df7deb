import type { releaseManifest } from './manifest.service.ts';

/** The manifest as sent: the release, the files with their signed URLs, and what is withheld and why. */
export function presentManifest(m: Awaited<ReturnType<typeof releaseManifest>>) {
  return {
    dataset: { slug: m.d.slug, title: m.d.title },
    release: { id: m.r.id, tag: m.r.tag, status: m.r.status, publishedAt: m.r.publishedAt },
    files: m.files,
    withheld: m.withheld,
  };
}

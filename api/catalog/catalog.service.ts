import { z } from 'zod';
import { accessibleWhere, anonymous, defineAbilityFor } from '../../policies/index.ts';
import type { Ctx } from '../context.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import * as datasetsRepo from '../datasets/datasets.repo.ts';
import { getDataset } from '../datasets/datasets.service.ts';
import * as filesRepo from '../files/files.repo.ts';
import * as releasesRepo from '../releases/releases.repo.ts';
import * as repo from './catalog.repo.ts';
import type { CatalogPageQuery } from './catalog.schema.ts';
import type { ExportEntry } from './dcat.ts';

/** Whoever asks, the catalog is the public one: exactly what an anonymous caller may read. */
const publicAbility = defineAbilityFor(anonymous);

/**
 * Every dataset an anonymous caller may read, published, with its licence in force and the files of its
 * latest published release; each list filtered in SQL by the policy. With `page`, at most `limit`
 * datasets after the slug `after`, in slug order.
 */
export async function publicCatalog(
  ctx: Pick<Ctx, 'db'>,
  page?: { after?: string; limit: number },
): Promise<ExportEntry[]> {
  const ds = await repo.publishedDatasets(
    ctx.db,
    accessibleWhere(publicAbility, 'read', 'Dataset', datasetsRepo.datasetColumns),
    page,
  );
  const ids = ds.map((d) => d.id);
  const [licences, rels] = await Promise.all([
    repo.currentLicences(ctx.db, ids),
    repo.latestReleases(
      ctx.db,
      ids,
      accessibleWhere(publicAbility, 'read', 'Release', releasesRepo.releaseColumns),
    ),
  ]);
  const fileRows = await filesRepo.listForReleases(
    ctx.db,
    rels.map((r) => r.id),
    accessibleWhere(publicAbility, 'read', 'File', filesRepo.fileColumns),
  );
  return ds.map((d) => {
    const release = rels.find((r) => r.datasetId === d.id) ?? null;
    return {
      d,
      licence: licences.get(d.id) ?? null,
      release,
      files: release ? fileRows.filter((f) => f.releaseId === release.id) : [],
    };
  });
}

/** One dataset as the caller may read it (404 otherwise), for its Croissant description. */
export async function datasetEntry(ctx: Ctx, slug: string): Promise<ExportEntry> {
  const { d, rels, licence } = await getDataset(ctx, slug);
  const published = rels
    .filter((x) => x.release.status === 'published')
    .sort((a, b) => (b.release.publishedAt?.getTime() ?? 0) - (a.release.publishedAt?.getTime() ?? 0));
  const latest = published[0];
  return {
    d,
    licence: licence ? { version: licence.version, base: licence.base } : null,
    release: latest?.release ?? null,
    files: latest?.files ?? [],
  };
}

const PageCursor = z.strictObject({ s: z.string().min(1).max(200) });

/**
 * One page of the public catalog, in slug order, and the cursor of the next page (null on the last):
 * a harvester follows `next` links rather than fetching 100,000 datasets in one answer.
 */
export async function publicCatalogPage(ctx: Pick<Ctx, 'db'>, q: CatalogPageQuery) {
  const after = q.cursor ? decodeCursor(q.cursor, PageCursor).s : undefined;
  const entries = await publicCatalog(ctx, { after, limit: q.limit + 1 });
  const page = entries.slice(0, q.limit);
  const next = entries.length > q.limit ? encodeCursor({ s: page[page.length - 1].d.slug }) : null;
  return { entries: page, next };
}

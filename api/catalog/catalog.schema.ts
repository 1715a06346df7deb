import { z } from 'zod';

/** Datasets on a page of the DCAT catalog unless `limit` says otherwise. */
export const CATALOG_PAGE_SIZE = 500;

/** `GET /catalog/dcat.jsonld?cursor=&limit=`: the page size (at most 1,000) and the opaque cursor. */
export const CatalogPageQuery = z.object({
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(CATALOG_PAGE_SIZE),
});
export type CatalogPageQuery = z.infer<typeof CatalogPageQuery>;

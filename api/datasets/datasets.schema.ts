import { z } from 'zod';
import { Slug, Tier } from '../common.schema.ts';

const Keywords = z.array(z.string().trim().min(1).max(60)).max(30);
const Languages = z
  .array(
    z
      .string()
      .trim()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'use BCP 47 tags, e.g. "mi" or "en-NZ"'),
  )
  .max(30);

export const CreateDataset = z.strictObject({
  community: Slug,
  slug: Slug,
  title: z.string().trim().min(1).max(300),
  summary: z.string().trim().max(1000).default(''),
  description: z.string().max(100_000).default(''),
  tier: Tier.default('open'),
  keywords: Keywords.default([]),
  languages: Languages.default([]),
});
export type CreateDataset = z.infer<typeof CreateDataset>;

export const UpdateDataset = z
  .strictObject({
    title: z.string().trim().min(1).max(300),
    summary: z.string().trim().max(1000),
    description: z.string().max(100_000),
    tier: Tier,
    keywords: Keywords,
    languages: Languages,
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, { message: 'send at least one field to change' });
export type UpdateDataset = z.infer<typeof UpdateDataset>;

export const DatasetParams = z.object({ slug: Slug });

export const ListDatasets = z.object({
  q: z.string().trim().max(200).optional(),
  tier: Tier.optional(),
  community: Slug.optional(),
  includeDrafts: z
    .enum(['1', 'true', '0', 'false'])
    .optional()
    .transform((v) => v === '1' || v === 'true'),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type ListDatasets = z.infer<typeof ListDatasets>;

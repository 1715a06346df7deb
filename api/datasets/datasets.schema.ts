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

/**
 * A Local Contexts Label or Notice as the community wrote it: its type (a Local Contexts name, checked
 * against policies/local-contexts.ts by the service), the community's own text, kept exactly, and the
 * Local Contexts Hub project it comes from.
 */
export const LocalContextsLabel = z.strictObject({
  kind: z.enum(['TK', 'BC', 'notice']),
  type: z.string().trim().min(1).max(100),
  text: z
    .string()
    .max(10_000)
    .refine((s) => s.trim().length > 0, 'the community’s text for this label'),
  hubProjectId: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, 'a Local Contexts Hub project id')
    .optional(),
});
export type LocalContextsLabel = z.infer<typeof LocalContextsLabel>;

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
    labels: z.array(LocalContextsLabel).max(50),
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, { message: 'send at least one field to change' });
export type UpdateDataset = z.infer<typeof UpdateDataset>;

export const DatasetParams = z.object({ slug: Slug });

/** Control characters (NUL among them) cannot be stored or searched in PostgreSQL text: spaces instead. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const controlChars = /[\u0000-\u001f\u007f]/g;

/** `GET /datasets`: catalog search. Every filter is applied in SQL together with the policy. */
export const ListDatasets = z.object({
  /** Words, "quoted phrases", `or`, `-excluded` (PostgreSQL's websearch syntax); ranked. */
  q: z
    .string()
    .max(1000)
    .transform((v) => v.replace(controlChars, ' ').trim())
    .optional(),
  tier: Tier.optional(),
  /** A purpose from the purpose vocabulary; matches licences permitting it or a broader purpose. */
  purpose: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9:._-]{0,99}$/, 'a purpose such as "ai-training" or "research"')
    .optional(),
  /** A Local Contexts label type, e.g. "TK Attribution" (exact). */
  label: z.string().trim().min(1).max(100).optional(),
  community: Slug.optional(),
  /** A BCP 47 tag; `mi` also matches `mi-NZ`. Also parses `q` with that language's stemmer. */
  language: z
    .string()
    .trim()
    .regex(/^[a-zA-Z]{2,3}(-[A-Za-z0-9]{1,8})*$/, 'a BCP 47 tag, e.g. "mi" or "en-NZ"')
    .max(35)
    .optional(),
  includeDrafts: z
    .enum(['1', 'true', '0', 'false'])
    .optional()
    .transform((v) => v === '1' || v === 'true'),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type ListDatasets = z.infer<typeof ListDatasets>;

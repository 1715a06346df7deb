import { z } from 'zod';
import { Slug } from '../common.schema.ts';

export const Tag = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'use 1–64 letters, digits, dots, hyphens or underscores, e.g. "v1" or "2026-06"',
  );

export const CreateRelease = z.strictObject({ tag: Tag, notes: z.string().max(20_000).default('') });
export type CreateRelease = z.infer<typeof CreateRelease>;

export const ReleaseParams = z.object({ slug: Slug, tag: Tag });

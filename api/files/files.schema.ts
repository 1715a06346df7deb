import { z } from 'zod';
import { Tier } from '../common.schema.ts';

/** 5 GiB: the largest single signed PUT S3 accepts. Larger files need multipart uploads. */
export const MAX_SINGLE_UPLOAD = 5 * 1024 ** 3;
/** 5 TiB: the largest object S3 stores (10,000 parts of up to 5 GiB). */
export const MAX_UPLOAD = 5 * 1024 ** 4;
/** S3's limit on the parts of one multipart upload. */
export const MAX_PARTS = 10_000;

/** A file name is data, never a path: no separators, no control characters, no dot names. */
export const FileName = z
  .string()
  .min(1)
  .max(255)
  .refine(
    (s) => !/[/\\]/.test(s) && ![...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f),
    'must not contain slashes or control characters',
  )
  .refine(
    (s) => s.trim() === s && s !== '.' && s !== '..',
    'must not be "." or "..", nor start or end with spaces',
  );

export const RegisterFile = z.strictObject({
  name: FileName,
  size: z.number().int().min(0).max(MAX_UPLOAD, 'files over 5 TiB cannot be stored'),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'a hex SHA-256 digest (64 characters)')
    .transform((s) => s.toLowerCase()),
  mediaType: z
    .string()
    .trim()
    .toLowerCase()
    .regex(
      /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/,
      'a media type such as "text/csv"',
    )
    .default('application/octet-stream'),
  tier: Tier.optional(),
});
export type RegisterFile = z.infer<typeof RegisterFile>;

/**
 * `POST /files/:id/complete`. A multipart upload names every part it sent with the ETag the object store
 * answered for it; a single PUT sends no body.
 */
export const CompleteFile = z.strictObject({
  parts: z
    .array(
      z.strictObject({
        partNumber: z.number().int().min(1).max(MAX_PARTS),
        etag: z.string().trim().min(1).max(200),
      }),
    )
    .min(1)
    .max(MAX_PARTS)
    .optional(),
});
export type CompleteFile = z.infer<typeof CompleteFile>;

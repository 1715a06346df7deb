import { z } from 'zod';
import { Slug } from '../common.schema.ts';
import { Tag } from './releases.schema.ts';

export const ManifestParams = z.object({ slug: Slug, tag: Tag });

/** `?files=ID,ID`: only these files (a client refreshing the URLs it still needs). */
export const ManifestQuery = z.object({
  files: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',').map((x) => x.trim()) : undefined))
    .pipe(
      z
        .array(z.uuid({ message: 'not a valid file id' }))
        .max(1000)
        .optional(),
    ),
});
export type ManifestQuery = z.infer<typeof ManifestQuery>;

/** Why a file the caller may see is not in their manifest: the step they are missing. */
export const WithheldReason = z.enum([
  'sign_in',
  'token_scope',
  'accept_licence',
  'request_access',
  'request_pending',
  'obligation_overdue',
  'grant_suspended',
  'grant_revoked',
  'grant_expired',
  'grant_not_started',
  'licence_withdrawn',
  'outside_grant_scope',
  'closed',
  'not_available',
]);
export type WithheldReason = z.infer<typeof WithheldReason>;

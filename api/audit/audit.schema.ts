import { z } from 'zod';

const Size = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** `cursor` is `<checkpoint size>.<last leaf index>`: every page proves against the same checkpoint. */
export const CommunityAuditQuery = z.object({
  cursor: z
    .string()
    .regex(/^\d{1,15}\.\d{1,15}$/, 'use the nextCursor of the previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type CommunityAuditQuery = z.infer<typeof CommunityAuditQuery>;

export const ConsistencyQuery = z.object({
  from: Size.pipe(z.number().min(1)),
  to: Size.pipe(z.number().min(1)),
});
export type ConsistencyQuery = z.infer<typeof ConsistencyQuery>;

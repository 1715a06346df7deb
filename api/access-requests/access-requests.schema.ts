import { z } from 'zod';
import { MAX_GRANT_DAYS } from '../../policies/licence-terms.ts';
import { isPurpose } from '../../policies/purposes.ts';
import { Email, parseWithCodes, Slug } from '../common.schema.ts';

const withCode = (code: string) => ({ params: { code } });

export const Purpose = z.strictObject({
  category: z
    .string()
    .trim()
    .max(100)
    .refine(isPurpose, {
      message: 'not in the purpose vocabulary (GET /api/v1/purposes)',
      ...withCode('unknown_purpose'),
    }),
  description: z.string().trim().min(1).max(5000),
  commercial: z.boolean(),
  forProfit: z.boolean(),
});

const Scope = z
  .strictObject({
    /** Release tags of the dataset. */
    releases: z.array(z.string().trim().min(1).max(64)).min(1).max(50).optional(),
    /** File ids of the dataset. */
    files: z.array(z.uuid()).min(1).max(500).optional(),
  })
  .refine((s) => !(s.releases && s.files), {
    message: 'name releases or files, not both',
    ...withCode('scope_ambiguous'),
  });

const fields = {
  purpose: Purpose,
  intendedOutputs: z.string().trim().max(5000).default(''),
  requestedDays: z.number().int().min(1).max(MAX_GRANT_DAYS).optional(),
  answers: z.record(z.string().max(40), z.unknown()).default({}),
  /** The licence version the requester read and accepts: it must be the one in force. */
  licenceVersion: z.number().int().min(1),
  /** E-mails of existing users who become co-grantees. */
  team: z.array(Email).max(20).default([]),
  scope: Scope.optional(),
};

/** The body of `POST /datasets/:slug/access-requests` (API.md "Bodies that clients write"). */
export const CreateAccessRequest = z.strictObject(fields);
export type CreateAccessRequest = z.infer<typeof CreateAccessRequest>;

/**
 * The body of `PATCH /access-requests/:id`, the resubmission of a returned request: what changes, and the
 * licence version accepted again (required: the terms may have changed since).
 */
export const ResubmitAccessRequest = z.strictObject({
  purpose: Purpose.optional(),
  intendedOutputs: z.string().trim().max(5000).optional(),
  requestedDays: z.number().int().min(1).max(MAX_GRANT_DAYS).optional(),
  answers: z.record(z.string().max(40), z.unknown()).optional(),
  licenceVersion: z.number().int().min(1),
  team: z.array(Email).max(20).optional(),
  scope: Scope.optional(),
});
export type ResubmitAccessRequest = z.infer<typeof ResubmitAccessRequest>;

export const Withdraw = z.strictObject({ reason: z.string().trim().max(2000).optional() });

export const CastReview = z.strictObject({
  decision: z.enum(['approve', 'deny', 'return']),
  comment: z.string().trim().max(5000).default(''),
  /** A declared conflict of interest (what it is); such a review is recorded but counts for nothing. */
  conflictOfInterest: z.union([z.string().trim().min(1).max(2000), z.boolean()]).optional(),
});
export type CastReview = z.infer<typeof CastReview>;

const Flag = z.enum(['1', 'true']).transform(() => true);
const Status = z.enum(['submitted', 'in_review', 'approved', 'denied', 'returned', 'withdrawn']);
export const ListAccessRequests = z.strictObject({
  mine: Flag.optional(),
  community: Slug.optional(),
  dataset: Slug.optional(),
  /** One status, or several separated by commas (`submitted,in_review`: a review queue). */
  status: z
    .string()
    .transform((s) => [...new Set(s.split(',').map((x) => x.trim()))])
    .pipe(z.array(Status).min(1).max(Status.options.length))
    .optional(),
  /** `oldest` lists the longest-waiting first, as a review queue reads; default newest first. */
  order: z.enum(['newest', 'oldest']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export type ListAccessRequests = z.infer<typeof ListAccessRequests>;

/** Problem codes for issues zod raises by itself, by where they are. */
function codeAt(path: PropertyKey[]): string | undefined {
  if (path[0] === 'purpose' && path[1] === 'category') return 'unknown_purpose';
  if (path[0] === 'purpose') return 'purpose_incomplete';
  if (path[0] === 'licenceVersion') return 'licence_version_required';
  if (path[0] === 'team') return 'invalid_team_email';
  if (path[0] === 'requestedDays') return 'requested_days_out_of_range';
  return undefined;
}

/**
 * Parses a body with `schema`; a failure is a 400 whose `code` names the first specific fault
 * (`unknown_purpose`, `licence_version_required`, …; else `validation_failed`), every issue listed.
 */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  return parseWithCodes(schema, body ?? {}, codeAt);
}

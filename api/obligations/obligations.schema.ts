import { z } from 'zod';
import { WebUrl } from '../common.schema.ts';

/**
 * `POST /obligations/:id/evidence`: a link, a statement, or a derived work registered under the same
 * grant (at least one). Submitting again replaces the evidence while the obligation is open.
 */
export const SubmitEvidence = z
  .strictObject({
    link: WebUrl.optional(),
    text: z.string().trim().min(1).max(5000).optional(),
    derivedWorkId: z.uuid({ message: 'not a valid id' }).optional(),
  })
  .refine((e) => e.link !== undefined || e.text !== undefined || e.derivedWorkId !== undefined, {
    message: 'give a link, a text or a derived work',
    path: ['link'],
  });
export type SubmitEvidence = z.infer<typeof SubmitEvidence>;

/** `POST /obligations/:id/verify`: an optional note for the grantee. */
export const VerifyObligation = z.strictObject({ note: z.string().trim().max(2000).optional() });
export type VerifyObligation = z.infer<typeof VerifyObligation>;

/** `POST /obligations/:id/waive` and `/reject`: the reason is required (it is audited and shown). */
export const ObligationReason = z.strictObject({ reason: z.string().trim().min(1).max(2000) });
export type ObligationReason = z.infer<typeof ObligationReason>;

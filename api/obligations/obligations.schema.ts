import { z } from 'zod';
import { WebUrl } from '../common.schema.ts';
import { FileName, RegisterFile } from '../files/files.schema.ts';

/** Evidence files are documents (a receipt, a report), not data: 50 MB at most, one signed PUT. */
export const MAX_EVIDENCE_FILE = 50 * 1000 * 1000;

/** A file given as evidence: the answer carries a signed PUT to upload exactly these bytes. */
export const EvidenceFile = z.strictObject({
  name: FileName,
  size: z.number().int().min(1).max(MAX_EVIDENCE_FILE, 'evidence files are at most 50 MB'),
  mediaType: RegisterFile.shape.mediaType,
});

/**
 * `POST /obligations/:id/evidence`: a link, a statement, a file, or a derived work registered under the
 * same grant (at least one). Submitting again replaces the evidence while the obligation is open.
 */
export const SubmitEvidence = z
  .strictObject({
    link: WebUrl.optional(),
    text: z.string().trim().min(1).max(5000).optional(),
    derivedWorkId: z.uuid({ message: 'not a valid id' }).optional(),
    file: EvidenceFile.optional(),
  })
  .refine((e) => e.link || e.text || e.derivedWorkId || e.file, {
    message: 'give a link, a text, a file or a derived work',
    path: ['link'],
  });
export type SubmitEvidence = z.infer<typeof SubmitEvidence>;

/** `POST /obligations/:id/verify`: an optional note for the grantee. */
export const VerifyObligation = z.strictObject({ note: z.string().trim().max(2000).optional() });
export type VerifyObligation = z.infer<typeof VerifyObligation>;

/** `POST /obligations/:id/waive` and `/reject`: the reason is required (it is audited and shown). */
export const ObligationReason = z.strictObject({ reason: z.string().trim().min(1).max(2000) });
export type ObligationReason = z.infer<typeof ObligationReason>;

import { z } from 'zod';
import { derivedWorkKinds } from '../../policies/derived-works.ts';
import { WebUrl } from '../common.schema.ts';

export { derivedWorkKinds };

/**
 * `POST /grants/:id/derived-works`. `obligationId` names an open obligation of the same grant that the
 * work meets (e.g. `share-model`): it becomes that obligation's evidence, for a steward to verify.
 */
export const RegisterDerivedWork = z.strictObject({
  kind: z.enum(derivedWorkKinds),
  title: z.string().trim().min(1).max(300),
  url: WebUrl.optional(),
  description: z.string().trim().max(5000).default(''),
  obligationId: z.uuid({ message: 'not a valid id' }).optional(),
});
export type RegisterDerivedWork = z.infer<typeof RegisterDerivedWork>;

import { z } from 'zod';
import { Email, Slug } from '../common.schema.ts';

export const CreateCommunity = z.strictObject({
  slug: Slug,
  name: z.string().trim().min(1).max(200),
  description: z.string().max(10_000).default(''),
  stewardEmail: Email.optional(),
});
export type CreateCommunity = z.infer<typeof CreateCommunity>;

export const AddMember = z.strictObject({
  email: Email,
  role: z.enum(['steward', 'reviewer', 'auditor', 'member']),
  name: z.string().trim().min(1).max(200).optional(),
});
export type AddMember = z.infer<typeof AddMember>;

export const CommunityParams = z.object({ slug: Slug });

/** The steward's switches: a public transparency page, reports shared with members. */
export const UpdateCommunity = z
  .strictObject({
    transparencyPublic: z.boolean().optional(),
    reportsSharedWithMembers: z.boolean().optional(),
  })
  .refine((v) => v.transparencyPublic !== undefined || v.reportsSharedWithMembers !== undefined, {
    message: 'give transparencyPublic and/or reportsSharedWithMembers',
  });
export type UpdateCommunity = z.infer<typeof UpdateCommunity>;

import { z } from 'zod';
import { tokenScope as tokenScopes } from '../../db/schema/enums.ts';

export const CreateToken = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z
    .array(z.enum(tokenScopes))
    .min(1)
    .max(tokenScopes.length)
    .default(['read', 'download', 'request'])
    .transform((s) => [...new Set(s)]),
  expiresInDays: z.number().int().min(1).max(366).default(90),
});
export type CreateToken = z.infer<typeof CreateToken>;

export const TokenParams = z.object({ id: z.uuid() });

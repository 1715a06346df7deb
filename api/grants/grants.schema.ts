import { z } from 'zod';
import { MAX_GRANT_DAYS } from '../../policies/licence-terms.ts';
import { Slug } from '../common.schema.ts';

const Flag = z.enum(['1', 'true']).transform(() => true);

/** `GET /grants?mine=1` (my grants) or `?community=SLUG` (a community's, for its stewards). */
export const ListGrants = z.strictObject({
  mine: Flag.optional(),
  community: Slug.optional(),
  dataset: Slug.optional(),
  status: z.enum(['active', 'suspended', 'revoked', 'expired']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export type ListGrants = z.infer<typeof ListGrants>;

/** The body of suspend, reinstate and revoke: the reason is required (it is audited and shown). */
export const GrantAct = z.strictObject({ reason: z.string().trim().min(1).max(2000) });
export type GrantAct = z.infer<typeof GrantAct>;

/** The body of renew: a reason, and how many days to extend by (default and cap: the licence's maximum). */
export const RenewGrant = GrantAct.extend({ days: z.number().int().min(1).max(MAX_GRANT_DAYS).optional() });
export type RenewGrant = z.infer<typeof RenewGrant>;

/** The body of `POST /datasets/:slug/accept`: the licence version the user read and accepts. */
export const AcceptLicence = z.strictObject({ licenceVersion: z.number().int().min(1) });

import type { TokenScope } from '../db/schema/enums.ts';

export type CommunityRole = 'steward' | 'reviewer' | 'auditor' | 'member';

export interface Membership {
  communityId: string;
  role: CommunityRole;
}

/**
 * A grant the actor holds that is in force right now: active, inside its dates, under a licence version
 * not withdrawn, with no overdue obligation. Which grants are in force is decided in SQL with `now()`
 * when the actor is loaded, never by baking the time into rules.
 */
export interface GrantRef {
  id: string;
  datasetId: string;
  scope: 'dataset' | 'release' | 'file';
  /** Release or file ids when the scope is narrower than the dataset. */
  scopeIds: string[];
  /** The purpose category the grant was given for (recorded on each download it allows). */
  purpose?: string | null;
}

/** Who is acting: built per request by the api from the session or bearer token. */
export type Actor =
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      userId: string;
      isAdmin: boolean;
      memberships: Membership[];
      /** Grants in force for this user (as grantee or named team member). */
      grants?: GrantRef[];
      /** Set when the request came with a bearer token: its scopes cut down what the user may do. */
      token?: { id: string; scopes: TokenScope[] };
    };

export const anonymous: Actor = { kind: 'anonymous' };

/** Ids of the communities where the actor holds one of `roles`. */
export function communitiesWithRole(actor: Actor, ...roles: CommunityRole[]): string[] {
  if (actor.kind !== 'user') return [];
  return [...new Set(actor.memberships.filter((m) => roles.includes(m.role)).map((m) => m.communityId))];
}

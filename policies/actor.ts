import type { TokenScope } from '../db/schema/enums.ts';

export type CommunityRole = 'steward' | 'reviewer' | 'auditor' | 'member';

export interface Membership {
  communityId: string;
  role: CommunityRole;
}

/** Who is acting: built per request by the api from the session or bearer token. */
export type Actor =
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      userId: string;
      isAdmin: boolean;
      memberships: Membership[];
      /** Set when the request came with a bearer token: its scopes cut down what the user may do. */
      token?: { id: string; scopes: TokenScope[] };
    };

export const anonymous: Actor = { kind: 'anonymous' };

/** Ids of the communities where the actor holds one of `roles`. */
export function communitiesWithRole(actor: Actor, ...roles: CommunityRole[]): string[] {
  if (actor.kind !== 'user') return [];
  return [...new Set(actor.memberships.filter((m) => roles.includes(m.role)).map((m) => m.communityId))];
}

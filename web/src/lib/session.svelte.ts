import { type ApiError, api, toApiError } from './api';
import type { Me, Membership } from './types';

interface Session {
  /** True once `GET /me` has answered (or failed). */
  loaded: boolean;
  me: Me | null;
  error: ApiError | null;
}

/** The signed-in user, shared by every page; loaded once by the root layout. */
export const session: Session = $state({ loaded: false, me: null, error: null });

let pending: Promise<void> | null = null;

/** Loads `GET /me` once (again only with `force`). Never throws: failures land in `session.error`. */
export function loadSession(force = false): Promise<void> {
  if (pending && !force) return pending;
  pending = api
    .me()
    .then((me) => {
      session.me = me;
      session.error = null;
    })
    .catch((err: unknown) => {
      session.me = { user: null, memberships: [], rules: [] };
      session.error = toApiError(err);
    })
    .finally(() => {
      session.loaded = true;
    });
  return pending;
}

/** The communities where the signed-in user is a steward. */
export function stewardships(): Membership[] {
  return session.me?.user ? session.me.memberships.filter((m) => m.role === 'steward') : [];
}

/** Where the "Sign in" link goes, coming back to `returnTo` afterwards. */
export function signInHref(returnTo: string): string {
  return `/auth/login?returnTo=${encodeURIComponent(safeReturnTo(returnTo))}`;
}

/** Only same-site absolute paths are allowed as return targets. */
export function safeReturnTo(path: string | null | undefined): string {
  if (!path?.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) return '/';
  return path;
}

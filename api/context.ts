import type { Db } from '../db/index.ts';
import type { Actor, AppAbility } from '../policies/index.ts';

/** What every service receives: who acts, what they may do, where to write, and when. */
export interface Ctx {
  actor: Actor;
  ability: AppAbility;
  db: Db;
  now: Date;
  requestId: string;
  /** Salted hash of the caller's IP, recorded for anonymous acts. */
  ipHash: string | null;
}

import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rateLimits } from '../../db/schema/index.ts';

/**
 * The counting upsert, with its parameters as placeholders `prefix + key|window|n`; returns the count so
 * far. Also used as a CTE by the download reads, so a download counts itself in the read's statement.
 */
export const hitStatement = (db: Db, prefix = '') => {
  const p = (name: string) => sql.placeholder(prefix + name);
  const expired = sql`${rateLimits.windowStart} < now() - make_interval(secs => ${p('window')}::int)`;
  return db
    .insert(rateLimits)
    .values({ key: p('key'), windowStart: sql`now()`, count: sql`${p('n')}::int` })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`case when ${expired} then ${p('n')}::int else ${rateLimits.count} + ${p('n')}::int end`,
        windowStart: sql`case when ${expired} then now() else ${rateLimits.windowStart} end`,
      },
    })
    .returning({ count: rateLimits.count });
};

/** A hit to count within another statement: the placeholders of `hitStatement(db, 'rl')`. */
export interface CountedHit {
  key: string;
  windowSeconds: number;
  n?: number;
}
export const hitParams = (h: CountedHit) => ({ rlkey: h.key, rlwindow: h.windowSeconds, rln: h.n ?? 1 });

const hitQuery = (db: Db) => hitStatement(db).prepare('rate_limit_hit');
const prepared = new WeakMap<Db, ReturnType<typeof hitQuery>>();

/**
 * Counts `n` hits in `key`'s fixed window (restarting it when it has passed); returns the count so far.
 * Prepared once per database handle: the download path counts on every request.
 */
export async function hit(db: Db, key: string, windowSeconds: number, n = 1): Promise<number> {
  let q = prepared.get(db);
  if (!q) {
    q = hitQuery(db);
    prepared.set(db, q);
  }
  const [row] = await q.execute({ key, window: windowSeconds, n });
  return row.count;
}

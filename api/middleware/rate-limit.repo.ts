import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rateLimits } from '../../db/schema/index.ts';

const hitQuery = (db: Db) => {
  const expired = sql`${rateLimits.windowStart} < now() - make_interval(secs => ${sql.placeholder('window')}::int)`;
  return db
    .insert(rateLimits)
    .values({
      key: sql.placeholder('key'),
      windowStart: sql`now()`,
      count: sql`${sql.placeholder('n')}::int`,
    })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`case when ${expired} then ${sql.placeholder('n')}::int else ${rateLimits.count} + ${sql.placeholder('n')}::int end`,
        windowStart: sql`case when ${expired} then now() else ${rateLimits.windowStart} end`,
      },
    })
    .returning({ count: rateLimits.count })
    .prepare('rate_limit_hit');
};
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

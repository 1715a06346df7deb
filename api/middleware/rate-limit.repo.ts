import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { rateLimits } from '../../db/schema/index.ts';

/** Counts one hit in `key`'s fixed window (restarting it when it has passed); returns the count so far. */
export async function hit(db: Db, key: string, windowSeconds: number): Promise<number> {
  const expired = sql`${rateLimits.windowStart} < now() - make_interval(secs => ${windowSeconds})`;
  const [row] = await db
    .insert(rateLimits)
    .values({ key, windowStart: sql`now()`, count: 1 })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`case when ${expired} then 1 else ${rateLimits.count} + 1 end`,
        windowStart: sql`case when ${expired} then now() else ${rateLimits.windowStart} end`,
      },
    })
    .returning({ count: rateLimits.count });
  return row.count;
}

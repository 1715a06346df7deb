import { eq, lt, sql } from 'drizzle-orm';
import session from 'express-session';
import type { Db } from '../../db/index.ts';
import { sessions } from '../../db/schema/index.ts';

type Cb = (err?: unknown, value?: any) => void;

/** express-session store in the database: any api process can serve any browser. */
export class DbSessionStore extends session.Store {
  constructor(
    private readonly db: Db,
    private readonly defaultTtlMs = 7 * 86_400_000,
  ) {
    super();
  }

  private expiry(sess: session.SessionData): Date {
    const e = sess.cookie?.expires;
    return e ? new Date(e) : new Date(Date.now() + this.defaultTtlMs);
  }

  override get(sid: string, cb: Cb) {
    this.db
      .select({ data: sessions.data })
      .from(sessions)
      .where(sql`${sessions.sid} = ${sid} and ${sessions.expiresAt} > now()`)
      .then((rows) => cb(null, rows[0]?.data ?? null), cb);
  }

  override set(sid: string, sess: session.SessionData, cb?: Cb) {
    const values = {
      sid,
      data: sess as unknown as object,
      userId: sess.userId ?? null,
      expiresAt: this.expiry(sess),
    };
    this.db
      .insert(sessions)
      .values(values)
      .onConflictDoUpdate({
        target: sessions.sid,
        set: { data: values.data, userId: values.userId, expiresAt: values.expiresAt },
      })
      .then(() => {
        // Expired rows are pruned now and then by whoever writes, not by a timer in one process.
        if (Math.random() < 0.01) return this.db.delete(sessions).where(lt(sessions.expiresAt, sql`now()`));
      })
      .then(
        () => cb?.(),
        (err) => cb?.(err),
      );
  }

  override destroy(sid: string, cb?: Cb) {
    this.db
      .delete(sessions)
      .where(eq(sessions.sid, sid))
      .then(
        () => cb?.(),
        (err) => cb?.(err),
      );
  }

  override touch(sid: string, sess: session.SessionData, cb?: Cb) {
    this.db
      .update(sessions)
      .set({ expiresAt: this.expiry(sess) })
      .where(eq(sessions.sid, sid))
      .then(
        () => cb?.(),
        (err) => cb?.(err),
      );
  }
}

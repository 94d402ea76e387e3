import type { Clock } from '../core/clock.ts';
import { currentLevel } from '../core/session-levels.ts';
import type { Db } from '../store/db.ts';
import { deleteSession, loadSession, type SessionRecord } from '../store/sessions.ts';
import type { HubMiddleware } from './context.ts';
import { Session, cookieName, hashSessionId, type SessionEndReason, type SessionOptions } from './session.ts';

/**
 * Loads the session of the request (if any and still valid), exposes it as
 * `ctx.state.session`, and commits it after the handler succeeded.
 */
export function sessionMiddleware(db: Db, clock: Clock, options: SessionOptions): HubMiddleware {
  return async (ctx, next) => {
    const now = clock.now();
    const id = ctx.cookies.get(cookieName(options));
    let record: SessionRecord | undefined;
    let ended: SessionEndReason | undefined;
    if (id && /^[A-Za-z0-9_-]{43}$/.test(id)) {
      record = await loadSession(db, hashSessionId(id));
      if (record) {
        const loggedIn = record.accountId !== null || (record.subject ?? null) !== null;
        const expired = loggedIn
          ? currentLevel(record.levels, record.lastSeenAt, now) === undefined
          : now - record.lastSeenAt >= options.anonymousIdleMs;
        if (expired) {
          await deleteSession(db, record.idHash);
          if (loggedIn) ended = 'timeout';
          record = undefined;
        }
      }
    }
    const session = new Session(now, id, record, ended);
    ctx.state.session = session;
    await next();
    await session.commit(db, ctx, options);
  };
}

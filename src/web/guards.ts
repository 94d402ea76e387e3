import type { HubMiddleware } from './context.ts';

/** Session key of the page to return to after login. */
export const RETURN_TO = 'returnTo';

/**
 * Pages for logged-in citizens: anyone else is sent to the login page and brought back after.
 * Only GET targets are remembered; a form post is not replayed.
 */
export const requireLogin: HubMiddleware = async (ctx, next) => {
  if (ctx.state.session.loa === undefined) {
    if (ctx.method === 'GET') ctx.state.session.set(RETURN_TO, ctx.originalUrl);
    ctx.redirect('/anmelden');
    return;
  }
  await next();
};

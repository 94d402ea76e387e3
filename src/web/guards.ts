import type { HubMiddleware } from './context.ts';

/** Session key of the page to return to after login. */
export const RETURN_TO = 'returnTo';

/**
 * What a session logged in through another state's account without an account here sees
 * instead of the account pages (DECISIONS 8); `login` serves it.
 */
export const ACCOUNTLESS_PAGE = '/sitzung';

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
  if (ctx.state.session.accountId === undefined) {
    // Logged in through a partner, with no account here: there are no account pages.
    ctx.redirect(ACCOUNTLESS_PAGE);
    return;
  }
  await next();
};

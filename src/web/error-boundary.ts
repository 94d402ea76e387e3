import { HubError } from '../core/errors.ts';
import type { HubContext, HubMiddleware } from './context.ts';
import { html } from './html.ts';
import { fmt } from './i18n.ts';
import { errorReference, renderPage } from './layout.ts';
import { errorText, frameText, waitWords } from './messages.ts';
import { Session } from './session.ts';

/**
 * The one place errors become responses. A HubError shows its public text; anything else is
 * logged with its stack and shown as a technical error with a reference the citizen can quote.
 * No stack trace or internal message ever reaches the page.
 */
function toHubError(err: unknown): HubError {
  if (err instanceof HubError) return err;
  const status = (err as { status?: number }).status;
  if (status === 413) return new HubError('payload_too_large');
  if (status === 404) return new HubError('not_found');
  if (typeof status === 'number' && status >= 400 && status < 500) return new HubError('bad_request', String((err as Error).message));
  return new HubError('internal', String((err as Error)?.message ?? err), { cause: err });
}

export function renderError(ctx: HubContext, error: HubError): void {
  const lang = ctx.state.lang;
  const { title, text } = errorText(lang, error.code);
  const params: Record<string, string | number> = { ...error.params };
  if (typeof params.waitMs === 'number') params.wait = waitWords(lang, params.waitMs);
  if (error.code === 'throttled' && typeof params.retryAfterSeconds === 'number') ctx.set('Retry-After', String(params.retryAfterSeconds));
  renderPage(ctx, {
    title,
    status: error.status,
    main: html`<h1>${title}</h1>
      <p>${fmt(text, params)}</p>
      <p class="error-ref">${errorReference(ctx)}</p>
      <p><a href="/">${frameText(lang).backHome}</a></p>`,
  });
}

export function errorBoundary(now: () => number): HubMiddleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new HubError('not_found');
    } catch (err) {
      const error = toHubError(err);
      if (error.status >= 500) ctx.state.log.error({ err }, 'request failed');
      else ctx.state.log.info({ code: error.code, detail: error.message }, 'request refused');
      // The session may not have loaded (the store is down): render with an empty one.
      ctx.state.session ??= new Session(now(), undefined, undefined, undefined);
      // A failed request must not leave a half-built response or cookies behind.
      ctx.remove('Set-Cookie');
      renderError(ctx, error);
    }
  };
}

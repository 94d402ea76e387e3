import type { HubContext } from '../../web/context.ts';
import { escapeHtml, html } from '../../web/html.ts';
import { pageHtml, renderPage } from '../../web/layout.ts';
import { CONTENT_SECURITY_POLICY } from '../../web/security-headers.ts';

/**
 * A page whose form carries a SAML message by HTTP-POST (SAML Bindings 3.5). The hub's one
 * static script submits it at once; without JavaScript the visible button does. Only this
 * response's Content-Security-Policy allows that script and a form target at `action`'s origin.
 */

export const AUTO_SUBMIT_SCRIPT = '/static/auto-submit.js';

export function autoPostPolicy(action: string): string {
  const origin = new URL(action).origin;
  const directives = CONTENT_SECURITY_POLICY.split(';').map((d) => d.trim());
  const out = directives.map((d) => (d.startsWith('form-action ') ? `${d} ${origin}` : d));
  out.push("script-src 'self'");
  return out.join('; ');
}

export interface AutoPost {
  readonly action: string;
  readonly fields: Readonly<Record<string, string | undefined>>;
  readonly title: string;
  readonly text: string;
  readonly button: string;
}

export function renderAutoPost(ctx: HubContext, post: AutoPost): void {
  const fields = Object.entries(post.fields).filter((f): f is [string, string] => f[1] !== undefined);
  renderPage(ctx, {
    title: post.title,
    main: html`<h1>${post.title}</h1>
      <p>${post.text}</p>
      <form method="post" action="${post.action}" data-auto-submit>
        ${fields.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}
        <button type="submit" class="primary">${post.button}</button>
      </form>
      <script src="${AUTO_SUBMIT_SCRIPT}"></script>`,
  });
  ctx.set('Content-Security-Policy', autoPostPolicy(post.action));
}

export interface Continue {
  readonly url: string;
  readonly title: string;
  readonly text: string;
  readonly button: string;
}

/**
 * A page that moves the browser on to `url` (a signed HTTP-Redirect message to a portal) by
 * `<meta http-equiv="refresh">`, with a link for a browser that does not follow it. Chromium holds
 * every redirect of a navigation that a form started to that form page's `form-action 'self'`,
 * so a redirect off the hub straight after "Abmelden" (or after a logout message posted to a
 * portal) is blocked; a refresh from a page of the hub's own is a new navigation that no form
 * started. No script is needed.
 */
export function renderContinue(ctx: HubContext, c: Continue): void {
  ctx.status = 200;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  const page = pageHtml(ctx, {
    title: c.title,
    main: html`<h1>${c.title}</h1>
      <p>${c.text}</p>
      <p><a class="button" href="${c.url}">${c.button}</a></p>`,
  }).value;
  ctx.body = page.replace('</head>', `<meta http-equiv="refresh" content="0; url=${escapeHtml(c.url)}" /></head>`);
}

import type { HubContext } from '../../web/context.ts';
import { escapeHtml, html, trustedHtml } from '../../web/html.ts';
import { fmt } from '../../web/i18n.ts';
import { pageHtml, renderContinue as continuePage } from '../../web/layout.ts';
import { oidcText } from './messages.ts';
import { renderLoggedOutPage } from '../../login/login.ts';

/**
 * The edge's pages, in the hub's page frame. No script: a page that must move the browser on by
 * itself uses `<meta http-equiv="refresh">`, which is not a form submission, so the redirect
 * chain that follows is not held to the `form-action` of the page whose form started it
 * (Chromium checks `form-action` on every redirect after a POST).
 */

function send(ctx: HubContext, title: string, main: ReturnType<typeof html>, status = 200, refreshTo?: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  let page = pageHtml(ctx, { title, main }).value;
  if (refreshTo !== undefined) {
    page = page.replace('</head>', `<meta http-equiv="refresh" content="0; url=${escapeHtml(refreshTo)}" /></head>`);
  }
  ctx.body = page;
}

/** "You are being taken to …": ends a redirect chain that began with a form, then goes on. */
export function renderContinue(ctx: HubContext, url: string, portal: string): void {
  const t = oidcText(ctx.state.lang);
  continuePage(ctx, { url, title: t.continueTitle, text: fmt(t.continueText, { portal }), button: fmt(t.continueLink, { portal }) });
}

/** RP-initiated logout: asks whether to end the Servicekonto session as well. */
export function renderLogoutQuestion(ctx: HubContext, portal: string | undefined, providerForm: string): void {
  const t = oidcText(ctx.state.lang);
  // The form comes from oidc-provider (id "op.logoutForm", its action and xsrf field); the
  // buttons submit it by the form attribute.
  send(
    ctx,
    t.logoutTitle,
    html`<h1>${t.logoutTitle}</h1>
      <p>${portal ? fmt(t.logoutAsk, { portal }) : t.logoutAskUnknown}</p>
      <p>${t.logoutEffect}</p>
      ${trustedHtml(providerForm)}
      <div class="actions">
        <button type="submit" form="op.logoutForm" name="logout" value="yes" class="primary">${t.logoutYes}</button>
        <button type="submit" form="op.logoutForm" class="secondary">${t.logoutNo}</button>
      </div>`,
  );
}

/** After a logout: parties that could not be told, and the way back to the portal. */
export function renderLoggedOut(ctx: HubContext, unreachable: readonly string[], back: { url: string; portal: string } | undefined): void {
  renderLoggedOutPage(ctx, unreachable, back);
}

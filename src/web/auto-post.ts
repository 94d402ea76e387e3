import type { HubContext } from './context.ts';
import { html } from './html.ts';
import { renderPage } from './layout.ts';
import { CONTENT_SECURITY_POLICY } from './security-headers.ts';

/**
 * A page whose form carries a protocol message by HTTP-POST to another site (SAML Bindings 3.5:
 * a Response to a portal, an AuthnRequest to a partner). The hub's one static script submits it
 * at once; without JavaScript the visible button does. Only this response's
 * Content-Security-Policy allows that script and a form target at `action`'s origin.
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

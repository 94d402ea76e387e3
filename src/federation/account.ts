import type { FederatedAccounts } from '../accounts/federated.ts';
import type { AccountSection, ActionGate } from '../accounts/service.ts';
import type { HubRouter } from '../web/app.ts';
import { requireLogin } from '../web/guards.ts';
import { html } from '../web/html.ts';
import { fmt } from '../web/i18n.ts';
import { renderPage } from '../web/layout.ts';
import type { MetadataService } from './metadata/service.ts';
import { eidasText } from './eidas-messages.ts';
import { federationText } from './messages.ts';

/**
 * A federated account on "Mein Servicekonto": a section saying where its data come from, and a
 * gate that sends every change of data, password or authenticators to a page explaining that
 * they are managed in the other state's account (the partner is the source; its data replace
 * ours at each login). Deleting the account stays possible, without a password it does not have.
 */

const LOCKED_PATH = '/konto/verbunden';

export interface FederatedAccountUiDeps {
  readonly federated: FederatedAccounts;
  readonly metadata: MetadataService;
}

function partnerName(deps: FederatedAccountUiDeps, partnerId: string, lang: 'de' | 'en'): string {
  return deps.metadata.trust.byId(partnerId)?.name[lang] ?? partnerId;
}

/** The section's and page's words: an account from the eIDAS node is no "Nutzerkonto" of a state. */
function linkTexts(
  deps: FederatedAccountUiDeps,
  partnerId: string,
  lang: 'de' | 'en',
): { linkedTitle: string; linkedText: string; lockedTitle: string; lockedText: string } {
  return deps.metadata.trust.byId(partnerId)?.kind === 'eidas' ? eidasText(lang) : federationText(lang);
}

export function federatedAccountSection(deps: FederatedAccountUiDeps): AccountSection {
  return {
    order: 5,
    async render(ctx, account) {
      const row = await deps.federated.of(account.id);
      if (!row) return html``;
      const t = linkTexts(deps, row.partnerId, ctx.state.lang);
      const partner = partnerName(deps, row.partnerId, ctx.state.lang);
      return html`<section class="notice" aria-labelledby="federated-title">
        <h2 id="federated-title">${fmt(t.linkedTitle, { partner })}</h2>
        <p>${fmt(t.linkedText, { partner })}</p>
      </section>`;
    },
  };
}

export function federatedAccountGate(deps: FederatedAccountUiDeps): ActionGate {
  return async (_ctx, account, action) => {
    const row = await deps.federated.of(account.id);
    if (!row) return { kind: 'open' };
    // Deleting needs no password (there is none): the login through the partner stands for it.
    if (action === 'deleteAccount') return { kind: 'confirmed' };
    return { kind: 'redirect', url: LOCKED_PATH };
  };
}

export function registerFederatedAccountRoutes(router: HubRouter, deps: FederatedAccountUiDeps): void {
  router.get(LOCKED_PATH, requireLogin, async (ctx) => {
    const row = await deps.federated.of(ctx.state.session.accountId as string);
    if (!row) return ctx.redirect('/konto');
    const t = { ...federationText(ctx.state.lang), ...linkTexts(deps, row.partnerId, ctx.state.lang) };
    const partner = partnerName(deps, row.partnerId, ctx.state.lang);
    renderPage(ctx, {
      title: fmt(t.lockedTitle, { partner }),
      main: html`<h1>${fmt(t.lockedTitle, { partner })}</h1>
        <p>${fmt(t.lockedText, { partner })}</p>
        <p><a class="button" href="/konto">${t.toAccount}</a></p>`,
    });
  });
}

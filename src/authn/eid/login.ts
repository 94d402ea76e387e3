import type { Throttles } from '../../accounts/throttles.ts';
import type { LoginMethod, MethodView } from '../../login/login.ts';
import { findBindingByCard, restrictedIdHash } from '../../store/eid.ts';
import type { HubRouter } from '../../web/app.ts';
import type { HubContext } from '../../web/context.ts';
import { html, type Html } from '../../web/html.ts';
import { fmt } from '../../web/i18n.ts';
import { csrfField, renderPage } from '../../web/layout.ts';
import { eidIdentity, failureStatus, failureText, fieldList, markEidLogin, updateFromCard, type EidContext } from './common.ts';
import type { EidIntent, EidOutcome } from './flow.ts';
import { keepRegistrationDraft, keepTemporaryCard, TEMPORARY_REGISTRATION_PATH } from './registration.ts';
import { eidText } from './texts.ts';

/**
 * "Mit der Online-Ausweisfunktion" on the login page: LoA high. The card's RestrictedID finds the
 * account; data an authority changed on the chip (a new address) are taken over at each login. A
 * card without an account leads to the registration with its data; an existing lower session of
 * the same account is stepped up (login.complete keeps the account and adds the method).
 */

const PENDING_CONFIRMATION = 'eid.pendingConfirmation';

export function eidMethod(): LoginMethod {
  return {
    id: 'eid',
    order: 20,
    maxLoa: 'high',
    // "Temporär anmelden" (issue 9): the card identifies the citizen without an account here.
    temporary: true,
    describeLimit: (lang) => eidText(lang).describeLimit,
    render(ctx: HubContext, view: MethodView): Html {
      const t = eidText(ctx.state.lang);
      return html`<section aria-labelledby="eid-title" class="method-eid">
        <h2 id="eid-title">${t.methodTitle}</h2>
        ${view.message ? html`<div class="error-summary" role="alert" tabindex="-1">${view.message}</div>` : ''}
        <p>${t.methodIntro}</p>
        <form method="post" action="/anmelden/ausweis">
          ${csrfField(ctx)}${view.requestId ? html`<input type="hidden" name="auftrag" value="${view.requestId}" />` : ''}
          <div class="actions"><button type="submit" class="primary">${t.methodSubmit}</button></div>
        </form>
        ${view.requestId ? '' : html`<p><a href="/registrieren/ausweis">${t.methodRegister}</a></p>`}
      </section>`;
    },
  };
}

export function registerEidLogin(router: HubRouter, c: EidContext, throttles: Throttles): void {
  const { login, accounts, flow, clock } = c;

  const showOnLogin = (ctx: HubContext, message: Html, status: number, requestId: string | undefined): void => {
    login.renderPage(ctx, { eid: { message } }, status, login.findOpenRequest(ctx, requestId));
  };

  const onLogin = async (ctx: HubContext, intent: EidIntent, outcome: EidOutcome): Promise<void> => {
    const lang = ctx.state.lang;
    const t = eidText(lang);
    if (!outcome.ok) {
      return showOnLogin(ctx, html`<p>${failureText(lang, outcome, ctx, c.minimumAge)}</p>`, failureStatus(outcome), intent.requestId);
    }
    const card = outcome.card;
    const binding = await findBindingByCard(c.db, restrictedIdHash(card.restrictedId));
    if (login.isTemporary(ctx, intent.requestId)) {
      // Temporary (issue 9): no account is looked up for the login, nothing is written; the card's
      // data live in the session only. A card without an account may keep them for a registration.
      const now = clock.now();
      await login.complete(
        ctx,
        {
          ...eidIdentity(undefined, card, now),
          temporary: true,
          ...(binding ? {} : { accountOffer: TEMPORARY_REGISTRATION_PATH }),
        },
        intent.requestId,
      );
      if (!binding && login.isTemporarySession(ctx.state.session)) keepTemporaryCard(ctx, card, now);
      return;
    }
    const current = ctx.state.session.accountId;
    if (!binding) {
      if (current !== undefined) {
        return showOnLogin(
          ctx,
          html`<p>${t.notLinkedHere}</p>
            <p><a href="/konto/authentifizierungsmittel">${t.authTitle}</a></p>`,
          403,
          intent.requestId,
        );
      }
      keepRegistrationDraft(ctx, card, clock.now());
      renderPage(ctx, {
        title: t.noAccountTitle,
        status: 404,
        main: html`<h1>${t.noAccountTitle}</h1>
          <p>${t.noAccountText}</p>
          <p><a class="button" href="/registrieren/ausweis/zugangsdaten">${t.noAccountRegister}</a></p>
          <p>${t.noAccountUpgrade}</p>
          <p><a href="/anmelden">${t.toLogin}</a></p>`,
      });
      return;
    }
    if (current !== undefined && current !== binding.accountId)
      return showOnLogin(ctx, html`<p>${t.otherAccount}</p>`, 403, intent.requestId);
    const account = await accounts.findById(binding.accountId);
    if (!account) return showOnLogin(ctx, html`<p>${t.notFound}</p>`, 400, intent.requestId);
    if (account.status === 'pending') {
      ctx.state.session.set(PENDING_CONFIRMATION, account.id);
      return showOnLogin(
        ctx,
        html`<p>${t.pending}</p>
          <form method="post" action="/anmelden/ausweis/bestaetigung-senden">
            ${csrfField(ctx)}<button type="submit" class="secondary">${t.resend}</button>
          </form>`,
        403,
        intent.requestId,
      );
    }
    const changed = await updateFromCard(c, account.id, card);
    if (changed.length > 0) ctx.state.session.set('accountNotice', fmt(t.dataUpdated, { fields: fieldList(lang, changed) }));
    const now = clock.now();
    await login.complete(ctx, eidIdentity(account.id, card, now), intent.requestId);
    markEidLogin(ctx.state.session, account.id, now);
  };
  flow.on('login', onLogin);

  router.post('/anmelden/ausweis', async (ctx) => {
    const requestId = ctx.state.form.get('auftrag') || undefined;
    await flow.start(ctx, { purpose: 'login', requestId });
  });

  router.post('/anmelden/ausweis/bestaetigung-senden', async (ctx) => {
    const accountId = ctx.state.session.take<string>(PENDING_CONFIRMATION);
    if (accountId !== undefined) {
      await throttles.takeOrThrow('resetAccount', `confirm:${accountId}`);
      await accounts.resendConfirmation(accountId);
    }
    login.renderPage(ctx, { eid: { message: html`<p>${eidText(ctx.state.lang).resent}</p>` } });
  });
}

import { AUTHENTICATORS_NOTICE, renderAuthenticatorsPage } from '../../accounts/authenticators.ts';
import type { ActionGate, AuthenticatorSection, SensitiveAction } from '../../accounts/service.ts';
import { HubError } from '../../core/errors.ts';
import { attributeValues } from '../../core/attributes.ts';
import type { Account } from '../../store/accounts.ts';
import { findBindingByAccount, findBindingByCard, restrictedIdHash, type EidBinding } from '../../store/eid.ts';
import type { HubRouter } from '../../web/app.ts';
import type { HubContext } from '../../web/context.ts';
import { RETURN_TO, requireLogin } from '../../web/guards.ts';
import { html } from '../../web/html.ts';
import { fmt, formatDateTime } from '../../web/i18n.ts';
import { csrfField, renderPage } from '../../web/layout.ts';
import {
  bindToAccount,
  eidIdentity,
  failureStatus,
  failureText,
  fieldList,
  hasFreshEidLogin,
  markEidLogin,
  updateFromCard,
  type EidContext,
} from './common.ts';
import type { EidIntent, EidOutcome } from './flow.ts';
import { matchIdentity } from './matching.ts';
import { cardDataList } from './registration.ts';
import { documentTypeWord, eidText } from './texts.ts';

/**
 * "Meine Authentifizierungsmittel": the password and the ID card of an account. A password
 * account adds its card here when the card matches its self-declared name and date of birth
 * (./matching.ts); a new card of the same person replaces the old one. And the fresh eID login
 * that changing data and deleting need once a card is bound.
 */

const PAGE = '/konto/authentifizierungsmittel';

/** Where each sensitive change continues after the confirmation. */
const NEXT: Readonly<Record<SensitiveAction, string>> = {
  changeData: '/konto/daten',
  deleteAccount: '/konto/loeschen',
  setPassword: '/konto/passwort',
  changeAuthenticators: PAGE,
};

function isAction(v: unknown): v is SensitiveAction {
  return typeof v === 'string' && Object.hasOwn(NEXT, v);
}

async function currentAccount(ctx: HubContext, c: EidContext): Promise<Account> {
  const id = ctx.state.session.accountId;
  const account = id === undefined ? undefined : await c.accounts.findById(id);
  if (!account) throw new HubError('login_required');
  return account;
}

/** The ID card's section of "Meine Authentifizierungsmittel" (the page itself is in accounts). */
export function eidAuthenticator(c: EidContext): AuthenticatorSection {
  return {
    order: 20,
    async summary(ctx, account) {
      const lang = ctx.state.lang;
      const t = eidText(lang);
      const binding = await findBindingByAccount(c.db, account.id);
      return html`${binding ? fmt(t.sectionEidBound, { date: formatDateTime(lang, binding.boundAt) }) : t.sectionEidNone}`;
    },
    async render(ctx, account) {
      const lang = ctx.state.lang;
      const t = eidText(lang);
      const binding: EidBinding | undefined = await findBindingByAccount(c.db, account.id);
      const attributes = await c.accounts.attributes(account.id);
      return html`<h2>${t.eidTitle}</h2>
        ${
          binding
            ? html`<p>
                  ${fmt(t.eidBound, {
                    type: documentTypeWord(lang, binding.documentType),
                    bound: formatDateTime(lang, binding.boundAt),
                    used: formatDateTime(lang, binding.lastUsedAt),
                  })}
                </p>
                <p>${t.eidVerifiedData}</p>
                ${cardDataList(lang, attributes)}
                <p>${t.eidNewCardText}</p>
                <form method="post" action="${PAGE}/ausweis">
                  ${csrfField(ctx)}
                  <div class="actions"><button type="submit" class="secondary">${t.eidNewCard}</button></div>
                </form>`
            : html`<p>${t.eidNone}</p>
                <p>${t.eidRule}</p>
                <form method="post" action="${PAGE}/ausweis">
                  ${csrfField(ctx)}
                  <div class="actions"><button type="submit" class="primary">${t.eidAdd}</button></div>
                </form>`
        }`;
    },
  };
}

/** Changing data, deleting, or setting a first password on an account with a card needs a fresh eID login. */
export function freshEidGate(c: EidContext): ActionGate {
  return async (ctx, account, action) => {
    if (!(await findBindingByAccount(c.db, account.id))) return { kind: 'open' };
    if (hasFreshEidLogin(ctx.state.session, account.id)) return { kind: 'confirmed' };
    return { kind: 'redirect', url: `/konto/ausweis-bestaetigen?aktion=${action}` };
  };
}

export function registerEidAccount(router: HubRouter, c: EidContext): void {
  const { accounts, login, flow, clock, db } = c;

  const renderAuthenticators = (ctx: HubContext, account: Account, problem: string, status: number): Promise<void> =>
    renderAuthenticatorsPage(ctx, accounts, account, { problem, status });

  const renderReauth = (ctx: HubContext, action: SensitiveAction, problem?: string, status = 200): void => {
    const t = eidText(ctx.state.lang);
    const intro = {
      changeData: t.reauthChangeData,
      deleteAccount: t.reauthDeleteAccount,
      setPassword: t.reauthSetPassword,
      changeAuthenticators: t.reauthChangeAuthenticators,
    }[action];
    renderPage(ctx, {
      title: t.reauthTitle,
      status,
      main: html`<h1>${t.reauthTitle}</h1>
        ${problem ? html`<div class="error-summary" role="alert" tabindex="-1"><p>${problem}</p></div>` : ''}
        <p>${intro}</p>
        <p>${action === 'changeAuthenticators' ? t.reauthNoteAuthenticators : t.reauthNote}</p>
        <form method="post" action="/konto/ausweis-bestaetigen">
          ${csrfField(ctx)}<input type="hidden" name="aktion" value="${action}" />
          <div class="actions">
            <a class="button secondary" href="/konto">${t.cancel}</a>
            <button type="submit" class="primary">${t.reauthSubmit}</button>
          </div>
        </form>`,
    });
  };

  /** The account the flow was started for, if this session is still logged in to it. */
  const flowAccount = async (ctx: HubContext, intent: EidIntent): Promise<Account | undefined> => {
    const id = ctx.state.session.accountId;
    if (id === undefined || id !== intent.accountId) return undefined;
    return accounts.findById(id);
  };

  const finishLogin = async (
    ctx: HubContext,
    account: Account,
    outcome: Extract<EidOutcome, { ok: true }>,
    next: string,
  ): Promise<void> => {
    const now = clock.now();
    ctx.state.session.set(RETURN_TO, next);
    await login.complete(ctx, eidIdentity(account.id, outcome.card, now));
    markEidLogin(ctx.state.session, account.id, now);
  };

  const onUpgrade = async (ctx: HubContext, intent: EidIntent, outcome: EidOutcome): Promise<void> => {
    const lang = ctx.state.lang;
    const t = eidText(lang);
    const account = await flowAccount(ctx, intent);
    if (!account) throw new HubError('login_required', 'eID upgrade for another or no session');
    if (!outcome.ok) return renderAuthenticators(ctx, account, failureText(lang, outcome, ctx, c.minimumAge), failureStatus(outcome));
    const card = outcome.card;
    const byCard = await findBindingByCard(db, restrictedIdHash(card.restrictedId));
    if (byCard && byCard.accountId !== account.id) return renderAuthenticators(ctx, account, t.otherAccountCard, 409);
    let notice: string;
    if (byCard) {
      const changed = await updateFromCard(c, account.id, card);
      notice = changed.length > 0 ? `${t.sameCard} ${fmt(t.dataUpdated, { fields: fieldList(lang, changed) })}` : t.sameCard;
    } else {
      const previous = await findBindingByAccount(db, account.id);
      const mine = attributeValues(await accounts.attributes(account.id));
      const theirs = attributeValues(card.attributes);
      const match = matchIdentity(mine, theirs);
      if (!match.ok) {
        const fields = fieldList(lang, match.mismatched);
        return renderAuthenticators(ctx, account, fmt(match.mismatched.length > 1 ? t.mismatchMany : t.mismatch, { fields }), 409);
      }
      await bindToAccount(c, account, card, previous !== undefined);
      notice = previous ? t.rebound : t.upgraded;
    }
    ctx.state.session.set(AUTHENTICATORS_NOTICE, notice);
    await finishLogin(ctx, account, outcome, PAGE);
  };
  flow.on('upgrade', onUpgrade);

  const onReauth = async (ctx: HubContext, intent: EidIntent, outcome: EidOutcome): Promise<void> => {
    const lang = ctx.state.lang;
    const t = eidText(lang);
    const action: SensitiveAction = isAction(intent.action) ? intent.action : 'changeData';
    const account = await flowAccount(ctx, intent);
    if (!account) throw new HubError('login_required', 'eID confirmation for another or no session');
    if (!outcome.ok) return renderReauth(ctx, action, failureText(lang, outcome, ctx, c.minimumAge), failureStatus(outcome));
    const byCard = await findBindingByCard(db, restrictedIdHash(outcome.card.restrictedId));
    if (!byCard || byCard.accountId !== account.id) return renderReauth(ctx, action, byCard ? t.otherAccount : t.notLinkedHere, 403);
    const changed = await updateFromCard(c, account.id, outcome.card);
    if (changed.length > 0) ctx.state.session.set('accountNotice', fmt(t.dataUpdated, { fields: fieldList(lang, changed) }));
    await finishLogin(ctx, account, outcome, NEXT[action]);
  };
  flow.on('reauth', onReauth);

  router.post(`${PAGE}/ausweis`, requireLogin, async (ctx) => {
    const account = await currentAccount(ctx, c);
    await flow.start(ctx, { purpose: 'upgrade', accountId: account.id });
  });

  router.get('/konto/ausweis-bestaetigen', requireLogin, async (ctx) => {
    const account = await currentAccount(ctx, c);
    const action = isAction(ctx.query.aktion) ? ctx.query.aktion : 'changeData';
    // Nothing to confirm (no card, or confirmed a moment ago): straight on.
    if (!(await findBindingByAccount(db, account.id)) || hasFreshEidLogin(ctx.state.session, account.id)) return ctx.redirect(NEXT[action]);
    renderReauth(ctx, action);
  });

  router.post('/konto/ausweis-bestaetigen', requireLogin, async (ctx) => {
    const account = await currentAccount(ctx, c);
    const raw = ctx.state.form.get('aktion');
    const action: SensitiveAction = isAction(raw) ? raw : 'changeData';
    await flow.start(ctx, { purpose: 'reauth', accountId: account.id, action });
  });
}

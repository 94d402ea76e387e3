import type { Loa } from '../core/loa.ts';
import { HubError } from '../core/errors.ts';
import type { Account } from '../store/accounts.ts';
import type { HubRouter } from '../web/app.ts';
import type { HubContext } from '../web/context.ts';
import { requireLogin } from '../web/guards.ts';
import { html, type Html } from '../web/html.ts';
import { defineMessages, fmt } from '../web/i18n.ts';
import { renderPage } from '../web/layout.ts';
import { levelWord } from '../web/messages.ts';
import type { AccountSection, AccountService, AuthenticatorSection } from './service.ts';

/**
 * "Meine Authentifizierungsmittel" (`/konto/authentifizierungsmittel`): the page shell. Each means
 * of authentication renders its own section here through `accounts.addAuthenticatorSection()`
 * (the password below, the ID card from authn/eid, the Servicekonto.Pass from authn/pass), so no
 * edge imports another. The modules' own forms post to their own routes and come back here with
 * a notice (`AUTHENTICATORS_NOTICE`) or render the page with a problem (`renderAuthenticatorsPage`).
 */

export const AUTHENTICATORS_PATH = '/konto/authentifizierungsmittel';
/** Session key of the one-time notice shown at the top of the page after a change. */
export const AUTHENTICATORS_NOTICE = 'authenticators.notice';

export const authenticatorsText = defineMessages(
  {
    title: 'Meine Authentifizierungsmittel',
    intro: 'Womit Sie sich beim Servicekonto anmelden und welches Vertrauensniveau Sie damit erreichen.',
    manage: 'Authentifizierungsmittel verwalten',
    backToAccount: 'Zurück zu Mein Servicekonto',
    pwSummarySet: 'Benutzername und Passwort: Passwort festgelegt',
    pwSummaryNone: 'Benutzername und Passwort: kein Passwort festgelegt',
    pwTitle: 'Benutzername und Passwort',
    pwSet: 'Sie können sich mit Benutzername und Passwort anmelden (Vertrauensniveau „{level}“).',
    pwNone: 'Sie haben kein Passwort festgelegt und melden sich ohne Passwort an (zum Beispiel mit der Online-Ausweisfunktion).',
    pwChange: 'Passwort ändern',
    pwSetLink: 'Passwort festlegen',
  },
  {
    title: 'My means of authentication',
    intro: 'What you log in to the Servicekonto with, and the level of assurance each reaches.',
    manage: 'Manage means of authentication',
    backToAccount: 'Back to My Servicekonto',
    pwSummarySet: 'User name and password: password set',
    pwSummaryNone: 'User name and password: no password set',
    pwTitle: 'User name and password',
    pwSet: 'You can log in with user name and password (level of assurance "{level}").',
    pwNone: 'You have not set a password and log in without one (for example with the online ID function).',
    pwChange: 'Change password',
    pwSetLink: 'Set a password',
  },
);

async function currentAccount(ctx: HubContext, accounts: AccountService): Promise<Account> {
  const id = ctx.state.session.accountId;
  const account = id === undefined ? undefined : await accounts.findById(id);
  if (!account) throw new HubError('login_required');
  return account;
}

export interface AuthenticatorsPageOptions {
  /** Shown at the top as an alert (a refusal: "Es wurde nichts geändert"). */
  readonly problem?: string | Html | undefined;
  readonly status?: number;
}

/** Renders the whole page, each registered section in order. */
export async function renderAuthenticatorsPage(
  ctx: HubContext,
  accounts: AccountService,
  account: Account,
  options: AuthenticatorsPageOptions = {},
): Promise<void> {
  const t = authenticatorsText(ctx.state.lang);
  const sections = await Promise.all(accounts.authenticatorSections.map((s) => s.render(ctx, account)));
  const problem = options.problem;
  renderPage(ctx, {
    title: t.title,
    status: options.status ?? 200,
    notice: ctx.state.session.take<string>(AUTHENTICATORS_NOTICE),
    main: html`<h1>${t.title}</h1>
      <p>${t.intro}</p>
      ${problem ? html`<div class="error-summary" role="alert" tabindex="-1">${typeof problem === 'string' ? html`<p>${problem}</p>` : problem}</div>` : ''}
      ${sections}
      <p><a href="/konto">${t.backToAccount}</a></p>`,
  });
}

/** Username and password: the first section of the page. */
export function passwordAuthenticator(passwordLoa: Loa): AuthenticatorSection {
  return {
    order: 10,
    async summary(ctx, account) {
      const t = authenticatorsText(ctx.state.lang);
      return html`${account.passwordHash === null ? t.pwSummaryNone : t.pwSummarySet}`;
    },
    async render(ctx, account) {
      const lang = ctx.state.lang;
      const t = authenticatorsText(lang);
      return html`<h2>${t.pwTitle}</h2>
        <p>${account.passwordHash === null ? t.pwNone : fmt(t.pwSet, { level: levelWord(lang, passwordLoa) })}</p>
        <p><a href="/konto/passwort">${account.passwordHash === null ? t.pwSetLink : t.pwChange}</a></p>`;
    },
  };
}

/** The summary on "Mein Servicekonto": one line per means of authentication and the way to the page. */
function summarySection(accounts: AccountService): AccountSection {
  return {
    order: 20,
    async render(ctx, account) {
      const t = authenticatorsText(ctx.state.lang);
      const lines = await Promise.all(accounts.authenticatorSections.map((s) => s.summary(ctx, account)));
      return html`<h2>${t.title}</h2>
        <ul>
          ${lines.map((line) => html`<li>${line}</li>`)}
        </ul>
        <p><a href="${AUTHENTICATORS_PATH}">${t.manage}</a></p>`;
    },
  };
}

/** Registers the page, its password section and its summary on "Mein Servicekonto". */
export function registerAuthenticatorsPage(
  router: HubRouter,
  deps: { readonly accounts: AccountService; readonly passwordLoa: Loa },
): void {
  const { accounts } = deps;
  accounts.addAuthenticatorSection(passwordAuthenticator(deps.passwordLoa));
  accounts.addSection(summarySection(accounts));
  router.get(AUTHENTICATORS_PATH, requireLogin, async (ctx) => {
    await renderAuthenticatorsPage(ctx, accounts, await currentAccount(ctx, accounts));
  });
}

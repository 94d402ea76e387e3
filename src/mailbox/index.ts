import type { Logger } from 'pino';
import type { AccountSection } from '../accounts/routes-account.ts';
import type { AccountService } from '../accounts/service.ts';
import type { PortalRegistry } from '../config/portals.ts';
import type { AccessTokenVerifier } from '../core/access-token.ts';
import type { Clock } from '../core/clock.ts';
import { loaSatisfies } from '../core/loa.ts';
import type { Login } from '../login/login.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Db } from '../store/db.ts';
import { findMailbox } from '../store/postkorb.ts';
import type { Job } from '../store/scheduler.ts';
import type { HubRouter } from '../web/app.ts';
import type { HubMiddleware } from '../web/context.ts';
import { html } from '../web/html.ts';
import { fmt } from '../web/i18n.ts';
import { csrfField } from '../web/layout.ts';
import { postkorbApi } from './api.ts';
import { sendDueNotices } from './notices.ts';
import { CREATE, EXPORT, INBOX, registerPostkorbPages } from './pages.ts';
import { isLocalLogin, Postkorb, type PostkorbSettings } from './service.ts';
import { postkorbText } from './texts.ts';

/**
 * The Postkorb (issue 8): what main.ts calls. It registers with `accounts` (DECISIONS 6) the
 * section on "Mein Servicekonto", the registration checkbox, the handle as an attribute of the
 * account (released like any attribute: policy, request, consent), the deletion step inside the
 * account's deletion transaction and the download offer on "Servicekonto löschen". main.ts mounts
 * its pages and the sending API, and hands it the access-token verifier of the OIDC edge.
 */

/** The Postkorb's entry in the page header's navigation, for logged-in accounts. */
export const POSTKORB_NAVIGATION = { href: INBOX, label: { de: 'Postkorb', en: 'Postkorb' } } as const;

export interface MailboxDeps {
  readonly settings: PostkorbSettings;
  readonly accounts: AccountService;
  readonly login: Login;
  readonly portals: () => PortalRegistry;
  /** The OIDC edge's port: client credentials tokens of the hub's own token endpoint. */
  readonly verifier: AccessTokenVerifier;
  readonly db: Db;
  readonly clock: Clock;
  readonly mailer: Mailer;
  readonly hmacKey: Buffer;
  readonly publicUrl: string;
  readonly operatorName: string;
  readonly log: Logger;
}

export interface MailboxModule {
  readonly postkorb: Postkorb;
  /** The sending API under /api/postkorb/v1/ (mount before the router; it answers problem+json itself). */
  readonly api: HubMiddleware;
  registerRoutes(router: HubRouter): void;
  /** Housekeeping: the notice mails and the purge of old idempotency keys and delivery records. */
  readonly jobs: readonly Job[];
}

export function createMailbox(deps: MailboxDeps): MailboxModule {
  const { accounts, db, clock, login } = deps;
  const postkorb = new Postkorb({ db, clock, hmacKey: deps.hmacKey, settings: deps.settings, log: deps.log });

  // The handle, for the release to portals (SAML urn:oid:2.5.4.18, OIDC postkorb_handle).
  accounts.addAttributeSource({
    names: ['postkorbHandle'],
    async read(accountId) {
      const mailbox = await findMailbox(db, accountId);
      // The level a portal sees is the releasing session's (the SAML edge writes it); 'basic' here is only a floor.
      return mailbox ? { postkorbHandle: { value: mailbox.handle, loa: 'basic', source: 'hub' } } : {};
    },
  });

  accounts.addRegistrationOption({
    name: 'postkorb',
    order: 10,
    label: (lang) => postkorbText(lang).registrationLabel,
    hint: (lang) => postkorbText(lang).registrationHint,
    apply: async (trx, accountId) => {
      await postkorb.create(trx, accountId);
    },
  });

  // Deleting the account deletes the Postkorb and its content; the delivery records stay.
  accounts.addDeletionStep(async (trx, account) => {
    await postkorb.removeAll(trx, account.id, 'account');
  });

  const section: AccountSection = {
    order: 30,
    async render(ctx, account) {
      const t = postkorbText(ctx.state.lang);
      const mailbox = await postkorb.find(account.id);
      if (!mailbox) {
        if (!isLocalLogin(login.sessionMethods(ctx.state.session))) return html``;
        return html`<h2>${t.title}</h2>
          <p>${t.sectionNone}</p>
          <form method="post" action="${CREATE}">
            ${csrfField(ctx)}
            <button type="submit" class="secondary">${t.create}</button>
          </form>`;
      }
      const counts = await postkorb.counts(account.id);
      return html`<h2>${t.title}</h2>
        <p>${fmt(t.sectionSummary, counts)}</p>
        <p><a class="button" href="${INBOX}">${t.sectionOpen}</a></p>`;
    },
  };
  accounts.addSection(section);

  accounts.addDeletePageSection({
    order: 10,
    async render(ctx, account) {
      const t = postkorbText(ctx.state.lang);
      if (!(await postkorb.find(account.id))) return html``;
      const messages = await postkorb.list(account.id);
      if (messages.length === 0) return html``;
      const current = ctx.state.session.loa;
      const leftOut = current === undefined ? messages.length : messages.filter((m) => !loaSatisfies(current, m.requiredLoa)).length;
      return html`<h2>${t.title}</h2>
        <p>${fmt(t.deletePage, { count: messages.length })}</p>
        ${leftOut > 0 ? html`<p class="notice">${fmt(t.exportLeftOut, { count: leftOut })}</p>` : ''}
        <p><a class="button secondary" href="${EXPORT}" download>${t.exportAll}</a></p>`;
    },
  });

  return {
    postkorb,
    api: postkorbApi({
      postkorb,
      verifier: deps.verifier,
      portals: deps.portals,
      db,
      clock,
      hmacKey: deps.hmacKey,
      settings: deps.settings,
      publicUrl: deps.publicUrl,
    }),
    registerRoutes(router) {
      registerPostkorbPages(router, {
        postkorb,
        accounts,
        login,
        db,
        log: deps.log,
        operatorName: deps.operatorName,
        now: () => clock.now(),
      });
    },
    jobs: [
      {
        name: 'postkorb-notices',
        run: () =>
          sendDueNotices({
            db,
            clock,
            accounts,
            mailer: deps.mailer,
            delayMinutes: deps.settings.noticeDelayMinutes,
            publicUrl: deps.publicUrl,
            operatorName: deps.operatorName,
            log: deps.log,
          }),
      },
      { name: 'purge-postkorb', run: () => postkorb.purge() },
    ],
  };
}

import { attributeLabel } from '../accounts/messages.ts';
import type { AccountService } from '../accounts/service.ts';
import type { AttributeName, Attributes } from '../core/attributes.ts';
import type { AuthnRequestContext } from '../core/authn-request.ts';
import type { Clock } from '../core/clock.ts';
import { listConsents, revokeConsent } from '../store/consents.ts';
import { auditForAccount } from '../store/audit.ts';
import type { Db } from '../store/db.ts';
import type { AccountSection } from '../accounts/routes-account.ts';
import type { HubRouter } from '../web/app.ts';
import type { HubContext } from '../web/context.ts';
import { requireLogin } from '../web/guards.ts';
import { html, type Html } from '../web/html.ts';
import { fmt, formatDateTime, formatIsoDateForDisplay, type Lang } from '../web/i18n.ts';
import { csrfField, renderPage } from '../web/layout.ts';
import { levelWord } from '../web/messages.ts';
import { DAY } from '../core/clock.ts';
import type { Login } from './login.ts';
import { consentText } from './consent-messages.ts';
import { planRelease, pick } from './release.ts';

/**
 * Consent: before the first answer to a portal, and whenever the set of attributes changes, the
 * citizen sees the portal and exactly which items, with their values, will be sent. Consents are
 * listed under "Mein Servicekonto" and can be revoked there.
 */

function valueShown(lang: Lang, name: AttributeName, value: string): string {
  return name === 'dateOfBirth' ? formatIsoDateForDisplay(lang, value) : value;
}

export function attributeTable(lang: Lang, attributes: Attributes, temporary = false): Html {
  const t = consentText(lang);
  const names = Object.keys(attributes) as AttributeName[];
  return html`<dl class="review">
    ${names.map(
      (n) =>
        html`<dt>${attributeLabel(lang, n)}</dt>
          <dd>${valueShown(lang, n, attributes[n]?.value ?? '')}</dd>`,
    )}
    <dt>${t.pseudonym}</dt>
    <dd>${temporary ? t.temporaryPseudonymValue : t.pseudonymValue}</dd>
  </dl>`;
}

export interface ConsentDeps {
  readonly login: Login;
  readonly accounts: AccountService;
  readonly db: Db;
  readonly clock: Clock;
}

export function registerConsentRoutes(router: HubRouter, deps: ConsentDeps): void {
  const { login, db } = deps;

  const load = async (ctx: HubContext, id: string | undefined) => {
    const request = login.findOpenRequest(ctx, id);
    if (!request || ctx.state.session.loa === undefined) return undefined;
    const portal = login.portal(request.portalId);
    if (!portal) return undefined;
    // The account's attributes, or those a partner sent for a login without an account here.
    const all = await login.sessionAttributes(ctx.state.session);
    if (!all) return undefined;
    const plan = planRelease(portal.attributes, request, all);
    return { request, portal, plan, all };
  };

  const render = (ctx: HubContext, request: AuthnRequestContext, portalName: string, attributes: Attributes): void => {
    const lang = ctx.state.lang;
    const t = consentText(lang);
    // The same page for a temporary login (issue 9); only what is said about keeping differs.
    const temporary = login.isTemporarySession(ctx.state.session);
    const offer = login.accountOffer(ctx.state.session);
    renderPage(ctx, {
      title: t.title,
      main: html`<h1>${t.title}</h1>
        <p>${fmt(t.intro, { portal: portalName })}</p>
        ${attributeTable(lang, attributes, temporary)}
        <p>${fmt(t.level, { level: levelWord(lang, ctx.state.session.loa ?? request.minLoa) })}</p>
        <p>${temporary ? t.temporaryRemember : t.remember}</p>
        <form method="post" action="/anmelden/einwilligung">
          ${csrfField(ctx)}<input type="hidden" name="auftrag" value="${request.id}" />
          <div class="actions">
            <button type="submit" name="entscheidung" value="ja" class="primary">${t.accept}</button>
            <button type="submit" name="entscheidung" value="nein" class="secondary">${t.decline}</button>
          </div>
        </form>
        ${
          offer
            ? html`<section aria-labelledby="offer-title" class="notice offer">
                <h2 id="offer-title">${t.offerTitle}</h2>
                <p>${t.offerText}</p>
                <form method="post" action="${offer}">
                  ${csrfField(ctx)}<input type="hidden" name="auftrag" value="${request.id}" />
                  <button type="submit" class="secondary">${t.offerButton}</button>
                </form>
              </section>`
            : ''
        }`,
    });
  };

  router.get('/anmelden/einwilligung', async (ctx) => {
    const found = await load(ctx, typeof ctx.query.auftrag === 'string' ? ctx.query.auftrag : undefined);
    if (!found) return login.renderExpired(ctx);
    if (!found.plan.ok) return login.fail(ctx, found.request, 'attribute_unavailable');
    const name = found.request.organizationDisplayName ?? found.portal.name[ctx.state.lang];
    render(ctx, found.request, name, pick(found.all, found.plan.names));
  });

  router.post('/anmelden/einwilligung', async (ctx) => {
    const found = await load(ctx, ctx.state.form.get('auftrag'));
    if (!found) return login.renderExpired(ctx);
    if (ctx.state.form.get('entscheidung') !== 'ja') return login.fail(ctx, found.request, 'access_denied', 'consent declined');
    if (!found.plan.ok) return login.fail(ctx, found.request, 'attribute_unavailable');
    await login.saveSessionConsent(ctx.state.session, found.portal.id, found.plan.names);
    await login.deliver(ctx, found.request, found.portal, pick(found.all, found.plan.names));
  });

  router.post('/konto/einwilligungen/widerrufen', requireLogin, async (ctx) => {
    const portalId = ctx.state.form.get('portal');
    const accountId = ctx.state.session.accountId as string;
    if (await revokeConsent(db, accountId, portalId)) {
      ctx.state.session.set(
        'accountNotice',
        fmt(consentText(ctx.state.lang).revoked, { portal: login.portalName(portalId, ctx.state.lang) }),
      );
    }
    ctx.redirect('/konto');
  });
}

/** "Einwilligungen" and "Datenübermittlungen" on the account page. */
export function consentSection(deps: ConsentDeps): AccountSection {
  return {
    order: 50,
    async render(ctx, account) {
      const lang = ctx.state.lang;
      const t = consentText(lang);
      const consents = await listConsents(deps.db, account.id);
      const releases = await auditForAccount(deps.db, deps.accounts.accountRef(account.id), deps.clock.now() - 90 * DAY, ['data.released']);
      const names = (list: readonly string[]): string => list.map((n) => attributeLabel(lang, n as AttributeName)).join(', ');
      return html`<h2>${t.sectionTitle}</h2>
        ${
          consents.length === 0
            ? html`<p>${t.none}</p>`
            : html`<ul class="consents">
                ${consents.map(
                  (c) =>
                    html`<li>
                      <strong>${deps.login.portalName(c.portalId, lang)}</strong>: ${names(c.attributes) || t.onlyPseudonym}
                      (${fmt(t.since, { date: formatDateTime(lang, c.grantedAt) })})
                      <form method="post" action="/konto/einwilligungen/widerrufen" class="inline">
                        ${csrfField(ctx)}<input type="hidden" name="portal" value="${c.portalId}" />
                        <button type="submit" class="link-button">
                          ${t.revoke}<span class="visually-hidden">: ${deps.login.portalName(c.portalId, lang)}</span>
                        </button>
                      </form>
                    </li>`,
                )}
              </ul>`
        }
        <h2>${t.releasesTitle}</h2>
        ${
          releases.length === 0
            ? html`<p>${t.none}</p>`
            : html`<table>
                <thead>
                  <tr>
                    <th scope="col">${t.when}</th>
                    <th scope="col">${t.to}</th>
                    <th scope="col">${t.what}</th>
                  </tr>
                </thead>
                <tbody>
                  ${releases.map(
                    (r) =>
                      html`<tr>
                        <td>${formatDateTime(lang, r.at)}</td>
                        <td>${deps.login.portalName(String(r.detail.portal), lang)}</td>
                        <td>${names((r.detail.attributes as string[] | undefined) ?? []) || t.onlyPseudonym}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }`;
    },
  };
}

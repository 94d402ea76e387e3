import type { PartnerConfig } from '../config/trust.ts';
import type { AuthnRequestContext } from '../core/authn-request.ts';
import { HubError } from '../core/errors.ts';
import { maxLoa, type Loa } from '../core/loa.ts';
import type { Login, LoginMethod, MethodView } from '../login/login.ts';
import type { HubRouter } from '../web/app.ts';
import type { HubContext } from '../web/context.ts';
import { html, type Html } from '../web/html.ts';
import { fmt, type Lang } from '../web/i18n.ts';
import { renderPage } from '../web/layout.ts';
import { levelWord } from '../web/messages.ts';
import { CONTENT_SECURITY_POLICY } from '../web/security-headers.ts';
import type { Broker } from './broker.ts';
import type { MetadataService } from './metadata/service.ts';
import { federationText } from './messages.ts';

/**
 * "Anmelden mit anderem deutschen Nutzerkonto": the login method (a section of the login page)
 * and the list of partner states.
 *
 * The list works without JavaScript: a search field filters it on the server (GET), each state
 * is a link that starts the login there, states that cannot serve the portal are listed with
 * the reason instead of a link, and the last choice (a cookie) is offered first. A small script
 * (discovery.js) filters as one types and announces the count in a live region; it changes only
 * what is shown.
 */

export const DISCOVERY_PATH = '/anmelden/anderes-konto';
const SCRIPT = '/static/discovery.js';

function normalize(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .toLowerCase()
    .trim();
}

function withAuftrag(path: string, request: AuthnRequestContext | undefined): string {
  return request ? `${path}?auftrag=${encodeURIComponent(request.id)}` : path;
}

export interface DiscoveryDeps {
  readonly login: Login;
  readonly broker: Broker;
  readonly metadata: MetadataService;
}

/** Partners of the kind this list shows (other German states), enabled. */
function statePartners(metadata: MetadataService): PartnerConfig[] {
  return metadata.trust.partners.filter((p) => p.kind === 'state' && p.enabled);
}

export function upstreamMethod(deps: DiscoveryDeps): LoginMethod {
  const usable = (): PartnerConfig[] => statePartners(deps.metadata).filter((p) => deps.metadata.current(p.id) !== undefined);
  return {
    id: 'upstream',
    order: 40,
    // "Temporär anmelden" through another state's account (issue 9): nothing is kept here.
    temporary: true,
    get maxLoa(): Loa {
      return maxLoa(...usable().map((p) => p.loa.cap)) ?? 'basic';
    },
    available: () => usable().length > 0,
    describeLimit: (lang) =>
      fmt(federationText(lang).methodLimit, { level: levelWord(lang, maxLoa(...usable().map((p) => p.loa.cap)) ?? 'basic') }),
    render(ctx: HubContext, view: MethodView): Html {
      const lang = ctx.state.lang;
      const t = federationText(lang);
      const request = deps.login.findOpenRequest(ctx, view.requestId);
      const lastId = deps.broker.lastChoice(ctx);
      const last = lastId ? deps.metadata.trust.byId(lastId) : undefined;
      const lastOk = last !== undefined && last.kind === 'state' && deps.broker.availability(last, request?.minLoa ?? 'basic').ok;
      return html`<section aria-labelledby="upstream-title" class="method-upstream">
        <h2 id="upstream-title">${t.methodTitle}</h2>
        ${view.message ? html`<div class="error-summary" role="alert" tabindex="-1">${view.message}</div>` : ''}
        <p>${t.methodIntro}</p>
        <div class="actions">
          ${lastOk ? html`<a class="button" href="${withAuftrag(`${DISCOVERY_PATH}/${last.id}`, request)}">${fmt(t.methodLast, { partner: last.name[lang] })}</a>` : ''}
          <a class="button ${lastOk ? 'secondary' : ''}" href="${withAuftrag(DISCOVERY_PATH, request)}">${t.methodChoose}</a>
        </div>
      </section>`;
    },
  };
}

interface Entry {
  readonly partner: PartnerConfig;
  readonly name: string;
  readonly reason: string | undefined;
}

function renderDiscovery(ctx: HubContext, deps: DiscoveryDeps, request: AuthnRequestContext | undefined, filter: string): void {
  const lang: Lang = ctx.state.lang;
  const t = federationText(lang);
  const needed: Loa = request?.minLoa ?? 'basic';
  const entries: Entry[] = statePartners(deps.metadata)
    .map((partner) => {
      const a = deps.broker.availability(partner, needed);
      const reason = a.ok
        ? undefined
        : a.reason === 'cap'
          ? fmt(t.reasonCap, { cap: levelWord(lang, a.cap), needed: levelWord(lang, a.needed) })
          : t.reasonUnavailable;
      return { partner, name: partner.name[lang], reason };
    })
    .sort((a, b) => a.name.localeCompare(b.name, lang));
  const wanted = normalize(filter);
  const shown =
    wanted === '' ? entries : entries.filter((e) => normalize(e.name).includes(wanted) || normalize(e.partner.name.de).includes(wanted));
  const lastId = deps.broker.lastChoice(ctx);
  const last = entries.find((e) => e.partner.id === lastId && e.reason === undefined);
  const item = (e: Entry, idPrefix: string): Html => {
    const key = `${idPrefix}-${e.partner.id}`;
    return html`<li data-name="${normalize(`${e.name} ${e.partner.name.de}`)}">
      ${
        e.reason === undefined
          ? html`<a class="partner" href="${withAuftrag(`${DISCOVERY_PATH}/${e.partner.id}`, request)}">${e.name}</a>`
          : html`<span class="partner unavailable" aria-describedby="${key}-reason">${e.name}</span>
              <span class="reason" id="${key}-reason">(${e.reason})</span>`
      }
    </li>`;
  };
  const current = ctx.response.get('Content-Security-Policy') || CONTENT_SECURITY_POLICY;
  ctx.set('Content-Security-Policy', `${String(current)}; script-src 'self'`);
  renderPage(ctx, {
    title: t.discoveryTitle,
    main: html`<h1>${t.discoveryTitle}</h1>
      <p>${t.discoveryIntro}</p>
      ${
        entries.length === 0
          ? html`<p>${t.none}</p>`
          : html`${
                last && wanted === ''
                  ? html`<h2 id="last-title">${t.lastChoice}</h2>
                      <ul class="partner-list" aria-labelledby="last-title">
                        ${item(last, 'last')}
                      </ul>`
                  : ''
              }
              <form method="get" action="${DISCOVERY_PATH}" class="partner-filter" role="search">
                ${request ? html`<input type="hidden" name="auftrag" value="${request.id}" />` : ''}
                <label for="partner-filter">${t.filterLabel}</label>
                <span class="hint" id="partner-filter-hint">${t.filterHint}</span>
                <input
                  type="search"
                  id="partner-filter"
                  name="filter"
                  value="${filter}"
                  autocomplete="off"
                  aria-describedby="partner-filter-hint"
                  aria-controls="partner-list"
                />
                <button type="submit" class="secondary">${t.filterButton}</button>
              </form>
              <h2 id="list-title">${t.allPartners}</h2>
              <p id="partner-count" role="status" aria-live="polite" data-template="${t.matches}" data-total="${entries.length}">
                ${
                  shown.length === 0
                    ? fmt(t.noMatch, { filter })
                    : wanted === ''
                      ? ''
                      : fmt(t.matches, { count: shown.length, total: entries.length })
                }
              </p>
              <ul class="partner-list" id="partner-list" aria-labelledby="list-title">
                ${shown.map((e) => item(e, 'all'))}
              </ul>
              ${wanted !== '' ? html`<p><a href="${withAuftrag(DISCOVERY_PATH, request)}">${t.filterReset}</a></p>` : ''}`
      }
      <p><a href="${withAuftrag('/anmelden', request)}">${t.backToLogin}</a></p>
      <script src="${SCRIPT}" defer></script>`,
  });
}

export function registerDiscoveryRoutes(router: HubRouter, deps: DiscoveryDeps): void {
  router.get(DISCOVERY_PATH, async (ctx) => {
    const id = typeof ctx.query.auftrag === 'string' ? ctx.query.auftrag : undefined;
    const request = deps.login.findOpenRequest(ctx, id);
    if (id !== undefined && !request) return deps.login.renderExpired(ctx);
    const filter = typeof ctx.query.filter === 'string' ? ctx.query.filter.slice(0, 80) : '';
    renderDiscovery(ctx, deps, request, filter);
  });

  router.get(`${DISCOVERY_PATH}/:partner`, async (ctx: HubContext & { params: { partner: string } }) => {
    const id = typeof ctx.query.auftrag === 'string' ? ctx.query.auftrag : undefined;
    const request = deps.login.findOpenRequest(ctx, id);
    if (id !== undefined && !request) return deps.login.renderExpired(ctx);
    const partner = deps.metadata.trust.byId(ctx.params.partner);
    if (!partner || partner.kind !== 'state' || !partner.enabled)
      throw new HubError('federation_partner_unavailable', `no partner ${ctx.params.partner.slice(0, 64)}`);
    await deps.broker.start(ctx, partner, request);
  });
}

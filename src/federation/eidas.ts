import type { PartnerConfig } from '../config/trust.ts';
import { HubError } from '../core/errors.ts';
import type { Loa } from '../core/loa.ts';
import type { Login, LoginMethod, MethodView } from '../login/login.ts';
import type { HubRouter } from '../web/app.ts';
import type { HubContext } from '../web/context.ts';
import { html, type Html } from '../web/html.ts';
import { fmt } from '../web/i18n.ts';
import { levelWord } from '../web/messages.ts';
import type { Broker } from './broker.ts';
import { eidasText } from './eidas-messages.ts';
import type { MetadataService } from './metadata/service.ts';

/**
 * "Anmelden mit einem ausländischen eID-Mittel (eIDAS)": the login method of the trust entry of
 * kind `eidas` (at most one is enabled). It is a section of the login page of its own, not an
 * entry in the list of German states: a citizen of another member state looks for their own
 * country's eID, and the eIDAS node (not the hub) asks which country that is. The button starts
 * the broker's login (upstream/eidas.ts builds the request) at GET /anmelden/eidas.
 */

export const EIDAS_PATH = '/anmelden/eidas';

export interface EidasMethodDeps {
  readonly login: Login;
  readonly broker: Broker;
  readonly metadata: MetadataService;
}

/** The enabled eidas entry, if there is one. */
export function eidasPartner(metadata: MetadataService): PartnerConfig | undefined {
  return metadata.trust.partners.find((p) => p.kind === 'eidas' && p.enabled);
}

export function eidasMethod(deps: EidasMethodDeps): LoginMethod {
  const usable = (): PartnerConfig | undefined => {
    const p = eidasPartner(deps.metadata);
    return p && deps.metadata.current(p.id) !== undefined ? p : undefined;
  };
  return {
    id: 'eidas',
    order: 45,
    // "Temporär anmelden" through the eIDAS node (issue 9): nothing is kept here.
    temporary: true,
    get maxLoa(): Loa {
      return usable()?.loa.cap ?? 'basic';
    },
    available: () => usable() !== undefined,
    describeLimit: (lang) => fmt(eidasText(lang).methodLimit, { level: levelWord(lang, usable()?.loa.cap ?? 'basic') }),
    render(ctx: HubContext, view: MethodView): Html {
      const t = eidasText(ctx.state.lang);
      const request = deps.login.findOpenRequest(ctx, view.requestId);
      const href = request ? `${EIDAS_PATH}?auftrag=${encodeURIComponent(request.id)}` : EIDAS_PATH;
      return html`<section aria-labelledby="eidas-title" class="method-eidas">
        <h2 id="eidas-title">${t.methodTitle}</h2>
        ${view.message ? html`<div class="error-summary" role="alert" tabindex="-1">${view.message}</div>` : ''}
        <p>${t.methodIntro}</p>
        <div class="actions"><a class="button" href="${href}">${t.methodButton}</a></div>
      </section>`;
    },
  };
}

export function registerEidasRoutes(router: HubRouter, deps: EidasMethodDeps): void {
  router.get(EIDAS_PATH, async (ctx) => {
    const id = typeof ctx.query.auftrag === 'string' ? ctx.query.auftrag : undefined;
    const request = deps.login.findOpenRequest(ctx, id);
    if (id !== undefined && !request) return deps.login.renderExpired(ctx);
    const partner = eidasPartner(deps.metadata);
    if (!partner) throw new HubError('federation_partner_unavailable', 'no eIDAS node is configured');
    await deps.broker.start(ctx, partner, request);
  });
}

import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { PortalRegistry } from '../../config/portals.ts';
import { formatLoa, loaSatisfies } from '../../core/loa.ts';
import type { HubContext } from '../../web/context.ts';
import { requiredLevel, type RequiredLevel } from './acr.ts';
import { portalOfClient } from './clients.ts';
import { bindProviderSession, readState } from './hub-state.ts';

const { Check, base } = interactionPolicy;

/**
 * Our checks in oidc-provider's login prompt (STYLE O7). They tie the provider session to the
 * hub session (DECISIONS 4) and replace the provider's essential-acr checks, which compare
 * strings, with the hub's ordered levels:
 *
 * - An ordinary authorization request always goes through the hub's login path (interaction →
 *   `login.start`): the hub decides whether its session suffices, steps up, asks consent, audits
 *   the release and records the portal for single logout. Only the request resuming after that
 *   path (carrying our login result) passes; it binds the provider session to the hub session.
 * - A passive request (prompt=none) cannot show a page, so it is answered from the provider
 *   session alone, and only when that session is bound to the live hub session of the same
 *   account at the hub's current level, which must reach what the portal needs. Otherwise the
 *   portal gets `unmet_authentication_requirements` (level) or `login_required` (session).
 */

/** What the login result carries for the hub beside oidc-provider's own fields. */
export interface HubResult {
  readonly sid?: string;
  readonly grantId?: string;
}

export function hubOf(ctx: KoaContextWithOIDC): HubContext {
  // oidc-provider is mounted into the hub's Koa app: its context is the hub's context.
  return ctx as unknown as HubContext;
}

export function isPassive(ctx: KoaContextWithOIDC): boolean {
  return ctx.oidc.prompts.has('none');
}

export function requiredFor(ctx: KoaContextWithOIDC, portals: () => PortalRegistry): RequiredLevel {
  const portal = portalOfClient(portals(), ctx.oidc.client?.clientId);
  if (!portal) return { ok: false, reason: 'portal not found' };
  return requiredLevel(portal.minLoa, ctx.oidc.params as { acr_values?: unknown; claims?: unknown });
}

export function hubPolicy(portals: () => PortalRegistry): interactionPolicy.DefaultPolicy {
  const policy = base();
  const login = policy.get('login');
  if (!login) throw new Error('oidc-provider has no login prompt');
  // Replaced by hub_level (ordered levels through the core table).
  login.checks.remove('essential_acrs');
  login.checks.remove('essential_acr');

  const hubLevel = new Check(
    'hub_level',
    'the level of assurance of the session does not reach what the portal requires',
    'unmet_authentication_requirements',
    (ctx) => {
      if (ctx.oidc.result?.login || !isPassive(ctx)) return Check.NO_NEED_TO_PROMPT;
      const loa = hubOf(ctx).state.session.loa;
      if (loa === undefined) return Check.NO_NEED_TO_PROMPT; // hub_login reports this
      const required = requiredFor(ctx, portals);
      return !required.ok || !loaSatisfies(loa, required.loa) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    },
  );

  const hubLogin = new Check('hub_login', 'End-User authentication through the Servicekonto is required', 'login_required', (ctx) => {
    const hub = hubOf(ctx).state.session;
    const session = ctx.oidc.session;
    if (!session) return Check.REQUEST_PROMPT;
    const login = ctx.oidc.result?.login;
    if (login) {
      // Resuming after the hub's login path: bind this provider session to the hub session.
      if (hub.principalId === undefined || hub.principalId !== login.accountId || session.accountId !== login.accountId) {
        return Check.REQUEST_PROMPT;
      }
      bindProviderSession(hub, session.uid);
      const sid = (ctx.oidc.result?.hub as HubResult | undefined)?.sid;
      if (sid && ctx.oidc.client) session.sidFor(ctx.oidc.client.clientId, sid);
      return Check.NO_NEED_TO_PROMPT;
    }
    if (!isPassive(ctx)) return Check.REQUEST_PROMPT;
    const loa = hub.loa;
    const bound =
      loa !== undefined &&
      hub.principalId === session.accountId &&
      readState(hub).session === session.uid &&
      session.acr === formatLoa('oidc', loa);
    return bound ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
  });

  // After login_prompt (prompt=login), before the provider's own session checks.
  login.checks.add(hubLevel, 1);
  login.checks.add(hubLogin, 2);
  return policy;
}

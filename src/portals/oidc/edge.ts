import { randomBytes } from 'node:crypto';
import mount from 'koa-mount';
import { errors as oidcErrors, type InteractionResults, type KoaContextWithOIDC } from 'oidc-provider';
import type Provider from 'oidc-provider';
import type { DeletionStep } from '../../accounts/service.ts';
import type { PortalRegistry, TrustReloadParticipant } from '../../config/portals.ts';
import type { AccessTokenVerifier } from '../../core/access-token.ts';
import type { AuthnRequestContext, LoginFailure, LoginOutcome } from '../../core/authn-request.ts';
import { ConfigError, type ConfigProblem } from '../../core/errors.ts';
import { formatLoa } from '../../core/loa.ts';
import {
  isAccountlessPrincipal,
  isTemporaryPrincipal,
  type Login,
  type LogoutInitiator,
  type LogoutNotice,
  type Participation,
  type PortalEdge,
} from '../../login/login.ts';
import { newRequestId } from '../../login/requests.ts';
import { recordAudit } from '../../store/audit.ts';
import { countPortalLogin } from '../../store/login-counts.ts';
import {
  deleteOidcGrant,
  deleteOidcModel,
  deleteOidcModelsOfAccount,
  oidcModelsOfAccount,
  purgeExpiredOidcModels,
} from '../../store/oidc-adapter.ts';
import type { HubRouter } from '../../web/app.ts';
import { afterForm, type HubContext, type HubMiddleware } from '../../web/context.ts';
import { CONTENT_SECURITY_POLICY } from '../../web/security-headers.ts';
import { requiredLevel } from './acr.ts';
import { attributesOf, claimsRequest, grantDecision, isClaimName, requestedAttributes, requestedClaims, type ClaimName } from './claims.ts';
import { clientMetadata, portalOfClient, portalOrigins } from './clients.ts';
import { readState, recordGrant, secondsLeft, storeOutcome, takeOutcome, type StoredOutcome } from './hub-state.ts';
import { signingKey } from './jwks.ts';
import { logoutToken, sendLogoutToken } from './logout-token.ts';
import { renderContinue, renderLoggedOut } from './pages.ts';
import type { HubResult } from './policy.ts';
import { isPassive } from './policy.ts';
import { createProvider, TTL, type ProviderDeps } from './provider.ts';

/**
 * The OpenID Connect provider edge. oidc-provider is mounted into the hub's Koa app (same
 * context object, so its hooks see the hub session); its endpoints live under /oidc/ and
 * discovery at /.well-known/openid-configuration. Logins run through the hub's one login path:
 *
 *   GET /oidc/auth ─(our check in the login prompt)─▶ GET /interaction/<uid>
 *       → AuthnRequestContext → login.start (session? step-up, consent) → answer()
 *       → GET /interaction/<uid>/fertig (the _interaction cookie proves the browser)
 *       → interaction result → GET /oidc/auth/<uid> (resume) → code to the portal
 *
 * `answer` stores the outcome in the hub session and creates the Grant with exactly the
 * consented scopes and claims; `/fertig` hands it to oidc-provider. Logout: `notifyLogout`
 * sends back-channel logout tokens and removes the provider's state of that login;
 * RP-initiated logout (end_session) ends the hub session through `login.logout`.
 */

export interface OidcEdgeDeps extends ProviderDeps {
  readonly login: Login;
  /** Named in configuration problems. */
  readonly portalsFile: string;
}

export interface OidcEdge extends PortalEdge {
  readonly provider: Provider;
  /** Mount before the hub's router: serves /oidc/* and discovery. */
  readonly middleware: HubMiddleware;
  registerRoutes(router: HubRouter): void;
  /** Account deletion (DECISIONS 6): the account's rows of oidc_models. */
  readonly deletionStep: DeletionStep;
  /** Checks a replaced portals registry's clients before it is applied. */
  readonly reload: TrustReloadParticipant;
  /** Scheduler job: rows past their expiry. */
  purgeExpired(): Promise<number>;
  /** The port the Postkorb sending API checks its bearer tokens with (client credentials tokens only). */
  readonly accessTokenVerifier: AccessTokenVerifier;
}

/** What the edge remembers of a login for single logout (Participation.data). */
interface OidcParticipation {
  readonly clientId: string;
  readonly accountId: string;
  readonly grantId: string;
  readonly sid: string;
  readonly sub: string;
}

const PROVIDER_PATHS = ['/oidc/', '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'];

function isProviderPath(path: string): boolean {
  return PROVIDER_PATHS.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p));
}

/** The hub's CSP, adapted for oidc-provider's responses: the hash of its one inline script (the
 * form_post auto-submit, which it adds to script-src itself) and the portals' origins as form targets. */
function providerCsp(origins: readonly string[]): string {
  return CONTENT_SECURITY_POLICY.split('; ')
    .map((d) => (d.startsWith('form-action') ? [d, ...origins].join(' ') : d))
    .concat("script-src 'self'")
    .join('; ');
}

const FAILURE_TEXT: Readonly<Record<LoginFailure, { error: string; description: string }>> = {
  access_denied: { error: 'access_denied', description: 'the citizen cancelled the login or declined to share the data' },
  unmet_authentication_requirements: {
    error: 'unmet_authentication_requirements',
    description: 'the requested level of assurance cannot be reached',
  },
  login_required: { error: 'login_required', description: 'the citizen is not logged in' },
  attribute_unavailable: { error: 'access_denied', description: 'required data is not available for this account' },
};

function epochSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function sameOrigin(url: string, base: string): boolean {
  try {
    return new URL(url, base).origin === new URL(base).origin;
  } catch {
    return false;
  }
}

export async function createOidcEdge(deps: OidcEdgeDeps): Promise<OidcEdge> {
  const { login, portals, db, clock, log, accounts } = deps;
  const issuer = deps.issuer.replace(/\/+$/, '');
  const provider = createProvider({ ...deps, issuer });
  const mounted = mount(provider) as unknown as HubMiddleware;

  // ---- clients: checked when the hub starts and before a replaced registry is applied ----
  async function checkClients(registry: PortalRegistry): Promise<void> {
    const problems: ConfigProblem[] = [];
    for (const portal of registry.portals) {
      if (!portal.oidc && !portal.postkorb?.client) continue;
      try {
        const metadata = clientMetadata(portal);
        if (metadata) await provider.Client.validate(metadata as never);
      } catch (err) {
        const e = err as { error_description?: string; message?: string };
        problems.push({
          file: deps.portalsFile,
          path: `portals.${portal.id}.${portal.oidc ? 'oidc' : 'postkorb.client'}`,
          message: e.error_description ?? e.message ?? String(err),
        });
      }
    }
    if (problems.length > 0) throw new ConfigError(problems);
  }
  await checkClients(portals());

  // ---- RP-initiated logout bookkeeping, per request (the hub context is the provider's) ----
  interface EndSessionMark {
    readonly logout: boolean;
    readonly accountId: string | undefined;
    readonly clientId: string | undefined;
  }
  const endSessions = new WeakMap<object, EndSessionMark>();
  const notifiedByProvider = new WeakMap<object, Map<string, boolean>>();
  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    endSessions.set(ctx, {
      logout: Boolean(ctx.oidc.params?.logout),
      accountId: ctx.oidc.session?.accountId ?? undefined,
      clientId: ctx.oidc.client?.clientId,
    });
  });
  const noteBackchannel = (ctx: KoaContextWithOIDC, clientId: string, reached: boolean): void => {
    const map = notifiedByProvider.get(ctx) ?? new Map<string, boolean>();
    map.set(clientId, reached);
    notifiedByProvider.set(ctx, map);
  };
  provider.on('backchannel.success', (ctx: KoaContextWithOIDC, client: { clientId: string }) =>
    noteBackchannel(ctx, client.clientId, true),
  );
  provider.on('backchannel.error', (ctx: KoaContextWithOIDC, err: Error, client: { clientId: string }) => {
    (ctx as unknown as HubContext).state?.log?.warn({ portal: client.clientId, err: err.message }, 'back-channel logout not delivered');
    noteBackchannel(ctx, client.clientId, false);
  });

  // A passive request answered from the provider session releases data without the login
  // path: it is audited like login.deliver does, once oidc-provider has answered.
  interface PassiveRelease {
    readonly accountId: string;
    readonly portalId: string;
    readonly scopes: Set<string>;
    readonly claims: Set<ClaimName>;
  }
  const passiveReleases = new WeakMap<object, PassiveRelease>();
  provider.on('authorization.success', (ctx: KoaContextWithOIDC) => {
    if (ctx.oidc.result || !isPassive(ctx)) return;
    const grant = ctx.oidc.entities.Grant;
    const accountId = ctx.oidc.session?.accountId;
    const portal = portalOfClient(portals(), ctx.oidc.client?.clientId);
    if (!grant || !accountId || !portal) return;
    passiveReleases.set(ctx, {
      accountId,
      portalId: portal.id,
      scopes: new Set(grant.getOIDCScope().split(' ')),
      claims: new Set(grant.getOIDCClaims().filter(isClaimName)),
    });
  });
  async function auditPassiveRelease(release: PassiveRelease): Promise<void> {
    const portal = portals().byId(release.portalId);
    if (!portal) return;
    const consent = new Set((await login.principalConsent(release.accountId, portal.id)) ?? []);
    const covered = attributesOf(requestedClaims({ scopes: release.scopes, claims: release.claims }));
    await recordAudit(db, {
      at: clock.now(),
      // A login through a partner without an account here has no account to refer to (DECISIONS 8).
      accountRef: isAccountlessPrincipal(release.accountId) ? null : accounts.accountRef(release.accountId),
      event: 'data.released',
      detail: {
        portal: portal.id,
        protocol: 'oidc',
        attributes: portal.attributes.filter((a) => covered.has(a) && consent.has(a)),
        passive: true,
      },
    });
    await countPortalLogin(db, portal.id, clock.now());
  }

  // A temporary login (issue 9) ends once its answer has gone to the portal: when the token
  // endpoint has issued the tokens for its code (the ID token carries the consented claims,
  // provider.ts), its hub session row(s) and everything oidc-provider holds for it (grant, code,
  // tokens, provider session, interactions) are deleted, right after the token response is
  // built. userinfo and a refresh token then find nothing. 'grant.success' marks the request;
  // the deletion runs in `middleware` once oidc-provider has answered.
  const temporaryAnswers = new WeakMap<object, string>();
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const accountId = ctx.oidc.entities.Grant?.accountId;
    if (ctx.oidc.params?.grant_type === 'authorization_code' && accountId && isTemporaryPrincipal(accountId)) {
      temporaryAnswers.set(ctx, accountId);
    }
  });
  async function endTemporaryLogin(ctx: HubContext, principalId: string): Promise<void> {
    try {
      await login.endTemporaryPrincipal(principalId);
      await deleteOidcModelsOfAccount(db, principalId);
    } catch (err) {
      // The tokens are out; the TR-03160 timeouts still end the login.
      (ctx.state?.log ?? log).error({ err }, 'temporary login not ended after the token response');
    }
  }

  // ---- the interaction: from oidc-provider to the login path and back ----
  async function interaction(ctx: HubContext, uid: string): Promise<Awaited<ReturnType<Provider['interactionDetails']>> | undefined> {
    try {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      return details.uid === uid ? details : undefined;
    } catch (err) {
      if (err instanceof oidcErrors.SessionNotFound) return undefined;
      throw err;
    }
  }

  async function finish(ctx: HubContext, result: InteractionResults): Promise<void> {
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(returnTo);
  }

  async function start(ctx: HubContext & { params: { uid: string } }): Promise<void> {
    const details = await interaction(ctx, ctx.params.uid);
    if (!details) return login.renderExpired(ctx);
    const params = details.params as Record<string, unknown>;
    const portal = portalOfClient(portals(), typeof params.client_id === 'string' ? params.client_id : undefined);
    if (!portal?.oidc) return finish(ctx, { error: 'access_denied', error_description: 'the portal is no longer admitted' });
    const required = requiredLevel(portal.minLoa, params);
    if (!required.ok) return finish(ctx, { error: 'unmet_authentication_requirements', error_description: required.reason });
    const prompts = new Set(typeof params.prompt === 'string' ? params.prompt.split(' ') : []);
    // max_age against the hub's own last authentication (when a level was last reached), not
    // the provider session's, which may be younger than the hub session or not exist yet.
    const maxAge = params.max_age === undefined ? undefined : Number(params.max_age);
    // (No level reached: -Infinity, i.e. too old.)
    const lastAuthn = Math.max(...Object.values(ctx.state.session.levelsReached).filter((v): v is number => typeof v === 'number'));
    const tooOld = maxAge !== undefined && Number.isFinite(maxAge) && !(clock.now() - lastAuthn <= maxAge * 1000);
    const request: AuthnRequestContext = {
      id: newRequestId(),
      portalId: portal.id,
      protocol: 'oidc',
      minLoa: required.loa,
      requestedAttributes: requestedAttributes(claimsRequest(params)),
      forceAuthn: prompts.has('login') || tooOld,
      isPassive: prompts.has('none'),
      edge: {
        uid: details.uid,
        clientId: portal.oidc.clientId,
        scope: typeof params.scope === 'string' ? params.scope : '',
        claims: typeof params.claims === 'string' ? params.claims : '',
      },
      createdAt: clock.now(),
    };
    await login.start(ctx, request);
  }

  async function done(ctx: HubContext & { params: { uid: string } }): Promise<void> {
    const details = await interaction(ctx, ctx.params.uid);
    const outcome = details ? takeOutcome(ctx.state.session, details.uid, clock.now()) : undefined;
    if (!details || !outcome) return login.renderExpired(ctx);
    if (!outcome.ok) return finish(ctx, { error: outcome.error ?? 'access_denied', error_description: outcome.description ?? '' });
    const hub = ctx.state.session;
    if (hub.principalId === undefined || hub.principalId !== outcome.accountId) {
      return finish(ctx, { error: 'login_required', error_description: 'the Servicekonto session changed during the login' });
    }
    // A provider session from another account or from a hub session that has ended is not
    // continued: the resume starts a new one, bound to this hub session.
    const previous = details.session;
    if (previous?.uid) {
      const old = await provider.Session.findByUid(previous.uid);
      const keep = old !== undefined && previous.accountId === outcome.accountId && readState(hub).session === previous.uid;
      if (!keep) {
        // Its grants belonged to the ended hub session: already unusable, now gone too.
        for (const a of Object.values(old?.authorizations ?? {})) if (a.grantId) await deleteOidcGrant(db, a.grantId);
        await old?.destroy();
        details.session = undefined;
        await details.persist();
      }
    }
    const hubResult: HubResult = { ...(outcome.sid ? { sid: outcome.sid } : {}), ...(outcome.grantId ? { grantId: outcome.grantId } : {}) };
    await finish(ctx, {
      login: {
        accountId: outcome.accountId,
        acr: outcome.acr,
        amr: [...(outcome.amr ?? [])],
        ...(outcome.ts !== undefined ? { ts: outcome.ts } : {}),
        // The provider session ends with the browser, like the hub session's cookie.
        remember: false,
      },
      ...(outcome.grantId ? { consent: { grantId: outcome.grantId } } : {}),
      hub: hubResult,
    });
  }

  /** Leaves the login path for /fertig; after a form, through a page (see pages.ts). */
  function toFinish(ctx: HubContext, uid: string, portalId: string): void {
    const url = `/interaction/${encodeURIComponent(uid)}/fertig`;
    if (afterForm(ctx)) return renderContinue(ctx, url, login.portalName(portalId, ctx.state.lang));
    ctx.status = 303;
    ctx.redirect(url);
  }

  // ---- PortalEdge ----
  async function answer(
    ctx: HubContext,
    request: AuthnRequestContext,
    outcome: LoginOutcome,
  ): Promise<Readonly<Record<string, unknown>> | void> {
    const uid = String(request.edge.uid);
    const clientId = String(request.edge.clientId);
    const session = ctx.state.session;
    const now = clock.now();
    if (!outcome.ok) {
      const text = FAILURE_TEXT[outcome.error];
      storeOutcome(session, uid, { ok: false, at: now, error: text.error, description: text.description }, now);
      return toFinish(ctx, uid, request.portalId);
    }
    const identity = outcome.identity;
    const portal = portals().byId(request.portalId);
    const decision = grantDecision(
      claimsRequest({ scope: request.edge.scope, claims: request.edge.claims }),
      Object.keys(identity.attributes) as (keyof typeof identity.attributes)[],
    );
    // Exactly what was consented; it lives no longer than the hub session may.
    // (oidc-provider's Grant takes `expiresIn` like every token; its types omit it.)
    const grantInit = { accountId: identity.accountId, clientId, expiresIn: secondsLeft(session, now, TTL.orphan) };
    const grant = new provider.Grant(grantInit as ConstructorParameters<typeof provider.Grant>[0]);
    grant.addOIDCScope(decision.grantedScopes.join(' '));
    if (decision.rejectedScopes.length > 0) grant.rejectOIDCScope(decision.rejectedScopes.join(' '));
    if (decision.grantedClaims.length > 0) grant.addOIDCClaims(decision.grantedClaims);
    if (decision.rejectedClaims.length > 0) grant.rejectOIDCClaims(decision.rejectedClaims);
    await grant.save();
    const grantId = grant.jti;
    const replaced = recordGrant(session, clientId, grantId);
    if (replaced) await deleteOidcGrant(db, replaced);
    const sid = randomBytes(16).toString('base64url');
    const stored: StoredOutcome = {
      ok: true,
      at: now,
      accountId: identity.accountId,
      acr: formatLoa('oidc', identity.loa),
      amr: [...identity.methods],
      ts: Math.floor(identity.authnInstant / 1000),
      grantId,
      sid,
    };
    storeOutcome(session, uid, stored, now);
    toFinish(ctx, uid, request.portalId);
    const participation: OidcParticipation = {
      clientId,
      accountId: identity.accountId,
      grantId,
      sid,
      sub: portal?.oidc?.subjectType === 'public' && !isAccountlessPrincipal(identity.accountId) ? identity.accountId : identity.pairwiseId,
    };
    return { ...participation };
  }

  /** Removes what the provider holds for one login: its grant, codes and tokens, and the provider session(s) it was part of. */
  async function endLogin(p: OidcParticipation): Promise<void> {
    for (const s of await oidcModelsOfAccount(db, 'Session', p.accountId, clock.now())) {
      const auths = s.payload.authorizations;
      const grants = typeof auths === 'object' && auths !== null ? Object.values(auths as Record<string, { grantId?: unknown }>) : [];
      if (grants.some((a) => a?.grantId === p.grantId)) await deleteOidcModel(db, 'Session', s.id);
    }
    await deleteOidcGrant(db, p.grantId);
  }

  /**
   * Tells a portal its login ended (back-channel logout token) and removes the provider's state
   * of that login. A portal without a back-channel logout URI cannot be told: it counts as not
   * reached, so the logout page asks the citizen to log out there (as for a SAML portal without
   * a Single Logout endpoint).
   */
  async function notifyLogout(ctx: HubContext | undefined, participation: Participation): Promise<LogoutNotice> {
    const p = participation.data as Partial<OidcParticipation>;
    if (!p.clientId || !p.grantId || !p.accountId || !p.sub) return { kind: 'done', reached: false };
    const full = p as OidcParticipation;
    let reached = false;
    const told = ctx ? notifiedByProvider.get(ctx)?.get(full.clientId) : undefined;
    if (told !== undefined) {
      reached = told; // oidc-provider's end_session already sent it in this request
    } else {
      const portal = portalOfClient(portals(), full.clientId);
      const uri = portal?.oidc?.backchannelLogoutUri;
      if (portal?.oidc && uri) {
        const token = logoutToken(
          { issuer, clientId: full.clientId, sub: full.sub, sid: full.sid, now: epochSeconds() },
          signingKey(deps.keys, portal.oidc.idTokenSignedResponseAlg),
        );
        const sent = await sendLogoutToken(uri, token);
        reached = sent.reached;
        if (!reached) log.warn({ portal: portal.id, status: sent.status, error: sent.error }, 'back-channel logout not delivered');
      }
    }
    await endLogin(full);
    return { kind: 'done', reached };
  }

  async function finishLogout(ctx: HubContext, initiator: LogoutInitiator, unreachable: readonly string[]): Promise<void> {
    const location = typeof initiator.edge.location === 'string' ? initiator.edge.location : `${issuer}/`;
    const name = login.portalName(initiator.portalId, ctx.state.lang);
    if (unreachable.length > 0) return renderLoggedOut(ctx, unreachable, { url: location, portal: name });
    if (ctx.method === 'POST' && !sameOrigin(location, issuer)) return renderContinue(ctx, location, name);
    ctx.status = 303;
    ctx.redirect(location);
  }

  /** After oidc-provider confirmed an RP-initiated logout: end the hub session too (DECISIONS 5). */
  async function afterEndSession(ctx: HubContext, mark: EndSessionMark): Promise<void> {
    const location = ctx.response.get('Location');
    const hub = ctx.state.session;
    if (mark.logout && mark.accountId !== undefined && hub.principalId === mark.accountId) {
      const portal = portalOfClient(portals(), mark.clientId);
      await login.logout(ctx, { portalId: portal?.id ?? '', protocol: 'oidc', edge: { location: location || `${issuer}/` } });
    }
    // A redirect off the hub after this form would be held to the form's form-action: go through a page.
    const next = ctx.response.get('Location');
    if (ctx.status >= 300 && ctx.status < 400 && next && !sameOrigin(next, issuer)) {
      const portal = portalOfClient(portals(), mark.clientId);
      renderContinue(ctx, next, portal?.name[ctx.state.lang] ?? new URL(next).host);
      ctx.remove('Location');
    }
  }

  const middleware: HubMiddleware = async (ctx, next) => {
    if (!isProviderPath(ctx.path)) return next();
    ctx.set('Content-Security-Policy', providerCsp(portalOrigins(portals())));
    await mounted(ctx, next);
    const release = passiveReleases.get(ctx);
    if (release) await auditPassiveRelease(release);
    const mark = endSessions.get(ctx);
    if (mark) await afterEndSession(ctx, mark);
    const temporary = temporaryAnswers.get(ctx);
    if (temporary) await endTemporaryLogin(ctx, temporary);
  };

  return {
    protocol: 'oidc',
    provider,
    middleware,
    answer,
    notifyLogout,
    finishLogout,
    registerRoutes(router) {
      router.get('/interaction/:uid', (ctx) => start(ctx as unknown as HubContext & { params: { uid: string } }));
      router.get('/interaction/:uid/fertig', (ctx) => done(ctx as unknown as HubContext & { params: { uid: string } }));
    },
    deletionStep: async (trx, account) => {
      await deleteOidcModelsOfAccount(trx, account.id);
    },
    reload: {
      async prepare(next) {
        await checkClients(next);
        return () => undefined;
      },
    },
    purgeExpired: () => purgeExpiredOidcModels(db, clock.now()),
    accessTokenVerifier: {
      async verify(value) {
        // Opaque tokens of the client credentials grant, found through the adapter (which also
        // refuses rows past their expiry by the hub's clock); DPoP- or certificate-bound tokens
        // would need a proof this port cannot check, so they are not accepted.
        if (value.length < 16 || value.length > 512) return undefined;
        const token = await provider.ClientCredentials.find(value);
        if (!token || token.isExpired || token.isSenderConstrained()) return undefined;
        return { clientId: token.clientId as string, scopes: token.scopes, expiresAt: (token.exp as number) * 1000 };
      },
    },
  };
}

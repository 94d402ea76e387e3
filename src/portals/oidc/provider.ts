import Provider, { type Account, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import type { AccountService } from '../../accounts/service.ts';
import type { HubKeys } from '../../config/keys.ts';
import type { PortalRegistry } from '../../config/portals.ts';
import type { AttributeName } from '../../core/attributes.ts';
import type { Clock } from '../../core/clock.ts';
import { HubError } from '../../core/errors.ts';
import { acrValuesSupported } from '../../core/loa.ts';
import { isAccountlessPrincipal, isTemporaryPrincipal, type Login } from '../../login/login.ts';
import { pick } from '../../login/release.ts';
import type { Db } from '../../store/db.ts';
import { renderError as renderHubError } from '../../web/error-boundary.ts';
import { adapterFactory } from './adapter.ts';
import { claimsConfiguration, claimValues, OIDC_SCOPES } from './claims.ts';
import { portalOfClient } from './clients.ts';
import { secondsLeft } from './hub-state.ts';
import { providerJwks } from './jwks.ts';
import { renderLoggedOut, renderLogoutQuestion } from './pages.ts';
import { hubOf, hubPolicy } from './policy.ts';

/**
 * oidc-provider as the hub configures it. Everything that is a choice is here, one option at a
 * time; the edge (edge.ts) mounts the result and runs the interactions.
 */

export interface ProviderDeps {
  /** The hub's public URL: the issuer; discovery at <issuer>/.well-known/openid-configuration. */
  readonly issuer: string;
  readonly keys: HubKeys['oidc'];
  readonly portals: () => PortalRegistry;
  readonly accounts: AccountService;
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  /** The login path: attributes, consent and identifiers of a principal with or without an account (DECISIONS 8). */
  readonly login: Login;
  /** Behind trusted reverse proxies (X-Forwarded-Proto decides whether cookies are Secure). */
  readonly proxy: boolean;
}

/** Lifetimes in seconds. Each is also capped by the hub session (DECISIONS 4). */
export const TTL = {
  /** Access tokens: short, and never beyond the grant (which ends with the hub session). */
  accessToken: 10 * 60,
  authorizationCode: 60,
  idToken: 10 * 60,
  /** Refresh tokens: until the grant ends, at most this. */
  refreshToken: 12 * 3600,
  interaction: 60 * 60,
  /** A provider session or grant without a logged-in hub session behind it (logout bookkeeping). */
  orphan: 10 * 60,
  /** Client credentials tokens (Postkorb sending API). */
  clientCredentials: 10 * 60,
} as const;

export const ROUTES = {
  authorization: '/oidc/auth',
  token: '/oidc/token',
  userinfo: '/oidc/userinfo',
  jwks: '/oidc/jwks',
  end_session: '/oidc/session/end',
  revocation: '/oidc/token/revocation',
  introspection: '/oidc/token/introspection',
  pushed_authorization_request: '/oidc/request',
  registration: '/oidc/reg',
  code_verification: '/oidc/device',
  device_authorization: '/oidc/device/auth',
  backchannel_authentication: '/oidc/backchannel',
  challenge: '/oidc/challenge',
  credential: '/oidc/credential',
} as const;

export const COOKIES = { session: 'skh_oidc', interaction: 'skh_oidc_interaction', resume: 'skh_oidc_resume' } as const;

function epochSeconds(): number {
  // oidc-provider stamps its models with the system clock; lifetimes compare against it.
  return Math.floor(Date.now() / 1000);
}

/** Seconds the grant of the current token request has left, when there is one. */
function grantLeft(ctx: KoaContextWithOIDC | undefined): number | undefined {
  const exp = ctx?.oidc?.entities?.Grant?.exp;
  return typeof exp === 'number' ? Math.max(1, exp - epochSeconds()) : undefined;
}

export function createProvider(deps: ProviderDeps): Provider {
  const { portals, db, clock, log } = deps;
  const hubSeconds = (ctx: KoaContextWithOIDC | undefined): number =>
    secondsLeft(ctx ? hubOf(ctx).state?.session : undefined, clock.now(), TTL.orphan);

  const configuration: Configuration = {
    adapter: adapterFactory({ db, clock, portals }),
    jwks: providerJwks(deps.keys) as Configuration['jwks'],
    acrValues: acrValuesSupported(),
    claims: claimsConfiguration() as Configuration['claims'],
    // A temporary login ends once its tokens are issued (issue 9; edge.ts removes its session and
    // grant right after the token response), so its portal can no longer call userinfo: its ID
    // token must carry the consented claims itself. oidc-provider's default (conformIdTokenClaims:
    // true) puts into an ID token, next to an access token, only the claims the `claims`
    // parameter asks for there; false lets the claims of the granted scopes in as well. That
    // switch holds for every client, so findAccount's claims() below hands an ID token of any
    // other login only what the default would have let through (the `claims` parameter's
    // id_token members): their ID tokens stay as they were. The other ways were larger: rewriting
    // the request's `claims` parameter for temporary logins, or extraTokenClaims (access tokens
    // only).
    conformIdTokenClaims: false,
    scopes: [...OIDC_SCOPES],
    subjectTypes: ['public', 'pairwise'],
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      id_token_signed_response_alg: 'RS256',
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    // OpenID Connect requires redirect_uri even when only one is registered.
    allowOmittingSingleRegisteredRedirectUri: false,
    routes: ROUTES,
    cookies: {
      names: COOKIES,
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    discovery: {
      claim_types_supported: ['normal'],
    },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      backchannelLogout: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      introspection: { enabled: false },
      // For portals that send to the Postkorb (clients.ts gives only them the grant): a token with
      // the scope `postkorb` for the sending API, checked through the hub's AccessTokenVerifier port.
      clientCredentials: { enabled: true },
      pushedAuthorizationRequests: { enabled: false },
      resourceIndicators: { enabled: false },
      requestObjects: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => renderLogoutQuestion(hubOf(ctx), portalName(ctx), form),
        postLogoutSuccessSource: async (ctx) => renderLoggedOut(hubOf(ctx), [], undefined),
      },
    },
    interactions: {
      policy: hubPolicy(portals),
      url: async (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    ttl: {
      AccessToken: (ctx) => Math.min(TTL.accessToken, grantLeft(ctx) ?? TTL.accessToken),
      AuthorizationCode: TTL.authorizationCode,
      IdToken: TTL.idToken,
      RefreshToken: (ctx) => Math.min(TTL.refreshToken, grantLeft(ctx) ?? TTL.orphan),
      Interaction: TTL.interaction,
      Session: (ctx) => hubSeconds(ctx),
      Grant: (ctx) => hubSeconds(ctx),
      // The Postkorb sending API's tokens (client credentials grant).
      ClientCredentials: TTL.clientCredentials,
      // Not enabled; short lifetimes in case a deployment enables them.
      DeviceCode: 10 * 60,
      BackchannelAuthenticationRequest: 10 * 60,
      PreAuthorizedCode: 10 * 60,
    },
    // Refresh tokens die with the hub session anyway (adapter.ts), so a client allowed the
    // refresh_token grant gets one without offline_access, which the hub does not offer.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    pairwiseIdentifier: async (_ctx, accountId, client) => {
      const portal = portalOfClient(portals(), client.clientId);
      if (!portal) throw new Error(`no portal for client ${client.clientId}`);
      return deps.login.principalPseudonym(accountId, portal.sector, clock.now());
    },
    // The sector is portal.sector (federation/portals.yaml); nothing is fetched.
    sectorIdentifierUriValidate: () => false,
    findAccount: async (ctx, id, token) => {
      // An active account, or the live session of a login through a partner without one (DECISIONS 8).
      if ((await deps.login.principalAttributes(id)) === undefined) return undefined;
      const result: Account = {
        accountId: id,
        // Read from the account when the token is issued; released only as far as the
        // portal's policy and the citizen's current consent allow. oidc-provider then keeps
        // only what the grant's scopes and the request's claims cover.
        claims: async (use, _scope, requested) => {
          const clientId = ctx.oidc?.client?.clientId ?? (token as { clientId?: string } | undefined)?.clientId;
          const portal = portalOfClient(portals(), clientId);
          if (!portal) return { sub: id };
          const consented = new Set((await deps.login.principalConsent(id, portal.id)) ?? []);
          const allowed = portal.attributes.filter((a) => consented.has(a)) as AttributeName[];
          // A login without an account has only a random principal per session; a public-subject
          // portal gets the stable pseudonym instead (DECISIONS 8). Pairwise ones get it anyway.
          const sub =
            isAccountlessPrincipal(id) && portal.oidc?.subjectType === 'public'
              ? await deps.login.principalPseudonym(id, portal.sector, clock.now())
              : id;
          const values = claimValues(pick((await deps.login.principalAttributes(id)) ?? {}, allowed));
          // ID tokens as with conformIdTokenClaims: true (see above), except a temporary login's.
          if (use !== 'id_token' || isTemporaryPrincipal(id)) return { sub, ...values };
          return { sub, ...Object.fromEntries(Object.entries(values).filter(([name]) => name in requested)) };
        },
      };
      return result;
    },
    loadExistingGrant: async (ctx) => {
      const resumed = ctx.oidc.result?.consent?.grantId;
      const clientId = ctx.oidc.client?.clientId;
      const grantId = resumed ?? (clientId ? ctx.oidc.session?.grantIdFor(clientId) : undefined);
      if (!grantId) return undefined;
      const grant = await ctx.oidc.provider.Grant.find(grantId);
      if (!grant || resumed) return grant;
      // Reused without the hub's login path (prompt=none): only while the consent stands.
      const portal = portalOfClient(portals(), clientId);
      if (!portal || !grant.accountId || (await deps.login.principalConsent(grant.accountId, portal.id)) === undefined) return undefined;
      return grant;
    },
    // oidc-provider refuses outgoing requests to loopback and private addresses (SSRF). Its only
    // outgoing requests here are back-channel logout tokens to URIs the operator registered in
    // the portals registry, which may well be on an internal network: those, and only those,
    // go out without that check.
    fetch: (url, options) => {
      const target = url instanceof URL ? url.href : String(url);
      const registered = portals().portals.some((p) => p.enabled && p.oidc?.backchannelLogoutUri === target);
      if (!registered) return globalThis.fetch(url, options);
      const { dispatcher: _unchecked, ...rest } = options as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, rest);
    },
    clientBasedCORS: (_ctx, origin, client) => client.redirectUris?.some((u) => new URL(u).origin === origin) ?? false,
    renderError: async (ctx, out, error) => {
      const hub = hubOf(ctx);
      const status = ctx.status >= 400 ? ctx.status : 400;
      const hubError =
        out.error === 'server_error'
          ? new HubError('internal', String((error as Error)?.message ?? error), { cause: error })
          : new HubError('oidc_request_invalid', `${out.error}: ${out.error_description ?? ''}`, { params: { error: out.error } });
      renderHubError(hub, hubError);
      ctx.status = hubError.code === 'internal' ? 500 : status;
    },
  };

  const provider = new Provider(deps.issuer, configuration);
  provider.proxy = deps.proxy;

  const portalName = (ctx: KoaContextWithOIDC): string | undefined => {
    const portal = portalOfClient(portals(), ctx.oidc.client?.clientId);
    return portal?.name[hubOf(ctx).state.lang];
  };

  provider.on('server_error', (ctx: KoaContextWithOIDC, err: Error) => {
    (hubOf(ctx).state?.log ?? log).error({ err, path: ctx.path }, 'oidc server error');
  });
  const on = provider.on.bind(provider) as (
    event: string,
    listener: (ctx: KoaContextWithOIDC, err: { error?: string; error_description?: string }) => void,
  ) => unknown;
  for (const event of [
    'authorization.error',
    'grant.error',
    'userinfo.error',
    'end_session.error',
    'revocation.error',
    'jwks.error',
    'discovery.error',
  ] as const) {
    on(event, (ctx, err) => {
      (hubOf(ctx).state?.log ?? log).info({ event, error: err.error, detail: err.error_description }, 'oidc request refused');
    });
  }
  return provider;
}

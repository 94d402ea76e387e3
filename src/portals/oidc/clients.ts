import { readFileSync, statSync } from 'node:fs';
import type { PortalConfig, PortalRegistry } from '../../config/portals.ts';

/**
 * oidc-provider clients from the portals registry (federation/portals.yaml). They are looked up
 * by client id on every request (through the adapter's `Client` model), so a replaced registry
 * takes effect at once; oidc-provider caches a client object per distinct metadata.
 *
 * Every client uses the authorization code flow only, redirect URIs compare exactly, PKCE S256
 * is required for public clients (token_endpoint_auth_method `none`) and allowed for all.
 * Pairwise subjects are the hub's stored random identifiers per portal sector (pairwise.ts);
 * oidc-provider's own sector logic is not used: `sector_identifier_uri` is a placeholder under
 * `.invalid` that it is told never to fetch.
 */

export type ClientMetadata = Record<string, unknown> & { client_id: string };

interface JwksCacheEntry {
  readonly mtimeMs: number;
  readonly size: number;
  readonly keys: unknown[];
}
const jwksCache = new Map<string, JwksCacheEntry>();

/** The portal's public keys for private_key_jwt, re-read when the file changes. */
function readJwks(file: string): unknown[] {
  const st = statSync(file);
  const cached = jwksCache.get(file);
  if (cached && cached.mtimeMs === st.mtimeMs && cached.size === st.size) return cached.keys;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { keys?: unknown };
  if (!Array.isArray(parsed.keys)) throw new Error(`${file}: not a JWK set`);
  // Only public members: a private key in the file must never reach the provider.
  const keys = parsed.keys.map((k) => {
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, k: _k, ...pub } = k as Record<string, unknown>;
    return pub;
  });
  jwksCache.set(file, { mtimeMs: st.mtimeMs, size: st.size, keys });
  return keys;
}

export function sectorPlaceholder(sector: string): string {
  return `https://${sector}.sector.servicekonto.invalid/`;
}

/**
 * A portal that sends to the Postkorb gets the client credentials grant for its server (the scope
 * `postkorb`): its oidc client gains the grant, and a portal without an oidc section gets a client
 * of its own (postkorb.client) that can do nothing else: no redirect URIs, no response types.
 */
function postkorbClientMetadata(portal: PortalConfig): ClientMetadata | undefined {
  const k = portal.postkorb?.client;
  if (!k || portal.oidc) return undefined;
  const metadata: ClientMetadata = {
    client_id: k.clientId,
    client_name: portal.name.de,
    application_type: 'web',
    response_types: [],
    grant_types: ['client_credentials'],
    redirect_uris: [],
    token_endpoint_auth_method: k.tokenEndpointAuthMethod,
  };
  if (k.clientSecret !== undefined && k.tokenEndpointAuthMethod.startsWith('client_secret_')) metadata.client_secret = k.clientSecret;
  if (k.tokenEndpointAuthMethod === 'private_key_jwt' && k.jwksPath) metadata.jwks = { keys: readJwks(k.jwksPath) };
  return metadata;
}

export function clientMetadata(portal: PortalConfig): ClientMetadata | undefined {
  if (!portal.enabled) return undefined;
  const o = portal.oidc;
  if (!o) return postkorbClientMetadata(portal);
  const metadata: ClientMetadata = {
    client_id: o.clientId,
    client_name: portal.name.de,
    application_type: 'web',
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token', ...(portal.postkorb ? ['client_credentials'] : [])],
    redirect_uris: [...o.redirectUris],
    post_logout_redirect_uris: [...o.postLogoutRedirectUris],
    token_endpoint_auth_method: o.tokenEndpointAuthMethod,
    id_token_signed_response_alg: o.idTokenSignedResponseAlg,
    subject_type: o.subjectType,
  };
  if (o.subjectType === 'pairwise') metadata.sector_identifier_uri = sectorPlaceholder(portal.sector);
  if (o.clientSecret !== undefined && o.tokenEndpointAuthMethod.startsWith('client_secret_')) metadata.client_secret = o.clientSecret;
  if (o.tokenEndpointAuthMethod === 'private_key_jwt' && o.jwksPath) metadata.jwks = { keys: readJwks(o.jwksPath) };
  if (o.backchannelLogoutUri) {
    metadata.backchannel_logout_uri = o.backchannelLogoutUri;
    metadata.backchannel_logout_session_required = true;
  }
  return metadata;
}

/** The portal behind a client id, when it is enabled and has a client (OIDC, or the Postkorb's). */
export function portalOfClient(registry: PortalRegistry, clientId: string | undefined): PortalConfig | undefined {
  if (clientId === undefined) return undefined;
  const portal = registry.byOidcClientId(clientId);
  return portal?.enabled && (portal.oidc || portal.postkorb?.client) ? portal : undefined;
}

/** Origins a browser is sent to after a form on the provider's pages (CSP form-action). */
export function portalOrigins(registry: PortalRegistry): string[] {
  const origins = new Set<string>();
  for (const p of registry.portals) {
    if (!p.enabled || !p.oidc) continue;
    for (const u of [...p.oidc.redirectUris, ...p.oidc.postLogoutRedirectUris]) origins.add(new URL(u).origin);
  }
  return [...origins];
}

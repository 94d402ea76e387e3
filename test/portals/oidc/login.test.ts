import test from 'ava';
import * as oidc from 'openid-client';
import { authorizationUrl, authorize, Browser, jwtHeader, jwtPayload, newCitizen, redeem, rp, startBed, type OidcBed } from './fixture.ts';

let bed: OidcBed;
let erika: string;

test.before(async () => {
  bed = await startBed([
    { id: 'public-app', auth: 'none' },
    { id: 'basic', auth: 'client_secret_basic' },
    { id: 'post', auth: 'client_secret_post' },
    { id: 'jwt', auth: 'private_key_jwt', alg: 'ES256' },
  ]);
  erika = await newCitizen(bed);
});
test.after.always(async () => {
  await bed?.close();
});

test.serial('discovery names the hub as issuer, its /oidc/ endpoints, the eIDAS levels and the code flow only', async (t) => {
  const res = await fetch(`${bed.h.url}/.well-known/openid-configuration`);
  t.is(res.status, 200);
  const d = (await res.json()) as Record<string, unknown>;
  t.is(d.issuer, bed.h.url);
  t.is(d.authorization_endpoint, `${bed.h.url}/oidc/auth`);
  t.is(d.token_endpoint, `${bed.h.url}/oidc/token`);
  t.is(d.userinfo_endpoint, `${bed.h.url}/oidc/userinfo`);
  t.is(d.jwks_uri, `${bed.h.url}/oidc/jwks`);
  t.is(d.end_session_endpoint, `${bed.h.url}/oidc/session/end`);
  t.is(d.revocation_endpoint, `${bed.h.url}/oidc/token/revocation`);
  t.deepEqual(d.response_types_supported, ['code']);
  t.deepEqual(d.acr_values_supported, [
    'STORK-QAA-Level-1',
    'http://eidas.europa.eu/LoA/low',
    'http://eidas.europa.eu/LoA/substantial',
    'http://eidas.europa.eu/LoA/high',
  ]);
  t.deepEqual(d.code_challenge_methods_supported, ['S256']);
  t.true((d.subject_types_supported as string[]).includes('pairwise'));
  t.true(d.backchannel_logout_supported as boolean);
  t.deepEqual(d.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']);
});

test.serial('a public client logs a citizen in with code and PKCE; the ID token carries acr, amr and the nonce', async (t) => {
  const portal = bed.portals['public-app']!;
  const config = await rp(bed, portal);
  const browser = new Browser(bed.h.url);
  const { callback, authorization } = await authorize(
    browser,
    config,
    portal,
    { scope: 'openid profile' },
    { username: erika, consent: 'ja' },
  );
  t.is(callback.searchParams.get('state'), authorization.state);
  t.is(callback.searchParams.get('iss'), bed.h.url);
  const tokens = await redeem(config, callback, authorization);
  const claims = tokens.claims()!;
  t.is(claims.iss, bed.h.url);
  t.is(claims.aud, portal.clientId);
  t.is(claims.nonce, authorization.nonce);
  t.is(claims.acr, 'http://eidas.europa.eu/LoA/low');
  t.deepEqual(claims.amr, ['pwd']);
  t.is(jwtHeader(tokens.id_token!).alg, 'RS256');
  const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
  t.is(info.given_name, 'Erika');
  t.is(info.family_name, 'Mustermann');
  t.is(info.birthdate, '1964-08-12');
});

for (const [id, method] of [
  ['basic', 'client_secret_basic'],
  ['post', 'client_secret_post'],
  ['jwt', 'private_key_jwt'],
] as const) {
  test.serial(`a confidential client authenticates at the token endpoint with ${method}`, async (t) => {
    const portal = bed.portals[id]!;
    const config = await rp(bed, portal);
    const browser = new Browser(bed.h.url);
    const { callback, authorization } = await authorize(
      browser,
      config,
      portal,
      { scope: 'openid email' },
      { username: erika, consent: 'ja' },
    );
    const tokens = await redeem(config, callback, authorization);
    t.is(tokens.claims()!.aud, portal.clientId);
    t.truthy(tokens.refresh_token, 'a refresh token for a client allowed the refresh_token grant');
    const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    t.is(info.email, `${erika}@example.org`);
    t.is(info.email_verified, true);
    if (id === 'jwt') t.is(jwtHeader(tokens.id_token!).alg, 'ES256', 'the portal registered ES256 for its ID tokens');
    else t.is(jwtHeader(tokens.id_token!).alg, 'RS256');
  });
}

test.serial('a confidential client with a wrong secret is refused at the token endpoint, and the code stays unusable', async (t) => {
  const portal = bed.portals.basic!;
  const config = await rp(bed, portal);
  const browser = new Browser(bed.h.url);
  const { callback, authorization } = await authorize(browser, config, portal, { scope: 'openid' }, { username: erika, consent: 'ja' });
  const wrong = await oidc.discovery(new URL(bed.h.url), portal.clientId, undefined, oidc.ClientSecretBasic('x'.repeat(43)), {
    execute: [oidc.allowInsecureRequests],
  });
  const error = (await t.throwsAsync(redeem(wrong, callback, authorization))) as unknown as {
    status?: number;
    cause?: { parameters?: { error?: string } }[];
  };
  t.is(error.status, 401);
  t.is(error.cause?.[0]?.parameters?.error, 'invalid_client');
});

test.serial('the state comes back unchanged; a response with another state is refused by the portal', async (t) => {
  const portal = bed.portals['public-app']!;
  const config = await rp(bed, portal);
  const browser = new Browser(bed.h.url);
  const { callback, authorization } = await authorize(browser, config, portal, {}, { username: erika, consent: 'ja' });
  t.is(callback.searchParams.get('state'), authorization.state);
  const error = await t.throwsAsync(redeem(config, callback, { ...authorization, state: 'another-state' }));
  t.regex(String((error?.cause as Error | undefined)?.message ?? ''), /state/);
});

test.serial('the ID token carries the nonce of its request: a portal expecting another nonce refuses it', async (t) => {
  const portal = bed.portals['public-app']!;
  const config = await rp(bed, portal);
  const browser = new Browser(bed.h.url);
  const { callback, authorization } = await authorize(browser, config, portal, {}, { username: erika, consent: 'ja' });
  const error = await t.throwsAsync(redeem(config, callback, { ...authorization, nonce: 'other-nonce' }));
  t.regex(String((error?.cause as Error | undefined)?.message ?? ''), /"nonce"/);
});

test.serial('a public client must use PKCE with S256', async (t) => {
  const portal = bed.portals['public-app']!;
  const config = await rp(bed, portal);
  const browser = new Browser(bed.h.url);
  const url = new URL((await authorizationUrl(config, portal)).url);
  url.searchParams.delete('code_challenge');
  url.searchParams.delete('code_challenge_method');
  const page = await browser.get(url.href);
  const back = new URL(page.url);
  t.is(back.origin, portal.server.url, 'a valid redirect_uri receives the error');
  t.is(back.searchParams.get('error'), 'invalid_request');
  t.regex(back.searchParams.get('error_description') ?? '', /PKCE/);

  url.searchParams.set('code_challenge', 'x'.repeat(43));
  url.searchParams.set('code_challenge_method', 'plain');
  const plain = new URL((await browser.get(url.href)).url);
  t.is(plain.searchParams.get('error'), 'invalid_request', 'plain is not accepted');
});

test.serial('a confidential client may use PKCE too, and a wrong verifier loses the code', async (t) => {
  const portal = bed.portals.basic!;
  const config = await rp(bed, portal);
  const browser = new Browser(bed.h.url);
  const { callback, authorization } = await authorize(browser, config, portal, {}, { username: erika, consent: 'ja' });
  const error = await t.throwsAsync(redeem(config, callback, { ...authorization, verifier: oidc.randomPKCECodeVerifier() }));
  t.is((error as { error?: string }).error, 'invalid_grant');
});

test.serial('an unregistered redirect_uri gets an error page of the hub, never a redirect', async (t) => {
  const portal = bed.portals['public-app']!;
  const config = await rp(bed, portal);
  const { url } = await authorizationUrl(config, portal);
  url.searchParams.set('redirect_uri', 'http://127.0.0.1:9/evil');
  const res = await fetch(url, { redirect: 'manual' });
  t.is(res.status, 400);
  t.is(res.headers.get('location'), null);
  const body = await res.text();
  t.regex(body, /Anmeldeanfrage ungültig/);
  t.regex(body, /invalid_redirect_uri/);
  t.notRegex(body, /127\.0\.0\.1:9/, 'the page does not link to the unregistered address');
  t.regex(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
});

test.serial('an unknown client and a missing redirect_uri get the same kind of error page', async (t) => {
  const unknown = await fetch(
    `${bed.h.url}/oidc/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=http://127.0.0.1:9/cb`,
    {
      redirect: 'manual',
    },
  );
  t.is(unknown.status, 400);
  t.is(unknown.headers.get('location'), null);
  t.regex(await unknown.text(), /invalid_client/);
  const portal = bed.portals['public-app']!;
  const missing = await fetch(`${bed.h.url}/oidc/auth?client_id=${portal.clientId}&response_type=code&scope=openid`, {
    redirect: 'manual',
  });
  t.is(missing.status, 400);
  t.is(missing.headers.get('location'), null);
});

test.serial('only the code flow is offered', async (t) => {
  const portal = bed.portals['public-app']!;
  const config = await rp(bed, portal);
  const { url } = await authorizationUrl(config, portal);
  url.searchParams.set('response_type', 'id_token');
  const back = new URL((await new Browser(bed.h.url).get(url.href)).url);
  t.is(back.origin, portal.server.url);
  t.is(new URLSearchParams(back.hash.slice(1)).get('error'), 'unsupported_response_type');
});

test.serial('a code is used once: a second exchange fails and revokes what the first one issued', async (t) => {
  const portal = bed.portals.post!;
  const config = await rp(bed, portal);
  const browser = new Browser(bed.h.url);
  const { callback, authorization } = await authorize(browser, config, portal, {}, { username: erika, consent: 'ja' });
  const first = await redeem(config, callback, authorization);
  const again = await t.throwsAsync(redeem(config, callback, authorization));
  t.is((again as { error?: string }).error, 'invalid_grant');
  await t.throwsAsync(
    oidc.fetchUserInfo(config, first.access_token, first.claims()!.sub),
    undefined,
    'the first access token is revoked too',
  );
  t.truthy(jwtPayload(first.id_token!).sub);
});

test.serial('a portal can revoke its refresh token at the revocation endpoint', async (t) => {
  const portal = bed.portals.basic!;
  const config = await rp(bed, portal);
  const browser = new Browser(bed.h.url);
  const { callback, authorization } = await authorize(browser, config, portal, {}, { username: erika, consent: 'ja' });
  const tokens = await redeem(config, callback, authorization);
  await oidc.tokenRevocation(config, tokens.refresh_token!);
  const error = await t.throwsAsync(oidc.refreshTokenGrant(config, tokens.refresh_token!));
  t.is((error as { error?: string }).error, 'invalid_grant');
});

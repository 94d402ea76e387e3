import test from 'ava';
import * as oidc from 'openid-client';
import { authorizationUrl, Browser, drive, newCitizen, redeem, rp, startBed, type OidcBed } from './fixture.ts';

/**
 * Two hub processes on one store (SQLite file or PostgreSQL schema), behind one public URL as a
 * load balancer would put them: whatever one process starts, the other finishes.
 */
let a: OidcBed;
let b: OidcBed;
const citizens: string[] = [];

test.before(async () => {
  a = await startBed([{ id: 'portal', auth: 'client_secret_basic', backchannel: true }]);
  // Registered before B starts: SQLite serialises writers, and B's first housekeeping pass at
  // start would make a registration's read-then-write transaction at A fail with SQLITE_BUSY.
  citizens.push(await newCitizen(a), await newCitizen(a));
  b = await startBed([], { sameAs: a, overrides: { server: { publicUrl: a.h.url } } });
});
test.after.always(async () => {
  await b?.close();
  await a?.close();
});

/** openid-client talking to process B for everything the portal calls directly. */
async function rpAtB(): Promise<oidc.Configuration> {
  const portal = a.portals.portal!;
  const discovered = await rp(a, portal);
  const meta = JSON.parse(JSON.stringify(discovered.serverMetadata())) as oidc.ServerMetadata;
  const swap = (u: string | undefined): string | undefined => u?.replace(a.h.url, b.h.url);
  const config = new oidc.Configuration(
    {
      ...meta,
      token_endpoint: swap(meta.token_endpoint),
      userinfo_endpoint: swap(meta.userinfo_endpoint),
      jwks_uri: swap(meta.jwks_uri),
      revocation_endpoint: swap(meta.revocation_endpoint),
    },
    portal.clientId,
    undefined,
    oidc.ClientSecretBasic(portal.secret),
  );
  oidc.allowInsecureRequests(config);
  return config;
}

test.serial('a login started at process A is finished at process B, and B redeems, refreshes and serves userinfo', async (t) => {
  const citizen = citizens[0]!;
  const portal = a.portals.portal!;
  const configA = await rp(a, portal);
  const authorization = await authorizationUrl(configA, portal, { scope: 'openid profile' });

  // The browser reaches process A for the authorization request and the login page …
  const atA = new Browser(a.h.url);
  let page = await atA.get(authorization.url.href);
  t.true(page.url.startsWith(`${a.h.url}/anmelden?auftrag=`));
  // … and process B for everything after (its cookies are the same: one site).
  const atB = new Browser(b.h.url);
  for (const name of ['skh_session', 'skh_oidc_interaction', 'skh_oidc_resume', 'skh_oidc']) {
    const value = atA.cookie(name);
    if (value) atB.setCookie(name, value);
  }
  page = await atB.get(page.url.replace(a.h.url, b.h.url));
  page = await atB.submit({ username: citizen, password: 'Sommer2026!' }, '/anmelden/passwort');
  t.true(page.url.startsWith(b.h.url), 'the login and consent pages came from B');
  // /interaction/<uid>/fertig at B; the resume goes to the public URL (A), like any other request.
  page = await drive(atB, page, portal, { consent: 'ja' });
  const callback = new URL(page.url);
  t.truthy(callback.searchParams.get('code'));
  t.is(callback.searchParams.get('iss'), a.h.url);

  const configB = await rpAtB();
  const tokens = await redeem(configB, callback, authorization);
  t.is(tokens.claims()!.iss, a.h.url, 'one issuer for both processes');
  const info = await oidc.fetchUserInfo(configB, tokens.access_token, tokens.claims()!.sub);
  t.is(info.given_name, 'Erika');
  const refreshed = await oidc.refreshTokenGrant(configA, tokens.refresh_token!);
  t.truthy(refreshed.access_token, 'A refreshes what B issued');
  const again = await t.throwsAsync(redeem(configA, callback, authorization));
  t.is((again as { error?: string }).error, 'invalid_grant', 'the code B consumed is used up at A too');
});

test.serial('a hub logout at one process ends the tokens at the other', async (t) => {
  const citizen = citizens[1]!;
  const portal = a.portals.portal!;
  const configA = await rp(a, portal);
  const browser = new Browser(a.h.url);
  const authorization = await authorizationUrl(configA, portal);
  const page = await drive(browser, await browser.get(authorization.url.href), portal, { username: citizen, consent: 'ja' });
  const tokens = await redeem(configA, new URL(page.url), authorization);
  const atB = new Browser(b.h.url);
  atB.setCookie('skh_session', browser.cookie('skh_session')!);
  await atB.get('/konto');
  await atB.submit({}, '/abmelden');
  const configB = await rpAtB();
  const error = await t.throwsAsync(oidc.refreshTokenGrant(configB, tokens.refresh_token!));
  t.is((error as { error?: string }).error, 'invalid_grant');
  t.true(portal.server.logoutTokens.length > 0);
});

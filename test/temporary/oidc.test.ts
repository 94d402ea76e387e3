import test from 'ava';
import * as oidc from 'openid-client';
import { Client, type Page } from '../helpers/client.ts';
import { ACCOUNT_TABLES, rowCounts, startTempBed, storeText, temporaryEid, type TempBed } from './bed.ts';

/**
 * Issue 9 over OpenID Connect: a temporary eID login gives the portal a `sub` that no other
 * session ever gets, the level reached and the released claims (in the ID token); nothing lands
 * in the account tables, and once the tokens are issued the login is over: its session and its
 * grant, codes and tokens are gone (userinfo then fails), and no personal value stays in the store.
 */

let bed: TempBed;
let config: oidc.Configuration;

test.before(async () => {
  bed = await startTempBed();
  config = await oidc.discovery(new URL(bed.h.url), bed.oidc.clientId, {}, oidc.ClientSecretBasic(bed.oidc.secret), {
    execute: [oidc.allowInsecureRequests],
  });
});
test.after.always(async () => {
  await bed?.close();
});

async function temporaryLogin(c: Client): Promise<{ tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>; consent: Page }> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: bed.oidc.redirectUri,
    scope: 'openid profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  let page = await c.get(url.href);
  const consent = await temporaryEid(c, page, 'erika');
  page = await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
  for (let i = 0; i < 5 && !page.url.startsWith(bed.oidc.server.url); i++) {
    const next = page.root.querySelector('a#weiter')?.getAttribute('href');
    if (!next) throw new Error(`stuck at ${page.url}: ${page.text.slice(0, 300)}`);
    page = await c.get(next);
  }
  const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  return { tokens, consent };
}

test.serial(
  'a temporary eID login gives an OIDC portal a sub never reused across sessions, acr high and the consented claims',
  async (t) => {
    const before = await rowCounts(bed.h);
    const c = new Client(bed.h.url);
    const first = await temporaryLogin(c);
    t.regex(first.consent.text, /eine nur für diese Anmeldung gültige Kennung/);
    const claims = first.tokens.claims()!;
    t.is(claims.acr, 'http://eidas.europa.eu/LoA/high');
    // The ID token carries the consented claims: userinfo is gone with the login.
    t.is(claims.given_name, 'ERIKA');
    t.is(claims.family_name, 'MUSTERMANN');
    t.is(claims.birthdate, '1964-08-12');
    t.is(claims.postkorb_handle, undefined);
    t.true(String(claims.sub).length > 0);

    // Right after the token response: no session row of the temporary principal, no provider
    // state of its grant, and userinfo finds nobody.
    const db = bed.h.hub.store.db;
    t.deepEqual(await db('sessions').where('subject', 'like', 'tmp-%').select('subject'), [], 'no temporary session row');
    t.deepEqual(await db('oidc_models').where('account_id', 'like', 'tmp-%').select('model'), [], 'no oidc model of the temporary login');
    // (This bed serves this test alone: no other grant has codes or tokens.)
    t.deepEqual(await db('oidc_models').whereNotNull('grant_id').select('model'), [], 'no code or token of the grant');
    t.is(await db('oidc_models').where({ id: first.tokens.access_token }).first(), undefined, 'the access token is gone');
    const userinfo = await fetch(new URL('/oidc/userinfo', bed.h.url), {
      headers: { authorization: `Bearer ${first.tokens.access_token}` },
    });
    t.is(userinfo.status, 401);
    t.regex(userinfo.headers.get('www-authenticate') ?? '', /invalid_token/);
    await t.throwsAsync(oidc.fetchUserInfo(config, first.tokens.access_token, claims.sub!));
    t.truthy(first.tokens.refresh_token);
    await t.throwsAsync(oidc.refreshTokenGrant(config, first.tokens.refresh_token!));

    // The same card in a new session (another browser): another sub.
    const second = await temporaryLogin(new Client(bed.h.url));
    t.not(second.tokens.claims()!.sub, claims.sub);
    // And in the same browser after the first login: still another one.
    const third = await temporaryLogin(c);
    t.not(third.tokens.claims()!.sub, claims.sub);
    t.not(third.tokens.claims()!.sub, second.tokens.claims()!.sub);
    t.is(third.tokens.claims()!.given_name, 'ERIKA');

    const after = await rowCounts(bed.h);
    for (const table of ACCOUNT_TABLES) t.is(after[table], before[table], `${table} unchanged`);
    t.deepEqual(await db('sessions').where('subject', 'like', 'tmp-%').select('subject'), [], 'no temporary session row');
    t.deepEqual(await db('oidc_models').where('account_id', 'like', 'tmp-%').select('model'), [], 'no oidc model of a temporary login');
    t.notRegex(await storeText(bed.h), /ERIKA|MUSTERMANN|1964-08-12/, 'no personal value in the store');
  },
);

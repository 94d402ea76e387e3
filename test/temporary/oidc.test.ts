import test from 'ava';
import * as oidc from 'openid-client';
import { Client, type Page } from '../helpers/client.ts';
import { ACCOUNT_TABLES, rowCounts, startTempBed, storeText, temporaryEid, type TempBed } from './bed.ts';

/**
 * Issue 9 over OpenID Connect: a temporary eID login gives the portal a `sub` that no other
 * session ever gets, the level reached and the released claims; nothing lands in the account
 * tables, the grant holds no claim values, and Abmelden ends the identity (userinfo then fails).
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
    const info = await oidc.fetchUserInfo(config, first.tokens.access_token, claims.sub);
    t.is(info.given_name, 'ERIKA');
    t.is(info.family_name, 'MUSTERMANN');
    t.is(info.postkorb_handle, undefined);

    // The same card in a new session (another browser): another sub.
    const second = await temporaryLogin(new Client(bed.h.url));
    t.not(second.tokens.claims()!.sub, claims.sub);
    // And in the same browser after the first login: still another one.
    const third = await temporaryLogin(c);
    t.not(third.tokens.claims()!.sub, claims.sub);
    t.not(third.tokens.claims()!.sub, second.tokens.claims()!.sub);

    const after = await rowCounts(bed.h);
    for (const table of ACCOUNT_TABLES) t.is(after[table], before[table], `${table} unchanged`);
    t.notRegex(await storeText(bed.h, ['sessions']), /ERIKA|MUSTERMANN|1964-08-12/, 'grants and tokens hold no claim values');

    // Abmelden: the identity goes with the session row; the portal's token finds nobody any more.
    await c.get('/sitzung');
    await c.submit({}, '/abmelden');
    await t.throwsAsync(oidc.fetchUserInfo(config, third.tokens.access_token, third.tokens.claims()!.sub));
  },
);

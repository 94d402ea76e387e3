import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import test from 'ava';
import * as oidc from 'openid-client';
import { MINUTE } from '../../../src/core/clock.ts';
import { GOOD_PASSWORD, login } from '../../helpers/citizen.ts';
import type { Page } from '../../helpers/client.ts';
import {
  authorize,
  Browser,
  jwtHeader,
  jwtPayload,
  newCitizen,
  redeem,
  rp,
  startBed,
  type OidcBed,
  type RegisteredPortal,
} from './fixture.ts';

/**
 * DECISIONS 4 and 5 as a portal sees them: pairwise subjects, refresh tokens that live only as
 * long as the hub session, RP-initiated logout that ends the hub session, and back-channel
 * logout tokens for every portal of the session when it ends (Abmelden, password reset, deletion).
 */
let bed: OidcBed;

test.before(async () => {
  bed = await startBed([
    { id: 'rathaus', auth: 'client_secret_basic', sector: 'stadt', backchannel: true },
    { id: 'buergeramt', auth: 'client_secret_post', sector: 'stadt', backchannel: true, alg: 'ES256' },
    { id: 'finanzamt', auth: 'none', backchannel: true },
    { id: 'offen', auth: 'client_secret_basic', subjectType: 'public' },
    // Two hosts in its redirect URIs; pairwise needs no sector_identifier_uri here.
    { id: 'zwei-hosts', auth: 'client_secret_basic', extraRedirectUris: ['http://localhost:9/callback'] },
  ]);
});
test.after.always(async () => {
  await bed?.close();
});

async function loginAt(portal: RegisteredPortal, browser: Browser, username?: string, params: Record<string, string> = {}) {
  const config = await rp(bed, portal);
  const r = await authorize(browser, config, portal, params, { ...(username ? { username } : {}), consent: 'ja' });
  const tokens = await redeem(config, r.callback, r.authorization);
  return { config, tokens, claims: tokens.claims()! };
}

async function verifyLogoutToken(token: string, portal: RegisteredPortal): Promise<Record<string, unknown>> {
  const jwks = (await (await fetch(`${bed.h.url}/oidc/jwks`)).json()) as { keys: (JsonWebKey & { kid: string })[] };
  const header = jwtHeader(token);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error('logout token signed with a key not in the JWKS');
  const [h, p, s] = token.split('.') as [string, string, string];
  const ok = verify(
    'sha256',
    Buffer.from(`${h}.${p}`),
    header.alg === 'ES256'
      ? { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }
      : createPublicKey({ key: jwk, format: 'jwk' }),
    Buffer.from(s, 'base64url'),
  );
  if (!ok) throw new Error('bad logout token signature');
  const payload = jwtPayload(token);
  if (payload.aud !== portal.clientId || payload.iss !== bed.h.url) throw new Error('wrong audience or issuer');
  return { ...payload, typ: header.typ, alg: header.alg };
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
}

test.serial('the pairwise sub is the same for portals of one sector and for every login, different across sectors', async (t) => {
  const citizen = await newCitizen(bed);
  const browser = new Browser(bed.h.url);
  const a = await loginAt(bed.portals.rathaus!, browser, citizen);
  const b = await loginAt(bed.portals.buergeramt!, browser);
  const c = await loginAt(bed.portals.finanzamt!, browser);
  const again = await loginAt(bed.portals.rathaus!, new Browser(bed.h.url), citizen);
  t.is(a.claims.sub, b.claims.sub, 'one sector, one pseudonym');
  t.is(a.claims.sub, again.claims.sub, 'stable across logins');
  t.not(a.claims.sub, c.claims.sub, 'another sector cannot link the citizen');
  const account = (await bed.h.hub.store.db('accounts').where({ username_key: citizen }).first()) as { id: string };
  const stored = (await bed.h.hub.store.db('pairwise_ids').where({ account_id: account.id })) as { sector: string; value: string }[];
  t.deepEqual(stored.map((r) => [r.sector, r.value]).sort(), [
    ['finanzamt', c.claims.sub],
    ['stadt', a.claims.sub],
  ]);
  t.not(a.claims.sub, account.id);
  const open = await loginAt(bed.portals.offen!, browser);
  t.is(open.claims.sub, account.id, 'public subject only where configured');
  const two = await loginAt(bed.portals['zwei-hosts']!, browser);
  t.regex(two.claims.sub, /^[0-9a-f]{40}$/);
});

test.serial('refresh works while the hub session lives; after Abmelden the refresh token, access token and grant are gone', async (t) => {
  const citizen = await newCitizen(bed);
  const browser = new Browser(bed.h.url);
  const { config, tokens } = await loginAt(bed.portals.rathaus!, browser, citizen, { scope: 'openid profile' });
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
  t.truthy(refreshed.access_token);
  t.is((await oidc.fetchUserInfo(config, refreshed.access_token, tokens.claims()!.sub)).given_name, 'Erika');

  await browser.get('/konto');
  const out = await browser.submit({}, '/abmelden');
  t.regex(out.text, /abgemeldet/);
  const error = await t.throwsAsync(oidc.refreshTokenGrant(config, refreshed.refresh_token ?? tokens.refresh_token!));
  t.is((error as { error?: string }).error, 'invalid_grant');
  await t.throwsAsync(oidc.fetchUserInfo(config, refreshed.access_token, tokens.claims()!.sub));
  const account = (await bed.h.hub.store.db('accounts').where({ username_key: citizen }).first()) as { id: string };
  t.deepEqual(
    await bed.h.hub.store
      .db('oidc_models')
      .where({ account_id: account.id })
      .whereIn('model', ['Session', 'Grant', 'RefreshToken', 'AccessToken']),
    [],
  );
});

test.serial('a refresh token dies when the hub session lapses (TR-03160 idle limit), in every process, without any logout', async (t) => {
  const citizen = await newCitizen(bed);
  const { config, tokens } = await loginAt(bed.portals.buergeramt!, new Browser(bed.h.url), citizen);
  bed.clock.advance(59 * MINUTE);
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
  t.truthy(refreshed.access_token, 'still within 60 minutes of the last activity');
  bed.clock.advance(2 * MINUTE);
  const error = await t.throwsAsync(oidc.refreshTokenGrant(config, refreshed.refresh_token ?? tokens.refresh_token!));
  t.is((error as { error?: string }).error, 'invalid_grant');
});

test.serial('Abmelden at the hub sends each portal of the session a signed back-channel logout token for its sub and sid', async (t) => {
  const citizen = await newCitizen(bed);
  const browser = new Browser(bed.h.url);
  const rathaus = bed.portals.rathaus!;
  const buergeramt = bed.portals.buergeramt!;
  const a = await loginAt(rathaus, browser, citizen);
  const b = await loginAt(buergeramt, browser);
  const seenA = rathaus.server.logoutTokens.length;
  const seenB = buergeramt.server.logoutTokens.length;
  await browser.get('/konto');
  const page = await browser.submit({}, '/abmelden');
  t.regex(page.text, /Sie wurden abgemeldet/);
  t.notRegex(page.text, /nicht über die Abmeldung benachrichtigt/);
  t.is(rathaus.server.logoutTokens.length, seenA + 1);
  t.is(buergeramt.server.logoutTokens.length, seenB + 1);
  const tokenA = await verifyLogoutToken(rathaus.server.logoutTokens.at(-1)!, rathaus);
  const tokenB = await verifyLogoutToken(buergeramt.server.logoutTokens.at(-1)!, buergeramt);
  t.like(tokenA, { sub: a.claims.sub, sid: a.claims.sid, typ: 'logout+jwt', alg: 'RS256' });
  t.like(tokenB, { sub: b.claims.sub, sid: b.claims.sid, alg: 'ES256' });
  t.deepEqual(tokenA.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
  t.false('nonce' in tokenA);
  t.truthy(a.claims.sid, 'ID tokens of a portal with back-channel logout carry the sid');
  t.not(a.claims.sid, b.claims.sid, 'a sid of its own per portal');
});

test.serial('a portal that cannot be reached is named on the logout page; the hub session ends anyway', async (t) => {
  const citizen = await newCitizen(bed);
  const browser = new Browser(bed.h.url);
  const finanzamt = bed.portals.finanzamt!;
  await loginAt(finanzamt, browser, citizen);
  finanzamt.server.logoutStatus = 500;
  try {
    await browser.get('/konto');
    const page = await browser.submit({}, '/abmelden');
    t.regex(page.text, /nicht über die Abmeldung benachrichtigt/);
    t.regex(page.text, /Portal finanzamt/);
    t.is(browser.sessionLevel(), 'nicht angemeldet');
  } finally {
    finanzamt.server.logoutStatus = 200;
  }
});

test.serial('a portal without a back-channel logout URI cannot be told, so the logout page names it', async (t) => {
  const citizen = await newCitizen(bed);
  const browser = new Browser(bed.h.url);
  const { config, tokens } = await loginAt(bed.portals.offen!, browser, citizen);
  await browser.get('/konto');
  const page = await browser.submit({}, '/abmelden');
  t.regex(page.text, /nicht über die Abmeldung benachrichtigt/);
  t.regex(page.text, /Portal offen/);
  const error = await t.throwsAsync(oidc.refreshTokenGrant(config, tokens.refresh_token!));
  t.is((error as { error?: string }).error, 'invalid_grant', 'its tokens end all the same');
});

test.serial(
  'RP-initiated logout with id_token_hint ends the hub session, tells the other portals and returns with the state',
  async (t) => {
    const citizen = await newCitizen(bed);
    const browser = new Browser(bed.h.url);
    const rathaus = bed.portals.rathaus!;
    const finanzamt = bed.portals.finanzamt!;
    const a = await loginAt(rathaus, browser, citizen);
    const f = await loginAt(finanzamt, browser);
    const seenF = finanzamt.server.logoutTokens.length;
    const url = oidc.buildEndSessionUrl(a.config, {
      id_token_hint: a.tokens.id_token!,
      post_logout_redirect_uri: rathaus.postLogoutRedirectUri,
      state: 'zurueck-123',
    });
    let page: Page = await browser.get(url.href);
    t.is(page.status, 200);
    t.regex(page.text, /Portal rathaus/);
    t.regex(page.text, /auch beim Servicekonto abzumelden/);
    page = await browser.submit({ logout: 'yes' }, `${bed.h.url}/oidc/session/end/confirm`);
    const next = page.root.querySelector('a#weiter')?.getAttribute('href');
    if (next) page = await browser.get(next);
    const back = new URL(page.url);
    t.is(`${back.origin}${back.pathname}`, rathaus.postLogoutRedirectUri);
    t.is(back.searchParams.get('state'), 'zurueck-123');

    await browser.get('/konto');
    t.true(browser.page!.url.endsWith('/anmelden'), 'the hub session has ended');
    await waitFor(() => finanzamt.server.logoutTokens.length > seenF);
    t.is(finanzamt.server.logoutTokens.length, seenF + 1, 'the other portal was told once');
    t.like(await verifyLogoutToken(finanzamt.server.logoutTokens.at(-1)!, finanzamt), { sub: f.claims.sub, sid: f.claims.sid });
    const error = await t.throwsAsync(oidc.refreshTokenGrant(f.config, f.tokens.refresh_token!));
    t.is((error as { error?: string }).error, 'invalid_grant');
  },
);

test.serial('RP-initiated logout with "stay logged in" ends only that portal’s login', async (t) => {
  const citizen = await newCitizen(bed);
  const browser = new Browser(bed.h.url);
  const rathaus = bed.portals.rathaus!;
  const a = await loginAt(rathaus, browser, citizen);
  const url = oidc.buildEndSessionUrl(a.config, {
    id_token_hint: a.tokens.id_token!,
    post_logout_redirect_uri: rathaus.postLogoutRedirectUri,
  });
  await browser.get(url.href);
  let page = await browser.submit({}, `${bed.h.url}/oidc/session/end/confirm`);
  const next = page.root.querySelector('a#weiter')?.getAttribute('href');
  if (next) page = await browser.get(next);
  t.true(page.url.startsWith(rathaus.postLogoutRedirectUri));
  await browser.get('/konto');
  t.is(browser.sessionLevel(), 'niedrig', 'still logged in at the hub');
  const error = await t.throwsAsync(oidc.refreshTokenGrant(a.config, a.tokens.refresh_token!));
  t.is((error as { error?: string }).error, 'invalid_grant', "that portal's tokens are revoked");
});

test.serial('an unregistered post_logout_redirect_uri is refused with an error page', async (t) => {
  const citizen = await newCitizen(bed);
  const browser = new Browser(bed.h.url);
  const a = await loginAt(bed.portals.rathaus!, browser, citizen);
  const url = oidc.buildEndSessionUrl(a.config, { id_token_hint: a.tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/weg' });
  const res = await fetch(url, { redirect: 'manual' });
  t.is(res.status, 400);
  t.is(res.headers.get('location'), null);
  t.regex(await res.text(), /Anmeldeanfrage ungültig|invalid_request/);
});

test.serial('a password reset ends the sessions elsewhere and their portals are told over the back channel', async (t) => {
  const citizen = await newCitizen(bed);
  const browser = new Browser(bed.h.url);
  const rathaus = bed.portals.rathaus!;
  const a = await loginAt(rathaus, browser, citizen);
  const seen = rathaus.server.logoutTokens.length;
  const requester = new Browser(bed.h.url);
  await requester.get('/passwort-vergessen');
  await requester.submit({ username: citizen });
  await bed.h.hub.accounts.settled();
  const mail = await bed.h.outbox.latest(`${citizen}@example.org`, 'Neues Passwort');
  await requester.get(mail.links.find((l) => l.includes('/passwort-zuruecksetzen'))!);
  await requester.submit({ password: 'Winter2026#', passwordRepeat: 'Winter2026#' });
  t.is(rathaus.server.logoutTokens.length, seen + 1);
  t.like(await verifyLogoutToken(rathaus.server.logoutTokens.at(-1)!, rathaus), { sub: a.claims.sub, sid: a.claims.sid });
  const error = await t.throwsAsync(oidc.refreshTokenGrant(a.config, a.tokens.refresh_token!));
  t.is((error as { error?: string }).error, 'invalid_grant');
});

test.serial('deleting the account removes its oidc-provider state and tells its portals', async (t) => {
  const citizen = await newCitizen(bed);
  const browser = new Browser(bed.h.url);
  const rathaus = bed.portals.rathaus!;
  const a = await loginAt(rathaus, browser, citizen);
  const account = (await bed.h.hub.store.db('accounts').where({ username_key: citizen }).first()) as { id: string };
  t.true((await bed.h.hub.store.db('oidc_models').where({ account_id: account.id })).length > 0);
  const seen = rathaus.server.logoutTokens.length;
  await browser.get('/konto/loeschen');
  const page = await browser.submit({ currentPassword: GOOD_PASSWORD });
  t.regex(page.text, /Ihr Servicekonto wurde gelöscht/);
  t.deepEqual(await bed.h.hub.store.db('oidc_models').where({ account_id: account.id }), []);
  const rows = JSON.stringify(await bed.h.hub.store.db('oidc_models').select('*'));
  t.false(rows.includes(account.id), 'no row names the account');
  t.is(rathaus.server.logoutTokens.length, seen + 1);
  t.like(await verifyLogoutToken(rathaus.server.logoutTokens.at(-1)!, rathaus), { sub: a.claims.sub, sid: a.claims.sid });
});

test.serial('a provider session of another account is never continued: the next login starts a new one', async (t) => {
  const first = await newCitizen(bed);
  const second = await newCitizen(bed);
  const browser = new Browser(bed.h.url);
  const rathaus = bed.portals.rathaus!;
  const a = await loginAt(rathaus, browser, first);
  const before = browser.cookie('skh_oidc');
  t.truthy(before);
  await browser.get('/konto');
  await browser.submit({}, '/abmelden');
  await login(browser, second);
  const config = await rp(bed, rathaus);
  const passive = await authorize(browser, config, rathaus, { prompt: 'none' });
  t.is(passive.callback.searchParams.get('error'), 'login_required', "the first account's provider session is not used");
  const b = await loginAt(rathaus, browser);
  t.not(b.claims.sub, a.claims.sub);
  const account = (await bed.h.hub.store.db('accounts').where({ username_key: second }).first()) as { id: string };
  const sessions = (await bed.h.hub.store.db('oidc_models').where({ model: 'Session' }).select('account_id')) as { account_id: string }[];
  t.true(sessions.some((s) => s.account_id === account.id));
  const firstAccount = (await bed.h.hub.store.db('accounts').where({ username_key: first }).first()) as { id: string };
  t.false(
    sessions.some((s) => s.account_id === firstAccount.id),
    'the old provider session is gone',
  );
});

test.serial('the purge job removes expired rows', async (t) => {
  await bed.h.hub.store
    .db('oidc_models')
    .insert({ model: 'Interaction', id: 'expired-one', payload: '{}', expires_at: bed.clock.now() - 1 });
  await bed.h.hub.scheduler.runDue();
  t.is(await bed.h.hub.store.db('oidc_models').where({ id: 'expired-one' }).first(), undefined);
});

test.serial('after the hub session timed out, the next login in the browser does not continue the old provider session', async (t) => {
  const first = await newCitizen(bed);
  const second = await newCitizen(bed);
  const browser = new Browser(bed.h.url);
  const rathaus = bed.portals.rathaus!;
  const a = await loginAt(rathaus, browser, first);
  const firstAccount = (await bed.h.hub.store.db('accounts').where({ username_key: first }).first()) as { id: string };
  const oldSessions = (await bed.h.hub.store.db('oidc_models').where({ model: 'Session', account_id: firstAccount.id })) as {
    id: string;
  }[];
  t.is(oldSessions.length, 1);
  bed.clock.advance(61 * MINUTE); // no logout: the hub session lapses, nobody is told (DECISIONS 5)
  const b = await loginAt(rathaus, browser, second);
  t.not(b.claims.sub, a.claims.sub);
  t.deepEqual(
    await bed.h.hub.store.db('oidc_models').whereIn(
      'id',
      oldSessions.map((s) => s.id),
    ),
    [],
    'the provider session of the lapsed hub session is destroyed',
  );
  const error = await t.throwsAsync(oidc.refreshTokenGrant(a.config, a.tokens.refresh_token!));
  t.is((error as { error?: string }).error, 'invalid_grant');
});

test.serial('RP-initiated logout names a portal that could not be told and still offers the way back', async (t) => {
  const citizen = await newCitizen(bed);
  const browser = new Browser(bed.h.url);
  const rathaus = bed.portals.rathaus!;
  const finanzamt = bed.portals.finanzamt!;
  const a = await loginAt(rathaus, browser, citizen);
  await loginAt(finanzamt, browser);
  finanzamt.server.logoutStatus = 503;
  try {
    await browser.get(
      oidc.buildEndSessionUrl(a.config, {
        id_token_hint: a.tokens.id_token!,
        post_logout_redirect_uri: rathaus.postLogoutRedirectUri,
        state: 's1',
      }).href,
    );
    const page = await browser.submit({ logout: 'yes' }, `${bed.h.url}/oidc/session/end/confirm`);
    t.regex(page.text, /nicht über die Abmeldung benachrichtigt/);
    t.regex(page.text, /Portal finanzamt/);
    const back = page.root.querySelector('main a.button')?.getAttribute('href');
    t.is(back, `${rathaus.postLogoutRedirectUri}?state=s1`);
    t.is(browser.sessionLevel(), 'nicht angemeldet');
  } finally {
    finanzamt.server.logoutStatus = 200;
  }
});

test.serial('prompt=none gets consent_required where the citizen has not consented in this session, or revoked it', async (t) => {
  const citizen = await newCitizen(bed);
  const browser = new Browser(bed.h.url);
  const rathaus = bed.portals.rathaus!;
  const buergeramt = bed.portals.buergeramt!;
  await loginAt(rathaus, browser, citizen, { scope: 'openid profile' });
  const config = await rp(bed, buergeramt);
  let r = await authorize(browser, config, buergeramt, { prompt: 'none', scope: 'openid profile' });
  t.is(r.callback.searchParams.get('error'), 'consent_required', 'no grant for this portal in the session');

  const rathausConfig = await rp(bed, rathaus);
  r = await authorize(browser, rathausConfig, rathaus, { prompt: 'none', scope: 'openid profile' });
  t.truthy(r.callback.searchParams.get('code'), 'a silent answer while the consent stands');
  await browser.get('/konto');
  await browser.submit({ portal: 'rathaus' }, '/konto/einwilligungen/widerrufen');
  r = await authorize(browser, rathausConfig, rathaus, { prompt: 'none', scope: 'openid profile' });
  t.is(r.callback.searchParams.get('error'), 'consent_required', 'not after the consent was revoked');
});

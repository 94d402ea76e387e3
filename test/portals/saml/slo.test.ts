import test from 'ava';
import type { Profile } from '@node-saml/node-saml';
import { Client, type Page } from '../../helpers/client.ts';
import { login, registerAndConfirm } from '../../helpers/citizen.ts';
import { FakePortal, redirectXml, spKeyPair, spMetadata, startSamlHub, type KeyPair, type SamlHub } from './helpers.ts';

/**
 * Single logout both ways: a portal ends the session (SP-initiated, HTTP-Redirect), or the
 * citizen logs out at the hub and every portal with an SLO endpoint is told (HTTP-Redirect or
 * HTTP-POST), and the page names those that could not be reached.
 */

let hub: SamlHub;
let keys: KeyPair;
let stadt: FakePortal; // SLO by HTTP-Redirect
let amt: FakePortal; // SLO by HTTP-POST (as node-saml writes its metadata)
let ohne: FakePortal; // no SLO endpoint

test.before(async () => {
  keys = await spKeyPair();
  [stadt, amt, ohne] = await Promise.all([FakePortal.start(), FakePortal.start(), FakePortal.start()]);
  const entry = (id: string, p: FakePortal, slo?: 'redirect' | 'post') => ({
    id,
    attributes: ['givenName'],
    metadata: spMetadata({
      entityId: p.entityId,
      acs: [{ url: p.acsUrl, index: 0 }],
      signingCert: keys.certBase64,
      ...(slo ? { slo: { url: p.sloUrl, binding: slo } } : {}),
    }),
  });
  hub = await startSamlHub([entry('stadt', stadt, 'redirect'), entry('amt', amt, 'post'), entry('ohne', ohne)]);
  for (const p of [stadt, amt, ohne]) p.configure(hub.h.url, hub.certPem, keys);
  await registerAndConfirm(new Client(hub.h.url), hub.h.outbox);
});

test.after.always(async () => {
  await hub?.close();
  await Promise.all([stadt?.close(), amt?.close(), ohne?.close()]);
});

/** Logs in at the hub and then at each portal in turn; returns the browser and what each portal got. */
async function loggedInAt(...portals: FakePortal[]): Promise<{ c: Client; profiles: Profile[] }> {
  const c = new Client(hub.h.url);
  await login(c, 'erika');
  const profiles: Profile[] = [];
  for (const p of portals) {
    let page = await c.get(await p.sp.getAuthorizeUrlAsync('', undefined, {}));
    if (page.url.includes('/einwilligung')) page = await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
    await c.submit({}, p.acsUrl);
    const r = p.last('response')!;
    if (!r.profile) throw new Error(`no login at ${p.url}: ${r.error?.message}`);
    profiles.push(r.profile);
  }
  return { c, profiles };
}

/** The target of a page's `<meta http-equiv="refresh">`, if it has one. */
function refreshTarget(page: Page): string | undefined {
  const content = page.root.querySelector('meta[http-equiv="refresh"]')?.getAttribute('content');
  return content === undefined ? undefined : /^\s*0\s*;\s*url=(.*)$/i.exec(content)?.[1];
}

/**
 * Follows the pages the hub shows on the way as a browser does: auto-post forms (HTTP-POST
 * logout messages) and refresh pages (redirects that must not follow a form directly).
 */
async function followForms(c: Client, page: Page): Promise<Page> {
  for (let i = 0; i < 8; i++) {
    const form = page.root.querySelector('form[data-auto-submit]');
    const refresh = refreshTarget(page);
    if (form) page = await c.submit({}, form.getAttribute('action')!);
    else if (refresh !== undefined) page = await c.get(refresh);
    else break;
  }
  return page;
}

/** The XML of the LogoutResponse a portal received by HTTP-Redirect. */
function logoutResponseXml(samlResponse: string): string {
  return redirectXml(`http://portal.invalid/?SAMLResponse=${encodeURIComponent(samlResponse)}`, 'SAMLResponse');
}

function statusOf(xml: string): string[] {
  return [...xml.matchAll(/StatusCode Value="urn:oasis:names:tc:SAML:2\.0:status:(\w+)"/g)].map((m) => m[1]!);
}

test.serial('a portal ends the session by a signed LogoutRequest; the hub logs out and answers Success to the portal', async (t) => {
  const { c, profiles } = await loggedInAt(stadt);
  const page = await c.get(await stadt.sp.getLogoutUrlAsync(profiles[0]!, 'nach-abmeldung', {}));
  t.is(page.text, 'SLO: logged out', page.text);
  const answer = stadt.last('logout-response')!;
  t.falsy(answer.error, answer.error?.message);
  t.is(answer.relayState, 'nach-abmeldung');
  t.deepEqual(statusOf(logoutResponseXml(answer.raw!)), ['Success']);
  await c.get('/');
  t.is(c.sessionLevel(), 'nicht angemeldet');
});

test.serial(
  'logout started by one portal reaches the others (HTTP-POST too) and reports PartialLogout when one has no SLO endpoint',
  async (t) => {
    const { c, profiles } = await loggedInAt(stadt, amt, ohne);
    let page = await c.get(await stadt.sp.getLogoutUrlAsync(profiles[0]!, '', {}));
    t.regex(page.text, /auch bei „Portal amt“ abgemeldet/, 'the hub posts the LogoutRequest to the portal with an HTTP-POST endpoint');
    page = await c.submit({}, amt.sloUrl);
    // amt's answer came back in a navigation its form started: the hub leaves for stadt by a page.
    t.is(new URL(page.url).pathname, '/saml/slo');
    t.true(refreshTarget(page)?.startsWith(`${stadt.sloUrl}?SAMLResponse=`), page.html.slice(0, 600));
    page = await followForms(c, page);
    t.is(page.text, 'SLO: logged out');
    const told = amt.last('logout-request')!;
    t.falsy(told.error, told.error?.message);
    t.is(told.profile!.nameID, profiles[1]!.nameID);
    const answer = stadt.last('logout-response')!;
    t.falsy(answer.error, answer.error?.message);
    t.deepEqual(statusOf(logoutResponseXml(answer.raw!)), ['Success', 'PartialLogout']);
    await c.get('/');
    t.is(c.sessionLevel(), 'nicht angemeldet');
  },
);

test.serial('logging out at the hub tells each portal by signed LogoutRequest and lists the one that could not be told', async (t) => {
  const { c, profiles } = await loggedInAt(stadt, ohne);
  await c.get('/konto');
  let page = await c.submit({}, '/abmelden');
  // Not a redirect straight off the form (Chromium would block it under form-action 'self'): a page of the hub's own.
  t.is(new URL(page.url).pathname, '/saml/slo/weiter');
  t.regex(page.text, /auch bei „Portal stadt“ abgemeldet/);
  const target = refreshTarget(page)!;
  t.true(target.startsWith(`${stadt.sloUrl}?SAMLRequest=`), target);
  t.is(page.root.querySelector('main a.button')?.getAttribute('href'), target);
  page = await followForms(c, page);
  t.regex(page.text, /abgemeldet/i);
  const told = stadt.last('logout-request')!;
  t.falsy(told.error, told.error?.message);
  t.is(told.profile!.nameID, profiles[0]!.nameID);
  t.is(told.profile!.sessionIndex, profiles[0]!.sessionIndex);
  t.regex(page.text, /Portal ohne/, 'the portal without SLO endpoint is named');
  t.notRegex(page.text, /Portal stadt/);
  t.is(c.sessionLevel(), 'nicht angemeldet');
});

test.serial('a LogoutRequest for another principal ends nothing and is answered Requester/UnknownPrincipal', async (t) => {
  const { c, profiles } = await loggedInAt(stadt);
  const stranger = { ...profiles[0]!, nameID: 'someone-else' };
  await c.get(await stadt.sp.getLogoutUrlAsync(stranger, '', {}));
  const answer = stadt.last('logout-response')!;
  t.regex(answer.error?.message ?? '', /Bad status code/);
  t.deepEqual(statusOf(logoutResponseXml(answer.raw!)), ['Requester', 'UnknownPrincipal']);
  await c.get('/');
  t.is(c.sessionLevel(), 'niedrig', 'still logged in');
});

test.serial('an unsigned LogoutRequest is refused with an error page and the session stays', async (t) => {
  const { c, profiles } = await loggedInAt(stadt);
  stadt.configure(hub.h.url, hub.certPem, undefined);
  try {
    const page = await c.get(await stadt.sp.getLogoutUrlAsync(profiles[0]!, '', {}));
    t.is(page.status, 403);
    t.regex(page.text, /nicht vertrauenswürdig/);
  } finally {
    stadt.configure(hub.h.url, hub.certPem, keys);
  }
  await c.get('/');
  t.is(c.sessionLevel(), 'niedrig');
});

test.serial('a LogoutRequest arriving after the session already ended is answered Success', async (t) => {
  const { c, profiles } = await loggedInAt(stadt);
  const fresh = new Client(hub.h.url);
  const page = await fresh.get(await stadt.sp.getLogoutUrlAsync(profiles[0]!, '', {}));
  t.is(page.text, 'SLO: logged out');
  t.falsy(stadt.last('logout-response')!.error);
  await c.get('/');
  t.is(c.sessionLevel(), 'niedrig', 'another browser’s session is not touched');
});

test.serial('a portal whose only SLO endpoint is HTTP-POST gets the hub’s LogoutResponse by a form, signed in the XML', async (t) => {
  const { c, profiles } = await loggedInAt(amt);
  const logoutUrl = await amt.sp.getLogoutUrlAsync(profiles[0]!, 'rs-amt', {});
  const requestId = /ID="([^"]+)"/.exec(redirectXml(logoutUrl, 'SAMLRequest'))![1]!;
  let page = await c.get(logoutUrl);
  const form = page.root.querySelector(`form[action="${amt.sloUrl}"]`);
  t.truthy(form, page.text);
  t.truthy(form!.querySelector('input[name=SAMLResponse]'));
  t.is(form!.querySelector('input[name=RelayState]')?.getAttribute('value'), 'rs-amt');
  page = await c.submit({}, amt.sloUrl);
  t.is(page.text, 'SLO: logged out');
  const answer = amt.last('logout-response')!;
  t.falsy(answer.error, answer.error?.message);
  t.is(answer.relayState, 'rs-amt');
  t.regex(Buffer.from(answer.raw!, 'base64').toString('utf8'), new RegExp(`InResponseTo="${requestId}"`));
  await c.get('/');
  t.is(c.sessionLevel(), 'nicht angemeldet');
});

test.serial('a LogoutResponse that answers no LogoutRequest of this session is refused', async (t) => {
  const { c } = await loggedInAt(stadt);
  await c.get('/konto');
  await followForms(c, await c.submit({}, '/abmelden'));
  const replayed = stadt.received.filter((r) => r.kind === 'logout-request').length;
  t.true(replayed > 0);
  // The portal's answer arrives a second time (a reload, or an attacker's link).
  stadt.configure(hub.h.url, hub.certPem, keys);
  const profile = stadt.last('logout-request')!.profile!;
  const url = await stadt.sp.getLogoutResponseUrlAsync(profile, '', {}, true);
  const page = await new Client(hub.h.url).get(url);
  t.is(page.status, 400);
  t.regex(page.text, /Anmeldeanfrage ungültig/);
});

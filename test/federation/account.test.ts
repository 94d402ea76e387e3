import test from 'ava';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, type Page } from '../helpers/client.ts';
import { choose, federationRows, postToHub, startFedBed, toDiscovery, type FedBed } from './fixture.ts';
import { OID } from './partner.ts';

/**
 * What a federated login leaves, and what it does not: the federated account cannot be edited
 * here, `link_accounts: false` stores nothing and gives a stable pseudonym per portal
 * (DECISIONS 8), `consent: partner` skips the hub's consent page (DECISIONS 7), logging out tells
 * the partner (DECISIONS 5), and a broken trust.yaml is refused while the old one keeps serving.
 */

const BPK2 = 'urn:oid:1.3.6.1.4.1.25484.494450.3';

let bed: FedBed;

test.before(async () => {
  bed = await startFedBed();
});
test.after.always(async () => {
  await bed?.close();
});

/** Portal → hub → partner → hub; returns the page after the ACS (consent, or the portal's answer form). */
async function viaPartner(c: Client, name: 'Hamburg' | 'Bremen', portal = bed.portals.low): Promise<Page> {
  await choose(c, await toDiscovery(c, portal), name);
  return postToHub(c, bed.h.url);
}

async function toPortal(c: Client, page: Page, portal = bed.portals.low): Promise<Record<string, unknown>> {
  if (page.url.includes('/anmelden/einwilligung')) await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
  await c.submit({}, portal.acsUrl);
  const received = portal.last('response')!;
  if (received.error) throw received.error;
  return received.profile as unknown as Record<string, unknown>;
}

test.serial('a federated account shows where its data come from and cannot be edited here', async (t) => {
  bed.hamburg.answer = () => ({ nameId: 'hh-konto-1' });
  const c = new Client(bed.h.url);
  await toPortal(c, await viaPartner(c, 'Hamburg'));
  const account = await c.get('/konto');
  t.true(account.url.endsWith('/konto'), account.text.slice(0, 300));
  t.regex(account.text, /Verbunden mit Ihrem Nutzerkonto Hamburg/);
  for (const target of ['/konto/daten', '/konto/passwort']) {
    const page = await c.get(target);
    t.true(page.url.endsWith('/konto/verbunden'), `${target} → ${page.url}`);
    t.regex(page.text, /Ihre Daten verwaltet Hamburg/);
  }
});

test.serial('link_accounts: false stores nothing and gives each portal a stable pseudonym of its own', async (t) => {
  await bed.setTrust(bed.defaultEntries({ bremen: { linkAccounts: false } }));
  try {
    const before = await federationRows(bed.h);
    bed.bremen.answer = () => ({ nameId: 'hb-ohne-konto' });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const c = new Client(bed.h.url);
      const profile = await toPortal(c, await viaPartner(c, 'Bremen'));
      ids.push(String(profile.nameID));
      t.is(profile[OID.givenName], 'Hein');
      t.is(profile[BPK2], 'HB:hh-bpk2-4711', 'the prefixed identifier of the other account');
    }
    t.is(ids[0], ids[1], 'the same pseudonym at each login');
    const c = new Client(bed.h.url);
    const other = await toPortal(c, await viaPartner(c, 'Bremen', bed.portals.substantial), bed.portals.substantial);
    t.not(String(other.nameID), ids[0], 'another portal, another pseudonym');
    const after = await federationRows(bed.h);
    t.is(after.accounts, before.accounts, 'no account');
    t.is(after.federated, before.federated);
    t.is(after.attributes, before.attributes);
  } finally {
    await bed.setTrust();
  }
});

test.serial('consent: partner skips the hub’s consent page when the partner’s Response says it asked', async (t) => {
  await bed.setTrust(bed.defaultEntries({ hamburg: { extra: { consent: 'partner' } } }));
  try {
    bed.hamburg.answer = () => ({ nameId: 'hh-consent-1', consent: 'urn:oasis:names:tc:SAML:2.0:consent:current-explicit' });
    let c = new Client(bed.h.url);
    let page = await viaPartner(c, 'Hamburg');
    t.false(page.url.includes('/anmelden/einwilligung'), 'no consent page');
    t.truthy(page.root.querySelector(`form[action="${bed.portals.low.acsUrl}"]`), page.text.slice(0, 300));
    await toPortal(c, page);
    t.is(bed.portals.low.last('response')!.error, undefined);

    // Without the partner's word, the hub asks.
    bed.hamburg.answer = () => ({ nameId: 'hh-consent-2' });
    c = new Client(bed.h.url);
    page = await viaPartner(c, 'Hamburg');
    t.true(page.url.includes('/anmelden/einwilligung'));
  } finally {
    await bed.setTrust();
  }
});

test.serial('logging out at the hub sends the partner a signed LogoutRequest for the login it gave', async (t) => {
  bed.hamburg.answer = () => ({ nameId: 'hh-logout-1' });
  const c = new Client(bed.h.url);
  await toPortal(c, await viaPartner(c, 'Hamburg'));
  const before = bed.hamburg.logoutRequests.length;
  let page = await c.get('/konto');
  page = await c.submit({}, '/abmelden');
  for (let i = 0; i < 6 && bed.hamburg.logoutRequests.length === before; i++) {
    const next =
      page.root.querySelector('a#weiter')?.getAttribute('href') ??
      page.root
        .querySelector('meta[http-equiv="refresh"]')
        ?.getAttribute('content')
        ?.replace(/^.*url=/i, '');
    if (next) page = await c.get(new URL(next, page.url).toString());
    else if (page.root.querySelector('form')) page = await c.submit({});
    else break;
  }
  const sent = bed.hamburg.logoutRequests.slice(before);
  t.is(sent.length, 1, page.text.slice(0, 300));
  t.true(sent[0]!.signatureValid);
  t.is(sent[0]!.nameId, 'hh-logout-1');
  const after = await c.get('/konto');
  t.false(after.url.endsWith('/konto'), 'logged out');
});

test.serial('a partner that asks for HTTP-POST gets a signed AuthnRequest by HTTP-POST', async (t) => {
  await bed.setTrust(bed.defaultEntries({ hamburg: { extra: { binding: 'post' } } }));
  try {
    bed.hamburg.answer = () => ({});
    const c = new Client(bed.h.url);
    await toDiscovery(c, bed.portals.low).then((page) => choose(c, page, 'Hamburg'));
    // The hub's auto-post page to the partner; the client submits it as the browser's script would.
    t.truthy(c.page!.root.querySelector(`form[action="${bed.hamburg.ssoUrl}"]`), c.page!.text.slice(0, 300));
    await c.submit({}, bed.hamburg.ssoUrl);
    const request = bed.hamburg.requests.at(-1)!;
    t.is(request.binding, 'post');
    t.true(request.signatureValid, 'an enveloped signature by the hub');
    const page = await postToHub(c, bed.h.url);
    t.true(page.url.includes('/anmelden/einwilligung'), page.text.slice(0, 300));
  } finally {
    await bed.setTrust();
  }
});

test.serial('a LogoutRequest from the partner for the login it gave ends the session here', async (t) => {
  bed.hamburg.answer = () => ({ nameId: 'hh-logout-2', sessionIndex: '_hh-session-2' });
  const c = new Client(bed.h.url);
  await toPortal(c, await viaPartner(c, 'Hamburg'));
  t.true((await c.get('/konto')).url.endsWith('/konto'));
  const page = await c.get(bed.hamburg.logoutRequestUrl(`${bed.h.url}/saml/sp/slo`, 'hh-logout-2', '_hh-session-2'));
  t.true(page.status < 400, page.text.slice(0, 300));
  t.false((await c.get('/konto')).url.endsWith('/konto'), 'logged out');
});

test.serial('a broken trust.yaml is refused on reload and the previous configuration keeps serving', async (t) => {
  const file = path.join(bed.dir, 'trust.yaml');
  writeFileSync(file, 'partners:\n  - id: Hamburg\n    name: { de: H }\n');
  const r = await bed.h.hub.reloadTrust();
  t.false(r.ok);
  if (!r.ok) t.true(r.problems.some((p) => /partners\.0\.id/.test(p)));
  const c = new Client(bed.h.url);
  bed.hamburg.answer = () => ({});
  const page = await viaPartner(c, 'Hamburg');
  t.true(page.url.includes('/anmelden/einwilligung'), 'Hamburg still serves');
  await bed.setTrust();
});

import test from 'ava';
import * as oidc from 'openid-client';
import { Client } from '../helpers/client.ts';
import { choose, federationRows, OIDC_SECRET, postToHub, startFedBed, toDiscovery, type FedBed } from './fixture.ts';
import { OID } from './partner.ts';

/**
 * "Anmelden mit anderem deutschen Nutzerkonto", the way it should go: a portal sends the citizen
 * to the hub, the citizen picks a partner state, logs in there, and comes back through the hub's
 * ACS and consent page to the portal, which receives the partner's data in the hub's vocabulary.
 */

const STORK_QAA = 'urn:oid:1.2.40.0.10.2.1.1.261.94';
const PROVED_BY = 'urn:oid:1.3.6.1.4.1.25484.494450.2';
const BPK2 = 'urn:oid:1.3.6.1.4.1.25484.494450.3';

let bed: FedBed;

test.before(async () => {
  bed = await startFedBed();
});
test.after.always(async () => {
  await bed?.close();
});

test.serial(
  'a citizen of another state logs in to a SAML portal through the partner: mapped data, capped level, FINK, and a federated account',
  async (t) => {
    const before = await federationRows(bed.h);
    const portal = bed.portals.low;
    const c = new Client(bed.h.url);
    let page = await toDiscovery(c, portal);
    t.true(page.url.includes('/anmelden/anderes-konto'), page.url);
    t.regex(page.text, /Hamburg/);
    t.regex(page.text, /Bremen/);
    // The partner claims "hoch" (STORK-4) with data it says are verified; the cap is substantial.
    bed.hamburg.answer = () => ({
      classRef: 'STORK-QAA-Level-4',
      attributes: [
        { name: OID.givenName, values: ['Hein'], trustLevel: 'HOCH' },
        { name: OID.surname, values: ['Blöd'], trustLevel: 'HOCH' },
        { name: OID.birthdate, values: ['1970-03-04'], trustLevel: 'HOCH' },
        { name: OID.mail, values: ['hein@example.org'], trustLevel: 'UNTERGEORDNET' },
        { name: OID.bpk2, values: ['hh-bpk2-4711'] },
        { name: OID.postkorb, values: ['6a1f0c1e-1111-4222-8333-944455556666'] },
        { name: OID.personIdentifier, values: ['DE/DE/123456'] },
        { name: OID.provedBy, values: ['eID'] },
        { name: 'urn:oid:9.9.9.9', values: ['unmapped'] },
      ],
    });
    page = await choose(c, page, 'Hamburg');
    const request = bed.hamburg.requests.at(-1)!;
    t.true(request.signatureValid, 'the AuthnRequest is signed by the hub');
    t.is(request.acs, `${bed.h.url}/saml/acs`);
    t.is(request.comparison, 'minimum');
    t.deepEqual(request.classRefs, ['STORK-QAA-Level-3'], 'the lowest level of the map that reaches what the portal needs (low)');
    t.is(request.akdbDisplayName, 'Portal stadt', 'the end portal is named to the partner');
    t.is(c.cookie('skh_konto_wahl'), 'hamburg', 'the choice is remembered');

    page = await postToHub(c, bed.h.url);
    t.true(page.url.includes('/anmelden/einwilligung'), `${page.url}: ${page.text.slice(0, 300)}`);
    t.regex(page.text, /Hein/);
    t.regex(page.text, /HH:hh-bpk2-4711/);
    t.notRegex(page.text, /6a1f0c1e|DE\/DE\/123456/);
    t.is(c.sessionLevel(), 'substanziell', 'the session has the capped level');

    page = await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
    await c.submit({}, portal.acsUrl);
    const received = portal.last('response')!;
    t.falsy(received.error, received.error?.message);
    const profile = received.profile!;
    t.is(received.relayState, 'seite-7');
    t.is(profile[OID.givenName], 'Hein');
    t.is(profile[OID.surname], 'Blöd');
    t.is(profile[OID.birthdate], '1970-03-04');
    t.is(profile[OID.mail], 'hein@example.org');
    t.is(profile[STORK_QAA], 'STORK-QAA-Level-3', 'capped: hoch claimed, substantial believed');
    t.is(profile[PROVED_BY], 'FINK');
    t.is(profile[OID.postkorb], undefined, "the partner's postbox reference is not passed on");
    t.is(profile[OID.personIdentifier], undefined);
    t.is(profile['urn:oid:9.9.9.9'], undefined);
    t.not(profile[BPK2], 'hh-bpk2-4711', "the partner's bPK2 is never passed on without its prefix");
    t.is(profile[BPK2], 'HH:hh-bpk2-4711', 'the identifier of the other account reaches the portal with its prefix (FINK)');
    const xml = profile.getAssertionXml!();
    t.regex(xml, /AuthnContextClassRef>(http:\/\/eidas\.europa\.eu\/LoA\/substantial|STORK-QAA-Level-3)</);

    const after = await federationRows(bed.h);
    t.is(after.accounts, before.accounts + 1, 'a federated account was created');
    t.is(after.federated, before.federated + 1);
    const row = await bed.h.hub.store.db('federated_accounts').where({ partner_id: 'hamburg' }).first();
    t.truthy(row);
    t.false(JSON.stringify(row).includes('hh-4711'), 'the NameID is stored as a keyed hash');
  },
);

test.serial('at the next login the federated account is found again and refreshed with what the partner sends now', async (t) => {
  const before = await federationRows(bed.h);
  const portal = bed.portals.low;
  const c = new Client(bed.h.url);
  bed.hamburg.answer = () => ({
    classRef: 'STORK-QAA-Level-3',
    attributes: [
      { name: OID.givenName, values: ['Hein'] },
      { name: OID.surname, values: ['Mück'] },
      { name: OID.bpk2, values: ['hh-bpk2-4711'] },
    ],
  });
  const page = await choose(c, await toDiscovery(c, portal), 'Hamburg');
  const consent = await postToHub(c, bed.h.url);
  t.true(consent.url.includes('/anmelden/einwilligung'), consent.text.slice(0, 300));
  await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
  await c.submit({}, portal.acsUrl);
  t.truthy(page);
  const profile = portal.last('response')!.profile!;
  t.is(profile[OID.surname], 'Mück');
  t.is(profile[OID.birthdate], undefined, 'a value the partner no longer sends is gone');
  const after = await federationRows(bed.h);
  t.is(after.accounts, before.accounts, 'no second account');
  t.is(after.federated, before.federated);
  const account = await bed.h.hub.store
    .db('federated_accounts')
    .join('account_attributes', 'account_attributes.account_id', 'federated_accounts.account_id')
    .where({ partner_id: 'hamburg' })
    .select('account_attributes.name');
  t.false(
    account.some((r: { name: string }) => r.name === 'dateOfBirth'),
    'the stored data follow the partner',
  );
});

test.serial('the last choice is offered first on the next visit', async (t) => {
  const c = new Client(bed.h.url);
  const page = await toDiscovery(c, bed.portals.low);
  await choose(c, page, 'Bremen');
  const again = await c.get(page.url);
  const last = again.root.querySelector('ul[aria-labelledby="last-title"]');
  t.truthy(last, again.text.slice(0, 400));
  t.regex(last!.textContent, /Bremen/);
});

test.serial(
  'a citizen of another state logs in to an OIDC portal: the ID token and userinfo carry the mapped data and the capped level',
  async (t) => {
    const config = await oidc.discovery(new URL(bed.h.url), bed.oidc.clientId, {}, oidc.ClientSecretBasic(OIDC_SECRET), {
      execute: [oidc.allowInsecureRequests],
    });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: bed.oidc.redirectUri,
      scope: 'openid profile email servicekonto',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    bed.hamburg.answer = () => ({ classRef: 'STORK-QAA-Level-4' });
    const c = new Client(bed.h.url);
    let page = await c.get(url.href);
    const link = page.root.querySelectorAll('a').find((a) => a.textContent.includes('Land auswählen'));
    t.truthy(link, page.text.slice(0, 400));
    page = await choose(c, await c.get(link!.getAttribute('href')!), 'Hamburg');
    page = await postToHub(c, bed.h.url);
    t.true(page.url.includes('/anmelden/einwilligung'), page.text.slice(0, 300));
    page = await c.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
    for (let i = 0; i < 5 && !page.url.startsWith(bed.oidc.server.url); i++) {
      const next = page.root.querySelector('a#weiter')?.getAttribute('href');
      if (!next) break;
      page = await c.get(next);
    }
    t.true(page.url.startsWith(bed.oidc.redirectUri), `${page.url}: ${page.text.slice(0, 300)}`);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims()!;
    t.is(claims.acr, 'http://eidas.europa.eu/LoA/substantial', 'capped');
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    t.is(info.given_name, 'Hein');
    t.is(info.family_name, 'Blöd');
    t.is(info.email, 'hein@example.org');
    t.is(info.foreign_id, 'HH:hh-bpk2-4711', 'the identifier of the other account, with its prefix');
  },
);

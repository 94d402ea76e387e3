import test from 'ava';
import { readCertificates } from '../../src/config/trust.ts';
import { MetadataRefusal, verifyPartnerMetadata, type MetadataPolicy } from '../../src/federation/metadata/partner-metadata.ts';
import { Client } from '../helpers/client.ts';
import { choose, federationRows, partnerEntry, postToHub, startFedBed, toDiscovery, type FedBed } from './fixture.ts';
import { newId, signWithXmlCrypto } from './partner.ts';

/**
 * Partner metadata: the document checks (pinned signature over the root, validUntil, wrapping,
 * aggregates) on their own, then the hub's refresh against the test partner's metadata server
 * (conditional requests, the last good copy when a refresh fails, status).
 */

let bed: FedBed;

test.before(async () => {
  bed = await startFedBed();
});
test.after.always(async () => {
  await bed?.close();
});

const DAY = 24 * 3600 * 1000;

function policy(o: Partial<MetadataPolicy> = {}): MetadataPolicy {
  const pins = readCertificates(bed.hamburg.keys.metadata.certFile, 'hamburg-metadata.crt', Date.now());
  return {
    entityId: bed.hamburg.entityId,
    certificates: pins.certs,
    requireValidUntil: true,
    maxValidityDays: 30,
    production: false,
    maxBytes: 1024 * 1024,
    ...o,
  };
}

function refusal(xml: string, p: MetadataPolicy = policy()): string {
  try {
    verifyPartnerMetadata(xml, p, Date.now());
  } catch (err) {
    if (err instanceof MetadataRefusal) return err.message;
    throw err;
  }
  return 'accepted';
}

test('metadata signed by the pinned key is accepted and read: SSO endpoints, signing key, validUntil', (t) => {
  const xml = bed.hamburg.buildMetadata({});
  const m = verifyPartnerMetadata(xml, policy(), Date.now());
  t.is(m.entityId, bed.hamburg.entityId);
  t.is(m.singleSignOn.redirect, bed.hamburg.ssoUrl);
  t.is(m.singleSignOn.post, bed.hamburg.ssoUrl);
  t.is(m.signingKeys.length, 1);
  t.true(m.validUntil! > Date.now());
});

test('metadata signed by a key that is not pinned is refused', (t) => {
  const xml = bed.hamburg.buildMetadata({ signerKeyPem: bed.bremen.keys.metadata.keyPem });
  t.regex(refusal(xml), /signature refused/);
});

test('unsigned metadata is refused', (t) => {
  t.regex(refusal(bed.hamburg.buildMetadata({ signerKeyPem: null })), /not signed/);
});

test('metadata past its validUntil is refused; so is one without validUntil unless the partner’s policy allows it', (t) => {
  t.regex(refusal(bed.hamburg.buildMetadata({ validUntil: Date.now() - 60_000 })), /expired/);
  const none = bed.hamburg.buildMetadata({ validUntil: null });
  t.regex(refusal(none), /no validUntil/);
  t.is(refusal(none, policy({ requireValidUntil: false })), 'accepted', 'BundID-style metadata: signed, no validUntil');
  t.regex(refusal(bed.hamburg.buildMetadata({ validUntil: Date.now() + 90 * DAY })), /more than 30 days ahead/);
});

test('metadata wrapping: the signed original moved into md:Extensions under a forged root is refused', (t) => {
  const original = bed.hamburg.buildMetadata({});
  const forged = original
    .replace(bed.hamburg.ssoUrl, 'https://evil.example/sso')
    .replace(bed.hamburg.ssoUrl, 'https://evil.example/sso')
    .replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '');
  const wrapped = forged.replace(
    /(<md:EntityDescriptor[^>]*>)/,
    `$1<md:Extensions>${original.replace(/^<md:EntityDescriptor/, '<md:EntityDescriptor')}</md:Extensions>`,
  );
  t.regex(refusal(wrapped), /signature refused|not signed/);
});

test('metadata wrapping: the signed original inside a ds:Object of the signature is refused', (t) => {
  const original = bed.hamburg.buildMetadata({});
  const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(original)![0];
  const forged = original
    .replace(signature, signature.replace('</ds:Signature>', `<ds:Object>${original}</ds:Object></ds:Signature>`))
    .replace(/ID="[^"]+"/, `ID="${newId()}"`);
  t.regex(refusal(forged), /signature refused/);
});

test('metadata whose signature covers only an inner element, not the root, is refused', (t) => {
  const id = newId();
  const inner = bed.hamburg.buildMetadata({ signerKeyPem: null }).replace('<md:IDPSSODescriptor ', `<md:IDPSSODescriptor ID="${id}" `);
  const signed = signWithXmlCrypto(inner, id, bed.hamburg.keys.metadata.keyPem, 'rsa-sha256', 'first');
  t.regex(refusal(signed), /signature refused|not signed/);
});

test('metadata with a DOCTYPE is refused', (t) => {
  const xml = `<!DOCTYPE md:EntityDescriptor [<!ENTITY x "y">]>${bed.hamburg.buildMetadata({})}`;
  t.regex(refusal(xml), /unreadable|DOCTYPE/i);
});

test('an aggregate (EntitiesDescriptor): the entity is picked by entityID; an entityID it lacks is refused', (t) => {
  const xml = bed.hamburg.buildMetadata({ aggregate: true });
  t.regex(xml, /^<md:EntitiesDescriptor/);
  const m = verifyPartnerMetadata(xml, policy(), Date.now());
  t.is(m.entityId, bed.hamburg.entityId);
  t.is(m.singleSignOn.redirect, bed.hamburg.ssoUrl);
  t.regex(refusal(xml, policy({ entityId: 'https://nowhere.example/saml/metadata' })), /no EntityDescriptor with entityID/);
});

test.serial('the hub fetches with conditional requests (ETag): an unchanged document costs a 304', async (t) => {
  const fetches = bed.hamburg.metadataFetches.length;
  await bed.h.hub.federation.refreshNow();
  const last = bed.hamburg.metadataFetches.slice(fetches);
  t.is(last.length, 1);
  t.truthy(last[0]!.ifNoneMatch, 'If-None-Match is sent');
  t.is(last[0]!.status, 304);
  const status = (await bed.h.hub.federation.status()).find((s) => s.id === 'hamburg')!;
  t.true(status.usable);
  t.is(status.lastError, null);
});

test.serial('a partner that sends only Last-Modified gets If-Modified-Since, and a changed document is taken', async (t) => {
  bed.hamburg.metadataValidator = 'last-modified';
  try {
    bed.hamburg.setMetadata({});
    await bed.h.hub.federation.refreshNow(); // the new document, with its Last-Modified
    const fetches = bed.hamburg.metadataFetches.length;
    await bed.h.hub.federation.refreshNow();
    const unchanged = bed.hamburg.metadataFetches.slice(fetches);
    t.is(unchanged.length, 1);
    t.truthy(unchanged[0]!.ifModifiedSince, 'If-Modified-Since is sent');
    t.is(unchanged[0]!.status, 304);
    bed.hamburg.setMetadata({ cacheDuration: 'PT7M' });
    await bed.h.hub.federation.refreshNow();
    const changed = bed.hamburg.metadataFetches.slice(fetches + 1);
    t.is(changed[0]?.status, 200, 'a newer document is fetched whole');
    const status = (await bed.h.hub.federation.status()).find((s) => s.id === 'hamburg')!;
    t.true(status.usable);
    t.is(status.lastError, null);
    const next = Date.parse(status.nextRefreshAt!) - Date.parse(status.checkedAt!);
    t.true(next <= 7 * 60_000, `the new document's cacheDuration applies (${next} ms)`);
  } finally {
    bed.hamburg.metadataValidator = 'etag';
    bed.hamburg.setMetadata({});
    await bed.h.hub.federation.refreshNow();
  }
});

test.serial('cacheDuration shortens the refresh interval', async (t) => {
  bed.hamburg.setMetadata({ cacheDuration: 'PT5M' });
  await bed.h.hub.federation.refreshNow();
  const status = (await bed.h.hub.federation.status()).find((s) => s.id === 'hamburg')!;
  const next = Date.parse(status.nextRefreshAt!) - Date.parse(status.checkedAt!);
  t.true(next <= 5 * 60_000 && next >= 60_000, `${next} ms`);
  bed.hamburg.setMetadata({});
  await bed.h.hub.federation.refreshNow();
});

test.serial('when a refresh fails the last good copy keeps serving, and the error shows in the status', async (t) => {
  bed.hamburg.metadataUp = false;
  try {
    await bed.h.hub.federation.refreshNow();
    let status = (await bed.h.hub.federation.status()).find((s) => s.id === 'hamburg')!;
    t.true(status.usable, 'the last good copy serves');
    t.regex(status.lastError ?? '', /fetch failed.*HTTP 503/);
    t.truthy(status.lastErrorAt);
    t.truthy(status.validUntil);

    // A login still works with the copy in use.
    const c = new Client(bed.h.url);
    bed.hamburg.answer = () => ({});
    await choose(c, await toDiscovery(c, bed.portals.low), 'Hamburg');
    const page = await postToHub(c, bed.h.url);
    t.true(page.url.includes('/anmelden/einwilligung'), page.text.slice(0, 300));

    // A document signed by a key that is not pinned is refused the same way.
    bed.hamburg.metadataUp = true;
    bed.hamburg.setMetadata({ signerKeyPem: bed.bremen.keys.metadata.keyPem });
    await bed.h.hub.federation.refreshNow();
    status = (await bed.h.hub.federation.status()).find((s) => s.id === 'hamburg')!;
    t.true(status.usable);
    t.regex(status.lastError ?? '', /refused: signature refused/);
  } finally {
    bed.hamburg.metadataUp = true;
    bed.hamburg.setMetadata({});
    await bed.h.hub.federation.refreshNow();
  }
  const status = (await bed.h.hub.federation.status()).find((s) => s.id === 'hamburg')!;
  t.is(status.lastError, null, 'a good refresh clears the error');
});

test.serial('a partner whose metadata is signed by an unpinned key (or expired) never becomes usable, and logs nobody in', async (t) => {
  const before = await federationRows(bed.h);
  bed.hamburg.setMetadata({ signerKeyPem: bed.bremen.keys.metadata.keyPem });
  // A new entry (no copy in the store yet) for the same partner server.
  const entries = bed.defaultEntries();
  await bed.setTrust([partnerEntry('hamburg-neu', 'Hamburg neu', 'HHN', bed.hamburg), entries[1]]);
  try {
    let status = (await bed.h.hub.federation.status()).find((s) => s.id === 'hamburg-neu')!;
    t.false(status.usable);
    t.regex(status.lastError ?? '', /signature refused/);
    const c = new Client(bed.h.url);
    const page = await toDiscovery(c, bed.portals.low);
    const item = page.root.querySelectorAll('#partner-list li').find((li) => li.textContent.includes('Hamburg neu'))!;
    t.is(item.querySelector('a'), null);
    t.regex(item.textContent, /derzeit nicht verfügbar/);
    const auftrag = new URL(page.url).searchParams.get('auftrag')!;
    t.is((await c.get(`/anmelden/anderes-konto/hamburg-neu?auftrag=${encodeURIComponent(auftrag)}`)).status, 503);

    bed.hamburg.setMetadata({ validUntil: Date.now() - 60_000 });
    await bed.h.hub.federation.refreshNow();
    status = (await bed.h.hub.federation.status()).find((s) => s.id === 'hamburg-neu')!;
    t.false(status.usable);
    t.regex(status.lastError ?? '', /expired/);
    t.deepEqual(await federationRows(bed.h), before);
  } finally {
    bed.hamburg.setMetadata({});
    await bed.setTrust();
  }
});

test.serial('an aggregate served by the partner: the hub picks the entity by its entityID and the login works', async (t) => {
  bed.hamburg.setMetadata({ aggregate: true });
  try {
    await bed.h.hub.federation.refreshNow();
    const status = (await bed.h.hub.federation.status()).find((s) => s.id === 'hamburg')!;
    t.is(status.lastError, null);
    t.true(status.usable);
    const c = new Client(bed.h.url);
    bed.hamburg.answer = () => ({});
    await choose(c, await toDiscovery(c, bed.portals.low), 'Hamburg');
    const page = await postToHub(c, bed.h.url);
    t.true(page.url.includes('/anmelden/einwilligung'), page.text.slice(0, 300));
  } finally {
    bed.hamburg.setMetadata({});
    await bed.h.hub.federation.refreshNow();
  }
});

test.serial('the last good copy stops serving at its validUntil', async (t) => {
  await bed.h.hub.federation.refreshNow();
  const before = (await bed.h.hub.federation.status()).find((s) => s.id === 'hamburg')!;
  t.true(before.usable);
  bed.hamburg.metadataUp = false;
  bed.clock.advance(3 * DAY);
  try {
    await bed.h.hub.federation.refreshNow();
    const status = (await bed.h.hub.federation.status()).find((s) => s.id === 'hamburg')!;
    t.false(status.usable);
    t.truthy(status.lastError);
  } finally {
    bed.clock.advance(-3 * DAY);
    bed.hamburg.metadataUp = true;
    await bed.h.hub.federation.refreshNow();
  }
});

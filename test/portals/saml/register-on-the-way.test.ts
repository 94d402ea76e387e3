import test from 'ava';
import { Client } from '../../helpers/client.ts';
import { GOOD_PASSWORD, personalData } from '../../helpers/citizen.ts';
import { FakePortal, spMetadata, startSamlHub, type SamlHub } from './helpers.ts';

/**
 * A citizen without an account arrives from a portal, registers from the login page, confirms
 * the e-mail address in the same browser and logs in: the portal's login continues where it
 * stopped, instead of ending on the account page.
 */

let hub: SamlHub;
let portal: FakePortal;

test.before(async () => {
  portal = await FakePortal.start();
  hub = await startSamlHub([
    {
      id: 'stadt',
      attributes: ['givenName', 'familyName'],
      metadata: spMetadata({ entityId: portal.entityId, acs: [{ url: portal.acsUrl, index: 0, isDefault: true }] }),
    },
  ]);
  portal.configure(hub.h.url, hub.certPem, undefined);
});

test.after.always(async () => {
  await hub?.close();
  await portal?.close();
});

for (const via of ['the Registrieren button below the login form', 'the Registrieren link in the page header'] as const) {
  test.serial(`registering via ${via} on the way to a portal brings the citizen back to that portal`, async (t) => {
    const username = via.includes('header') ? 'headerweg' : 'knopfweg';
    const email = `${username}@example.org`;
    const c = new Client(hub.h.url);
    let page = await c.get(await portal.sp.getAuthorizeUrlAsync('seite-3', undefined, {}));
    t.regex(page.text, /Anmeldung für: Portal stadt/);
    const link = via.includes('header')
      ? page.root.querySelector('header a[href="/registrieren"]')!
      : page.root.querySelectorAll('main a').find((a) => a.getAttribute('href')?.startsWith('/registrieren'))!;
    page = await c.get(link.getAttribute('href')!);
    page = await c.submit(personalData({ email }));
    page = await c.submit({ username, password: GOOD_PASSWORD, passwordRepeat: GOOD_PASSWORD, privacy: 'yes' });
    page = await c.submit({});
    t.true(page.url.endsWith('/registrieren/gesendet'), page.text);
    const mail = await hub.h.outbox.latest(email, 'Registrierung');
    page = await c.get(mail.links.find((l) => l.includes('/registrieren/bestaetigen'))!);
    t.regex(page.text, /aktiviert/);

    // "Zur Anmeldung" leads to the login for the portal, not to a plain login.
    page = await c.get(page.root.querySelector('main a[href="/anmelden"]')!.getAttribute('href')!);
    t.regex(page.url, /\/anmelden\?auftrag=/);
    t.regex(page.text, /Anmeldung für: Portal stadt/);
    page = await c.submit({ username, password: GOOD_PASSWORD }, '/anmelden/passwort');
    t.regex(page.url, /\/anmelden\/einwilligung/, page.text);
    page = await c.submit({ entscheidung: 'ja' });
    page = await c.submit({}, portal.acsUrl);
    const received = portal.last('response');
    t.falsy(received?.error, String(received?.error));
    t.is(received?.relayState, 'seite-3');
    t.is(received?.profile?.['urn:oid:2.5.4.42'], 'Erika');
    // One login, one entry under "Datenübermittlungen".
    const account = await hub.h.hub.store.db('accounts').where({ username_key: username }).first();
    const released = await hub.h.hub.store
      .db('audit_events')
      .where({ event: 'data.released', account_ref: hub.h.hub.accounts.accountRef(account.id) })
      .count({ n: '*' })
      .first();
    t.is(Number(released?.n), 1);
  });
}

import test from 'ava';
import { HOUR } from '../../../src/core/clock.ts';
import { restrictedIdHash } from '../../../src/store/eid.ts';
import { Client } from '../../helpers/client.ts';
import { GOOD_PASSWORD, login } from '../../helpers/citizen.ts';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { chooseCard, eidLogin, eidRegister, eidRegisterAndConfirm } from './helpers.ts';

/**
 * "Registrieren mit der Online-Ausweisfunktion" over HTTP, with the eID-Server simulator on
 * loopback (mutual TLS and WS-Security as in production): the card's data fill the account as
 * verified data, the account is bound to the card's pseudonym, the citizen picks a username, an
 * optional password and confirms the e-mail address within 24 hours.
 */

let h: TestHub;
test.before(async () => {
  h = await startTestHub();
});
test.after.always(async () => {
  await h?.close();
});

async function accountRow(username: string) {
  return h.hub.store.db('accounts').where({ username_key: username.toLowerCase() }).first();
}

test.serial('the registration page offers the ID card, and the eID registration explains what is needed', async (t) => {
  const c = new Client(h.url);
  let page = await c.get('/registrieren');
  t.truthy(page.root.querySelector('a[href="/registrieren/ausweis"]'), 'offered on the first registration page');
  page = await c.get('/registrieren/ausweis');
  t.regex(page.text, /Registrieren mit der Online-Ausweisfunktion/);
  t.regex(page.text, /sechsstellige PIN/);
  t.regex(page.text, /AusweisApp/);
});

test.serial(
  'registering with Erika Mustermann’s card stores verified data bound to the card, pending until the e-mail is confirmed',
  async (t) => {
    const c = new Client(h.url);
    const done = await eidRegister(c, 'erika', { username: 'erika.eid', email: 'erika.eid@example.org' });
    t.true(done.url.endsWith('/registrieren/ausweis/gesendet'), done.text);
    t.regex(done.text, /erika\.eid@example\.org/);

    const account = await accountRow('erika.eid');
    t.is(account.status, 'pending');
    t.is(account.password_hash, null, 'no password chosen: an eID-only account');
    const attributes = await h.hub.store.db('account_attributes').where({ account_id: account.id });
    const byName = Object.fromEntries(attributes.map((a: { name: string }) => [a.name, a]));
    t.like(byName.familyName, { value: 'MUSTERMANN', loa: 'high', source: 'eid' });
    t.like(byName.givenName, { value: 'ERIKA', loa: 'high', source: 'eid' });
    t.like(byName.birthName, { value: 'GABLER', loa: 'high', source: 'eid' });
    t.like(byName.dateOfBirth, { value: '1964-08-12', loa: 'high', source: 'eid' });
    t.like(byName.locality, { value: 'KÖLN', source: 'eid' });
    t.like(byName.country, { value: 'DE', source: 'eid' });
    t.like(byName.nationality, { value: 'D', source: 'eid' });
    t.like(byName.documentType, { value: 'ID', source: 'eid' });
    t.like(byName.email, { value: 'erika.eid@example.org', loa: 'basic', source: 'self' });

    const simulator = h.hub.eid!.simulator!;
    const erika = simulator.cards().find((card) => card.id === 'erika')!;
    const binding = await h.hub.store.db('eid_bindings').where({ account_id: account.id }).first();
    t.is(binding.restricted_id_hash, restrictedIdHash(simulator.restrictedIdOf(erika)), 'bound to the RestrictedID (hashed)');
    t.false(
      JSON.stringify(await h.hub.store.db('eid_bindings').select('*')).includes(simulator.restrictedIdOf(erika)),
      'never stored in clear',
    );

    // Not yet confirmed: the login says so and offers the mail again.
    const early = await eidLogin(new Client(h.url), 'erika');
    t.is(early.status, 403);
    t.regex(early.text, /noch nicht aktiviert/);

    const mail = await h.outbox.latest('erika.eid@example.org', 'Registrierung');
    const confirmed = await c.get(mail.links.find((l) => l.includes('/registrieren/bestaetigen'))!);
    t.regex(confirmed.text, /Ihr Servicekonto ist aktiviert/);
    t.is((await accountRow('erika.eid')).status, 'active');

    const page = await eidLogin(new Client(h.url), 'erika');
    t.true(page.url.endsWith('/konto'), page.text);
    t.regex(page.text, /Angemeldet als erika\.eid/);
    t.regex(page.text, /Online-Ausweis: verknüpft/);
    t.regex(page.text, /Passwort festlegen/, 'an eID-only account is offered to set a password');
  },
);

test.serial('the card data are shown read-only and cannot be changed through Meine Daten ändern', async (t) => {
  const c = new Client(h.url);
  await eidLogin(c, 'erika');
  const form = await c.get('/konto/daten');
  t.true(form.url.endsWith('/konto/daten'), 'a fresh eID login counts as the confirmation');
  t.falsy(form.root.querySelector('#f-familyName'), 'no input for the family name');
  t.regex(form.text, /MUSTERMANN/);
  const account = await accountRow('erika.eid');
  // A forged post with a different family name changes nothing verified.
  await c.submit({ familyName: 'Fälscher', email: 'erika.eid@example.org', deMail: 'erika@anbieter.de-mail.de' });
  const name = await h.hub.store.db('account_attributes').where({ account_id: account.id, name: 'familyName' }).first();
  t.like(name, { value: 'MUSTERMANN', source: 'eid', loa: 'high' });
  const demail = await h.hub.store.db('account_attributes').where({ account_id: account.id, name: 'deMail' }).first();
  t.like(demail, { value: 'erika@anbieter.de-mail.de', source: 'self', loa: 'basic' }, 'own entries can still be added');
});

test.serial('a card that already has an account cannot register again', async (t) => {
  const c = new Client(h.url);
  await c.get('/registrieren/ausweis');
  await c.submit({}, '/registrieren/ausweis');
  const page = await chooseCard(c, 'erika');
  t.is(page.status, 409);
  t.regex(page.text, /bereits ein Servicekonto/);
});

test.serial('an optional password follows the policy; with one the account can also log in with it at level niedrig', async (t) => {
  const c = new Client(h.url);
  await c.get('/registrieren/ausweis');
  await c.submit({}, '/registrieren/ausweis');
  await chooseCard(c, 'doktor');
  let page = await c.submit({ username: 'klaus', email: 'nope', password: 'kurz', passwordRepeat: 'kurz', privacy: '' });
  t.is(page.status, 400);
  t.regex(c.fieldError('email')!, /gültige E-Mail-Adresse/);
  t.regex(c.fieldError('password')!, /mindestens 8 Zeichen/);
  t.regex(c.fieldError('privacy')!, /Datenschutzerklärung/);
  t.regex(page.text, /SCHULZE/, 'the card data stay on the page');
  page = await c.submit({
    username: 'klaus',
    email: 'klaus@example.org',
    password: GOOD_PASSWORD,
    passwordRepeat: GOOD_PASSWORD,
    privacy: 'yes',
  });
  t.true(page.url.endsWith('/registrieren/ausweis/pruefen'));
  t.regex(page.text, /DR\./, 'the doctoral degree from the card');
  t.regex(page.text, /festgelegt \(wird nicht angezeigt\)/);
  await c.submit({}, '/registrieren/ausweis/pruefen');
  const mail = await h.outbox.latest('klaus@example.org', 'Registrierung');
  await c.get(mail.links.find((l) => l.includes('/registrieren/bestaetigen'))!);
  const pw = await login(new Client(h.url), 'klaus');
  t.true(pw.url.endsWith('/konto'));
  t.regex(pw.root.querySelector('#session-level')!.textContent, /niedrig/);
  const birthName = await h.hub.store
    .db('account_attributes')
    .where({ name: 'birthName', account_id: (await accountRow('klaus')).id })
    .first();
  t.falsy(birthName, 'NOTONCHIP: no birth name');
});

test.serial('under-16 and expired cards are refused at registration with a clear message, and nothing is stored', async (t) => {
  const before = await h.hub.store.db('accounts').count({ n: '*' }).first();
  const c = new Client(h.url);
  await c.get('/registrieren/ausweis');
  await c.submit({}, '/registrieren/ausweis');
  let page = await chooseCard(c, 'jugendlich');
  t.is(page.status, 403);
  t.regex(page.text, /mindestens 16 Jahre alt sein/);
  await c.submit({}, '/registrieren/ausweis');
  page = await chooseCard(c, 'abgelaufen');
  t.is(page.status, 403);
  t.regex(page.text, /Ausweis ist nicht gültig: Er ist abgelaufen oder gesperrt/);
  t.is((await c.get('/registrieren/ausweis/zugangsdaten')).status, 400, 'no card data were kept');
  t.deepEqual(await h.hub.store.db('accounts').count({ n: '*' }).first(), before);
});

test.serial('cancelling in the AusweisApp says so and stores nothing', async (t) => {
  const c = new Client(h.url);
  await c.get('/registrieren/ausweis');
  await c.submit({}, '/registrieren/ausweis');
  const page = await chooseCard(c, 'erika', { cancel: true });
  t.regex(page.text, /abgebrochen/);
});

test.serial('an unconfirmed eID registration is purged after 24 hours, binding included', async (t) => {
  const c = new Client(h.url);
  await eidRegister(c, 'geburtsname', { username: 'anna', email: 'anna@example.org' });
  const account = await accountRow('anna');
  t.truthy(await h.hub.store.db('eid_bindings').where({ account_id: account.id }).first());
  h.clock.advance(25 * HOUR);
  t.is(await h.hub.accounts.purgeUnconfirmed(), 1);
  t.falsy(await accountRow('anna'));
  t.falsy(await h.hub.store.db('eid_bindings').where({ account_id: account.id }).first());
  // The card is free again.
  const again = await eidRegisterAndConfirm(h, new Client(h.url), 'geburtsname', { username: 'anna2', email: 'anna2@example.org' });
  t.regex(again.text, /aktiviert/);
});

test.serial('a login with a card that has no account leads to the registration with its data', async (t) => {
  const c = new Client(h.url);
  let page = await eidLogin(c, 'unionsbuerger');
  t.is(page.status, 404);
  t.regex(page.text, /Kein Servicekonto zu diesem Ausweis/);
  page = await c.get('/registrieren/ausweis/zugangsdaten');
  t.is(page.status, 200);
  t.regex(page.text, /ROSSI/);
  t.regex(page.text, /1979/, 'a date of birth with only the year');
  t.regex(page.text, /eID-Karte für Unionsbürger/);
  t.regex(page.text, /MARIA DEL SOLE/, 'the artistic name');
});

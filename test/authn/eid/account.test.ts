import test from 'ava';
import { MINUTE } from '../../../src/core/clock.ts';
import { restrictedIdHash } from '../../../src/store/eid.ts';
import { Client } from '../../helpers/client.ts';
import { GOOD_PASSWORD, login, personalData, registerAndConfirm } from '../../helpers/citizen.ts';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { dumpAllTables } from '../../helpers/rows.ts';
import { chooseCard, eidLogin, eidRegisterAndConfirm } from './helpers.ts';

/**
 * "Meine Authentifizierungsmittel" over HTTP: a password account adds its ID card when the card
 * matches its own name and date of birth (and nothing changes when it does not), a new card of
 * the same person replaces the old one, and changing data or deleting an account with a card
 * needs a fresh eID login in the session. Deletion leaves nothing behind in any table.
 */

let h: TestHub;
test.before(async () => {
  h = await startTestHub();
});
test.after.always(async () => {
  await h?.close();
});

async function account(username: string) {
  return h.hub.store.db('accounts').where({ username_key: username }).first();
}

async function attributes(accountId: string): Promise<Record<string, { value: string; loa: string; source: string }>> {
  const rows = await h.hub.store.db('account_attributes').where({ account_id: accountId });
  return Object.fromEntries(rows.map((r: { name: string; value: string; loa: string; source: string }) => [r.name, r]));
}

function restrictedIdOf(card: string): string {
  const sim = h.hub.eid!.simulator!;
  return restrictedIdHash(sim.restrictedIdOf(sim.cards().find((c) => c.id === card)!));
}

/** A password account of Erika Mustermann as she typed her data herself, logged in at niedrig. */
async function erikaWithPassword(username: string, overrides: Record<string, string> = {}): Promise<Client> {
  await registerAndConfirm(new Client(h.url), h.outbox, {
    username,
    personal: personalData({ email: `${username}@example.org`, givenName: 'Erika', familyName: 'Mustermann', ...overrides }),
  });
  const c = new Client(h.url);
  await login(c, username);
  return c;
}

async function addCard(c: Client, card: string) {
  await c.get('/konto/authentifizierungsmittel');
  await c.submit({}, '/konto/authentifizierungsmittel/ausweis');
  return chooseCard(c, card);
}

test.serial('Meine Authentifizierungsmittel lists the password and offers to add the ID card, with the rule', async (t) => {
  const c = await erikaWithPassword('erika1');
  let page = await c.get('/konto');
  t.regex(page.text, /Meine Authentifizierungsmittel/);
  t.regex(page.text, /Online-Ausweis: nicht verknüpft/);
  page = await c.get('/konto/authentifizierungsmittel');
  t.regex(page.text, /Passwort \(Vertrauensniveau „niedrig“\)|Vertrauensniveau „niedrig“/);
  t.regex(page.text, /Familienname und Geburtsdatum mit Ihren Angaben übereinstimmen/);
  t.truthy(page.root.querySelector('form[action="/konto/authentifizierungsmittel/ausweis"]'));
});

test.serial(
  'a password account adds a matching card: the card data replace the own entries, verified, and the session is hoch',
  async (t) => {
    const c = await erikaWithPassword('erika2');
    const before = await account('erika2');
    t.is((await attributes(before.id)).street?.source, 'self');
    const page = await addCard(c, 'erika');
    t.true(page.url.endsWith('/konto/authentifizierungsmittel'), page.text);
    t.regex(page.text, /Ihr Ausweis ist jetzt mit Ihrem Servicekonto verknüpft/);
    t.is(c.sessionLevel(), 'hoch');
    const a = await attributes(before.id);
    t.like(a.familyName, { value: 'MUSTERMANN', loa: 'high', source: 'eid' });
    t.like(a.givenName, { value: 'ERIKA', loa: 'high', source: 'eid' });
    t.like(a.street, { value: 'HEIDESTRASSE 17', loa: 'high', source: 'eid' }, 'the card replaces the typed address');
    t.like(a.email, { value: 'erika2@example.org', source: 'self' }, 'the e-mail address stays');
    const binding = await h.hub.store.db('eid_bindings').where({ account_id: before.id }).first();
    t.is(binding.restricted_id_hash, restrictedIdOf('erika'));
    const notice = await h.outbox.latest('erika2@example.org', 'Ausweis mit Ihrem Servicekonto verknüpft');
    t.regex(notice.text, /erika2/);
    // The card now logs in to this account; the password still works at niedrig.
    const viaCard = new Client(h.url);
    t.regex((await eidLogin(viaCard, 'erika')).text, /Angemeldet als erika2/);
    t.is((await login(new Client(h.url), 'erika2', GOOD_PASSWORD)).status, 200);
    const activity = (await c.get('/konto')).text;
    t.regex(activity, /Ausweis verknüpft \(Online-Ausweisfunktion\)/);
  },
);

test.serial(
  'a card that does not match the own name and date of birth is refused with the differing fields, and nothing changes',
  async (t) => {
    const c = await erikaWithPassword('erika3', { dateOfBirth: '1965-08-12', givenName: 'Erika Maria' });
    const before = await account('erika3');
    const attrsBefore = await attributes(before.id);
    const page = await addCard(c, 'erika-neu');
    t.is(page.status, 409);
    t.regex(page.text, /passt nicht zu Ihrem Servicekonto: Vorname\(n\), Geburtsdatum stimmen nicht überein/);
    t.regex(page.text, /Es wurde nichts geändert/);
    t.deepEqual(await attributes(before.id), attrsBefore);
    t.falsy(await h.hub.store.db('eid_bindings').where({ account_id: before.id }).first());
    t.is(c.sessionLevel(), 'niedrig');
    // A card of someone else entirely.
    const other = await addCard(c, 'geburtsname');
    t.regex(other.text, /Familienname, Vorname\(n\), Geburtsdatum stimmen nicht überein/);
    t.falsy(await h.hub.store.db('eid_bindings').where({ account_id: before.id }).first());
  },
);

test.serial('names match regardless of case, umlaut spelling and hyphens', async (t) => {
  const c = await erikaWithPassword('anna1', {
    givenName: 'Anna Lena',
    familyName: 'bergmann',
    dateOfBirth: '03.03.1990',
    birthName: 'Weber',
  });
  const page = await addCard(c, 'geburtsname');
  t.regex(page.text, /jetzt mit Ihrem Servicekonto verknüpft/);
});

test.serial('a card already bound to another account is refused', async (t) => {
  const c = await erikaWithPassword('erika4');
  const page = await addCard(c, 'erika');
  t.is(page.status, 409);
  t.regex(page.text, /bereits mit einem anderen Servicekonto verknüpft/);
});

test.serial('a new card of the same person re-binds: the old card no longer logs in, the new one does', async (t) => {
  // erika2 (bound to the card "erika") presents her new card: a new pseudonym, the same data.
  const erika = new Client(h.url);
  await eidLogin(erika, 'erika');
  const erikaId = (await account('erika2')).id;
  const page = await addCard(erika, 'erika-neu');
  t.regex(page.text, /Ihr neuer Ausweis ist jetzt mit Ihrem Servicekonto verknüpft und ersetzt den bisherigen/);
  const bindings = await h.hub.store.db('eid_bindings').where({ account_id: erikaId });
  t.is(bindings.length, 1);
  t.is(bindings[0].restricted_id_hash, restrictedIdOf('erika-neu'));
  const old = await eidLogin(new Client(h.url), 'erika');
  t.regex(old.text, /Kein Servicekonto zu diesem Ausweis/, 'the old card is no longer bound');
  t.regex((await eidLogin(new Client(h.url), 'erika-neu')).text, /Angemeldet als erika2/);
});

test.serial('changing data on an account with a card needs a fresh eID login; a password session is sent to confirm first', async (t) => {
  const c = new Client(h.url);
  await login(c, 'erika2');
  t.is(c.sessionLevel(), 'niedrig');
  let page = await c.get('/konto/daten');
  t.true(page.url.includes('/konto/ausweis-bestaetigen?aktion=changeData'), page.url);
  t.regex(page.text, /Bevor Sie Ihre Daten ändern, bestätigen Sie bitte mit der Online-Ausweisfunktion/);
  // A direct post is refused the same way and changes nothing.
  const id = (await account('erika2')).id;
  page = await c.post('/konto/daten', {
    _csrf: page.root.querySelector('input[name=_csrf]')!.getAttribute('value')!,
    email: 'x@example.org',
    deMail: 'erika2@anbieter.de-mail.de',
  });
  t.true(page.url.includes('/konto/ausweis-bestaetigen'));
  t.falsy((await attributes(id)).deMail);

  await c.submit({}, '/konto/ausweis-bestaetigen');
  page = await chooseCard(c, 'erika-neu');
  t.true(page.url.endsWith('/konto/daten'), page.url);
  t.is(c.sessionLevel(), 'hoch');
  page = await c.submit({ email: 'erika2@example.org', deMail: 'erika2@anbieter.de-mail.de' });
  t.regex(page.text, /Ihre Daten wurden gespeichert/);
  t.like((await attributes(id)).deMail, { value: 'erika2@anbieter.de-mail.de', source: 'self', loa: 'basic' });

  // Five quiet minutes later the confirmation has lapsed with the hoch level.
  h.clock.advance(6 * MINUTE);
  page = await c.get('/konto/daten');
  t.true(page.url.includes('/konto/ausweis-bestaetigen'));
});

test.serial('the confirmation must come from the card bound to this account', async (t) => {
  const c = new Client(h.url);
  await login(c, 'erika2');
  await c.get('/konto/ausweis-bestaetigen?aktion=changeData');
  await c.submit({}, '/konto/ausweis-bestaetigen');
  let page = await chooseCard(c, 'geburtsname');
  t.is(page.status, 403);
  t.regex(page.text, /gehört zu einem anderen Servicekonto/);
  t.is(c.sessionLevel(), 'niedrig');
  await c.submit({}, '/konto/ausweis-bestaetigen');
  page = await chooseCard(c, 'ausland');
  t.regex(page.text, /nicht mit Ihrem Servicekonto verknüpft/);
  t.is(c.sessionLevel(), 'niedrig');
});

test.serial('an account without password sets one only after a fresh eID login, without a current password', async (t) => {
  const c = new Client(h.url);
  await eidRegisterAndConfirm(h, c, 'doktor', { username: 'klaus', email: 'klaus@example.org' });
  t.is((await account('klaus')).password_hash, null);
  await eidLogin(c, 'doktor');
  h.clock.advance(6 * MINUTE);
  let page = await c.get('/konto/passwort');
  t.true(page.url.includes('/konto/ausweis-bestaetigen?aktion=setPassword'));
  await c.submit({}, '/konto/ausweis-bestaetigen');
  page = await chooseCard(c, 'doktor');
  t.true(page.url.endsWith('/konto/passwort'));
  t.falsy(page.root.querySelector('#f-currentPassword'));
  page = await c.submit({ password: GOOD_PASSWORD, passwordRepeat: GOOD_PASSWORD });
  t.regex(page.text, /Ihr Passwort wurde geändert/);
  t.is((await login(new Client(h.url), 'klaus')).status, 200);
});

test.serial(
  'changing the password of an account with a card needs the card too, which then replaces the current password (DECISIONS 14)',
  async (t) => {
    const c = new Client(h.url);
    await login(c, 'erika2');
    let page = await c.get('/konto/passwort');
    t.true(page.url.includes('/konto/ausweis-bestaetigen?aktion=setPassword'), page.url);
    // A direct post with the right current password is refused the same way.
    page = await c.post('/konto/passwort', {
      _csrf: page.root.querySelector('input[name=_csrf]')!.getAttribute('value')!,
      currentPassword: GOOD_PASSWORD,
      password: 'Herbst2026!',
      passwordRepeat: 'Herbst2026!',
    });
    t.true(page.url.includes('/konto/ausweis-bestaetigen'));
    t.is((await login(new Client(h.url), 'erika2', 'Herbst2026!')).status, 401, 'nothing changed');

    await c.get('/konto/passwort');
    await c.submit({}, '/konto/ausweis-bestaetigen');
    page = await chooseCard(c, 'erika-neu');
    t.true(page.url.endsWith('/konto/passwort'), page.url);
    t.falsy(page.root.querySelector('#f-currentPassword'), 'the card stands in for the current password');
    page = await c.submit({ password: 'Herbst2026!', passwordRepeat: 'Herbst2026!' });
    t.regex(page.text, /Ihr Passwort wurde geändert/);
    t.true((await login(new Client(h.url), 'erika2', 'Herbst2026!')).url.endsWith('/konto'));
    // Put it back for the tests that follow.
    await c.get('/konto/passwort');
    await c.submit({ password: GOOD_PASSWORD, passwordRepeat: GOOD_PASSWORD });
  },
);

test.serial('deleting an account with a card needs a fresh eID login and then leaves nothing behind in any table', async (t) => {
  const c = new Client(h.url);
  await login(c, 'klaus');
  let page = await c.get('/konto/loeschen');
  t.true(page.url.includes('/konto/ausweis-bestaetigen?aktion=deleteAccount'));
  // Posting the deletion with the password alone is not enough.
  const csrf = page.root.querySelector('input[name=_csrf]')!.getAttribute('value')!;
  page = await c.post('/konto/loeschen', { _csrf: csrf, currentPassword: GOOD_PASSWORD });
  t.true(page.url.includes('/konto/ausweis-bestaetigen'));
  const klaus = await account('klaus');
  t.truthy(klaus);
  const accountRef = h.hub.accounts.accountRef(klaus.id);
  const cardHash = restrictedIdOf('doktor');

  await c.submit({}, '/konto/ausweis-bestaetigen');
  page = await chooseCard(c, 'doktor');
  t.true(page.url.endsWith('/konto/loeschen'));
  t.falsy(page.root.querySelector('#f-currentPassword'), 'the card stands in for the password');
  t.regex(page.text, /mit Ihrem Ausweis bestätigt/);
  page = await c.submit({});
  t.regex(page.text, /Ihr Servicekonto wurde gelöscht/);
  t.is(c.sessionLevel(), 'nicht angemeldet');

  const tables = await dumpAllTables(h);
  t.true('eid_bindings' in tables && 'eid_transactions' in tables, 'the eID tables were walked');
  const traces = [klaus.id, accountRef, 'klaus@example.org', cardHash, 'SCHULZE', 'AUGUSTUSPLATZ 10', 'KLAUS PETER'];
  for (const [table, rows] of Object.entries(tables)) {
    const text = JSON.stringify(rows);
    for (const trace of traces) t.false(text.includes(trace), `${table} still holds ${trace}`);
  }
  const again = await eidLogin(new Client(h.url), 'doktor');
  t.regex(again.text, /Kein Servicekonto zu diesem Ausweis/, 'the card is free');
});

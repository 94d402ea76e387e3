import { GOOD_PASSWORD, personalData } from '../helpers/citizen.ts';
import type { Client, Page } from '../helpers/client.ts';
import type { TestHub } from '../helpers/hub.ts';
import { chooseCard } from '../authn/eid/helpers.ts';

/** Citizens for the Postkorb tests: registered with or without the "Postkorb erstellen" box. */

let n = 0;
export function newUsername(prefix = 'postkorb'): string {
  n += 1;
  return `${prefix}${n}${Math.random().toString(36).slice(2, 6)}`;
}

/** The ordinary registration (password), with the Postkorb box ticked or not; confirmed. */
export async function registerCitizen(h: TestHub, c: Client, username: string, postkorb: boolean): Promise<Page> {
  const email = `${username}@example.org`;
  await c.get('/registrieren');
  let page = await c.submit(personalData({ email }));
  if (!page.url.endsWith('/registrieren/zugangsdaten')) throw new Error(`step 1 refused: ${page.text.slice(0, 300)}`);
  page = await c.submit({
    username,
    password: GOOD_PASSWORD,
    passwordRepeat: GOOD_PASSWORD,
    privacy: 'yes',
    ...(postkorb ? { postkorb: 'yes' } : {}),
  });
  if (!page.url.endsWith('/registrieren/pruefen')) throw new Error(`step 2 refused: ${page.text.slice(0, 300)}`);
  const review = page;
  page = await c.submit({});
  if (!page.url.endsWith('/registrieren/gesendet')) throw new Error(`registration failed: ${page.text.slice(0, 300)}`);
  // The confirmation, in whichever language the citizen registered.
  const mail = await h.outbox.latest(email);
  await c.get(mail.links.find((l) => l.includes('/registrieren/bestaetigen'))!);
  return review;
}

/**
 * Registration with the ID card (Erika Mustermann's test card) and a password, the Postkorb box
 * ticked; confirmed. The account then logs in with the password (niedrig) or the card (hoch).
 */
export async function registerWithCard(h: TestHub, c: Client, username: string, card = 'erika'): Promise<Page> {
  const email = `${username}@example.org`;
  await c.get('/registrieren/ausweis');
  await c.submit({}, '/registrieren/ausweis');
  let page = await chooseCard(c, card);
  if (!page.url.endsWith('/registrieren/ausweis/zugangsdaten')) throw new Error(`card refused: ${page.text.slice(0, 300)}`);
  page = await c.submit({ username, email, password: GOOD_PASSWORD, passwordRepeat: GOOD_PASSWORD, privacy: 'yes', postkorb: 'yes' });
  if (!page.url.endsWith('/registrieren/ausweis/pruefen')) throw new Error(`credentials refused: ${page.text.slice(0, 300)}`);
  const review = page;
  page = await c.submit({}, '/registrieren/ausweis/pruefen');
  if (!page.url.endsWith('/registrieren/ausweis/gesendet')) throw new Error(`registration failed: ${page.text.slice(0, 300)}`);
  const mail = await h.outbox.latest(email, 'Registrierung');
  await c.get(mail.links.find((l) => l.includes('/registrieren/bestaetigen'))!);
  return review;
}

export async function handleOf(h: TestHub, username: string): Promise<string> {
  const account = await h.hub.store.db('accounts').where({ username_key: username.toLowerCase() }).first('id');
  const row = await h.hub.store.db('postkorb_mailboxes').where({ account_id: account.id }).first('handle');
  if (!row) throw new Error(`${username} has no Postkorb`);
  return row.handle as string;
}

export async function accountIdOf(h: TestHub, username: string): Promise<string> {
  const account = await h.hub.store.db('accounts').where({ username_key: username.toLowerCase() }).first('id');
  return account.id as string;
}

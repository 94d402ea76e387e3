import type { Client, Page } from '../../helpers/client.ts';
import type { TestHub } from '../../helpers/hub.ts';

/**
 * A citizen at the AusweisApp simulator: the browser is on its card-choice page after the hub
 * sent it there; choosing a card (or cancelling) returns it to the hub.
 */

export function onCardPage(page: Page): boolean {
  return /\/eID-Client\?tcTokenURL=/.test(page.url) && page.status === 200;
}

export async function chooseCard(c: Client, card: string, options: { deselect?: readonly string[]; cancel?: boolean } = {}): Promise<Page> {
  // The hub hands the browser to the eID-Client with a page that moves on by itself.
  if (c.page && !onCardPage(c.page)) await c.followRefresh();
  const page = c.page;
  if (!page || !onCardPage(page)) throw new Error(`not on the card page: ${page?.url} ${page?.status} ${page?.text.slice(0, 300)}`);
  const fields: Record<string, string> = { karte: card, aktion: options.cancel ? 'abbrechen' : 'auslesen' };
  if (options.deselect?.length) {
    // Send the optional items that stay checked, leaving out the deselected ones.
    const kept = page.root
      .querySelectorAll('input[name=optional]')
      .map((i) => i.getAttribute('value') ?? '')
      .filter((v) => !options.deselect!.includes(v));
    const form = new URLSearchParams();
    for (const input of page.root.querySelectorAll('input[type=hidden]'))
      form.append(input.getAttribute('name')!, input.getAttribute('value')!);
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    for (const v of kept) form.append('optional', v);
    return c.request('POST', new URL('/eID-Client/karte', page.url).toString(), form);
  }
  return c.submit(fields, '/eID-Client/karte');
}

/** Starts an eID login on the login page (optionally for a portal request) and chooses a card. */
export async function eidLogin(c: Client, card: string, options: { deselect?: readonly string[] } = {}): Promise<Page> {
  await c.get('/anmelden');
  await c.submit({}, '/anmelden/ausweis');
  return chooseCard(c, card, options);
}

/** Registers with the card: reads it, chooses credentials, saves; returns the page after "Sichern". */
export async function eidRegister(
  c: Client,
  card: string,
  credentials: { username: string; email: string; password?: string },
): Promise<Page> {
  await c.get('/registrieren/ausweis');
  await c.submit({}, '/registrieren/ausweis');
  let page = await chooseCard(c, card);
  if (!page.url.endsWith('/registrieren/ausweis/zugangsdaten')) throw new Error(`card refused: ${page.status} ${page.text.slice(0, 400)}`);
  const password = credentials.password ?? '';
  page = await c.submit({ username: credentials.username, email: credentials.email, password, passwordRepeat: password, privacy: 'yes' });
  if (!page.url.endsWith('/registrieren/ausweis/pruefen')) throw new Error(`credentials refused: ${page.text.slice(0, 400)}`);
  return c.submit({}, '/registrieren/ausweis/pruefen');
}

/** Registers with the card and opens the confirmation link. */
export async function eidRegisterAndConfirm(
  h: TestHub,
  c: Client,
  card: string,
  credentials: { username: string; email: string; password?: string },
): Promise<Page> {
  const done = await eidRegister(c, card, credentials);
  if (!done.url.endsWith('/registrieren/ausweis/gesendet')) throw new Error(`registration failed: ${done.text.slice(0, 400)}`);
  const mail = await h.outbox.latest(credentials.email, 'Registrierung');
  const link = mail.links.find((l) => l.includes('/registrieren/bestaetigen'));
  if (!link) throw new Error('no confirmation link in the mail');
  return c.get(link);
}

import type { Client, Page } from './client.ts';
import type { Outbox } from './outbox.ts';

/** Erika Mustermann's data as a citizen types it into step 1. */
export function personalData(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    givenName: 'Erika',
    familyName: 'Mustermann',
    dateOfBirth: '1964-08-12',
    placeOfBirth: 'Berlin',
    street: 'Am Abdinghof 11',
    postalCode: '33098',
    locality: 'Paderborn',
    email: 'erika@example.org',
    deMail: '',
    birthName: 'Gabler',
    doctoralDegree: '',
    ...overrides,
  };
}

export const GOOD_PASSWORD = 'Sommer2026!';

/** Walks the three registration steps and presses "Sichern". */
export async function register(
  client: Client,
  options: { personal?: Record<string, string>; username?: string; password?: string } = {},
): Promise<Page> {
  await client.get('/registrieren');
  let page = await client.submit(personalData(options.personal));
  if (!page.url.endsWith('/registrieren/zugangsdaten')) throw new Error(`step 1 refused: ${page.text.slice(0, 400)}`);
  const password = options.password ?? GOOD_PASSWORD;
  page = await client.submit({ username: options.username ?? 'erika', password, passwordRepeat: password, privacy: 'yes' });
  if (!page.url.endsWith('/registrieren/pruefen')) throw new Error(`step 2 refused: ${page.text.slice(0, 400)}`);
  return client.submit({});
}

/** Registers, opens the confirmation link from the outbox and returns the confirmation page. */
export async function registerAndConfirm(
  client: Client,
  outbox: Outbox,
  options: { personal?: Record<string, string>; username?: string; password?: string } = {},
): Promise<Page> {
  const done = await register(client, options);
  if (!done.url.endsWith('/registrieren/gesendet')) throw new Error(`registration failed: ${done.text.slice(0, 400)}`);
  const email = personalData(options.personal).email as string;
  const mail = await outbox.latest(email, 'Registrierung');
  const link = mail.links.find((l) => l.includes('/registrieren/bestaetigen'));
  if (!link) throw new Error('no confirmation link in the mail');
  return client.get(link);
}

export async function login(client: Client, username: string, password = GOOD_PASSWORD): Promise<Page> {
  await client.get('/anmelden');
  return client.submit({ username, password }, '/anmelden/passwort');
}

import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { Client, Page } from '../../helpers/client.ts';
import { startTestHub, type TestHub, type TestHubOptions } from '../../helpers/hub.ts';
import type { Bend, SoftAuthenticator } from '../../helpers/passkey.ts';

/**
 * A citizen with a passkey over HTTP: the Client plays the browser (and what pass.js does in it:
 * fetch the options, hand them to the authenticator, post its answer with the form), the
 * SoftAuthenticator plays the phone.
 */

export const PAGE = '/konto/authentifizierungsmittel';

/** A test hub whose public URL is http://localhost:<port> (WebAuthn needs a domain as RP ID). */
export function startPassHub(options: TestHubOptions = {}): Promise<TestHub> {
  return startTestHub({ publicHost: 'localhost', ...options });
}

export function csrfOf(page: Page | undefined): string {
  const value = page?.root.querySelector('input[name=_csrf]')?.getAttribute('value');
  if (!value) throw new Error(`no CSRF token on ${page?.url}: ${page?.text.slice(0, 300)}`);
  return value;
}

/** What an options endpoint answers: options for the browser, or a refusal with a message. */
export type OptionsAnswer = PublicKeyCredentialCreationOptionsJSON & PublicKeyCredentialRequestOptionsJSON & { readonly message?: string };

/** Posts to an options endpoint like pass.js does; returns status and JSON. */
export async function fetchOptions(
  c: Client,
  path: string,
  fields: Record<string, string>,
): Promise<{ status: number; body: OptionsAnswer }> {
  const page = await c.post(path, fields);
  return { status: page.status, body: JSON.parse(page.html) as OptionsAnswer };
}

export interface PassLoginOptions {
  readonly bend?: Bend;
  readonly requestId?: string;
  /** Reuse the options of an earlier call (to replay a challenge). */
  readonly options?: PublicKeyCredentialRequestOptionsJSON;
  /** Change the answer before it is posted. */
  readonly tamper?: (answer: AuthenticationResponseJSON) => AuthenticationResponseJSON;
}

/** "Anmelden mit dem Servicekonto.Pass" from the login page (or the page the client is on). */
export async function passLogin(c: Client, authenticator: SoftAuthenticator, o: PassLoginOptions = {}): Promise<Page> {
  if (!c.page?.root.querySelector('form[action="/anmelden/pass"]')) await c.get('/anmelden');
  // The form's own hidden fields (CSRF token, auftrag, zurueck), as the browser sends them; a
  // logged-in session is sent on from /anmelden, and then posts with the CSRF token of its page.
  const form = c.page!.root.querySelector('form[action="/anmelden/pass"]');
  const csrf = csrfOf(c.page);
  const hidden: Record<string, string> = { _csrf: csrf };
  for (const input of form?.querySelectorAll('input[type=hidden]') ?? [])
    hidden[input.getAttribute('name')!] = input.getAttribute('value') ?? '';
  const options = o.options ?? (await fetchOptions(c, '/anmelden/pass/optionen', { _csrf: csrf })).body;
  let answer = authenticator.authenticate(options, o.bend ?? {});
  if (o.tamper) answer = o.tamper(answer);
  return c.post('/anmelden/pass', { ...hidden, credential: JSON.stringify(answer), ...(o.requestId ? { auftrag: o.requestId } : {}) });
}

/** Adds a passkey on "Meine Authentifizierungsmittel" of the logged-in client. */
export async function addPasskey(c: Client, authenticator: SoftAuthenticator, o: { name?: string; bend?: Bend } = {}): Promise<Page> {
  await c.get(PAGE);
  const csrf = csrfOf(c.page);
  const fields = { _csrf: csrf, name: o.name ?? '' };
  const options = await fetchOptions(c, `${PAGE}/pass/optionen`, fields);
  if (options.status !== 200) throw new Error(`options refused: ${options.status} ${JSON.stringify(options.body)}`);
  const answer = authenticator.register(options.body, o.bend ?? {});
  return c.post(`${PAGE}/pass`, { ...fields, credential: JSON.stringify(answer) });
}

/** Shows the enrolment QR code page and returns the link on it. */
export async function enrolmentLink(c: Client): Promise<string> {
  await c.get(PAGE);
  const page = await c.submit({}, `${PAGE}/pass/qr`);
  const link = page.root.querySelector('.enrolment-link code')?.textContent.trim();
  if (!link) throw new Error(`no enrolment link: ${page.status} ${page.text.slice(0, 300)}`);
  return link;
}

/** Opens an enrolment link on another device and registers a passkey there. */
export async function enrolWithLink(
  phone: Client,
  link: string,
  authenticator: SoftAuthenticator,
  o: { name?: string } = {},
): Promise<Page> {
  const page = await phone.get(link);
  if (page.status !== 200) return page;
  const csrf = csrfOf(page);
  const fields = { _csrf: csrf, name: o.name ?? '' };
  const options = await fetchOptions(phone, '/pass/einrichten/optionen', fields);
  if (options.status !== 200) throw new Error(`options refused: ${options.status} ${JSON.stringify(options.body)}`);
  return phone.post('/pass/einrichten', { ...fields, credential: JSON.stringify(authenticator.register(options.body)) });
}

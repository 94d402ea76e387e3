import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Logger } from 'pino';
import type { AccountService } from '../../accounts/service.ts';
import type { Clock } from '../../core/clock.ts';
import type { Loa } from '../../core/loa.ts';
import type { Login } from '../../login/login.ts';
import type { Mailer } from '../../mail/mailer.ts';
import type { Account } from '../../store/accounts.ts';
import type { Db, Queryable } from '../../store/db.ts';
import { findBindingByAccount } from '../../store/eid.ts';
import type { HubRouter } from '../../web/app.ts';
import type { HubContext } from '../../web/context.ts';
import { html, type Html } from '../../web/html.ts';
import { fmt, formatDateTime, type Lang } from '../../web/i18n.ts';
import { CONTENT_SECURITY_POLICY } from '../../web/security-headers.ts';
import type { Session } from '../../web/session.ts';
import { passText } from './texts.ts';
import type { RelyingParty } from './webauthn.ts';

/** What every part of the Pass module needs. */
export interface PassContext {
  readonly accounts: AccountService;
  readonly login: Login;
  readonly db: Db;
  readonly clock: Clock;
  readonly mailer: Mailer;
  readonly log: Logger;
  readonly rp: RelyingParty;
  readonly publicUrl: string;
  readonly operatorName: string;
  /**
   * Whether this hub binds ID cards (eid.enabled). Without cards no passkey can give more than
   * niedrig (DECISIONS 14), so the method then offers niedrig at most.
   */
  readonly eidEnabled: boolean;
  /** The level a password login yields (login.passwordLoa). */
  readonly passwordLoa: Loa;
}

// ---- which passkeys a session was authenticated with ------------------------------------------

/** Session key: the keys of the passkeys this session logged in (or stepped up) with. */
export const SESSION_PASSKEYS = 'pass.passkeys';

export function recordPassLogin(session: Session, passkeyId: string): void {
  const before = session.get<string[]>(SESSION_PASSKEYS) ?? [];
  if (!before.includes(passkeyId)) session.set(SESSION_PASSKEYS, [...before, passkeyId]);
}

/** Whether a stored session (its data) was authenticated with this passkey. */
export function sessionUsedPasskey(data: Readonly<Record<string, unknown>>, passkeyId: string): boolean {
  const list = data[SESSION_PASSKEYS];
  return Array.isArray(list) && list.includes(passkeyId);
}

// ---- the account ------------------------------------------------------------------------------

/** Whether the account has an ID card bound (and this hub uses cards at all). */
export async function eidBound(c: Pick<PassContext, 'eidEnabled'>, q: Queryable, accountId: string): Promise<boolean> {
  return c.eidEnabled && (await findBindingByAccount(q, accountId)) !== undefined;
}

/** A passkey's name as the citizen typed it: trimmed, blanks collapsed, 1–64 characters, no control characters. */
export function cleanName(raw: string): string | undefined {
  const name = raw.normalize('NFC').replace(/\s+/g, ' ').trim();
  if (name.length === 0 || [...name].length > 64) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name)) return undefined;
  return name;
}

/** The name a passkey gets when the citizen gave none. */
export function defaultName(lang: Lang, now: number): string {
  return fmt(passText(lang).nameDefault, { date: formatDateTime(lang, now) });
}

// ---- the page's script --------------------------------------------------------------------------

/** The browser bundle of @simplewebauthn/browser, served by the hub itself (no CDN). */
export const LIBRARY_PATH = '/static/pass/simplewebauthn-browser.js';
/** The hub's own script (src/web/static/pass.js). */
export const SCRIPT_PATH = '/static/pass.js';

/**
 * Adds `source` to one directive of a Content-Security-Policy (creating the directive), keeping
 * every other directive as it is, so that what another part of the page allowed stays allowed.
 */
export function allowInCsp(policy: string, directive: string, source: string): string {
  const parts = policy
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const index = parts.findIndex((p) => p.split(/\s+/)[0] === directive);
  if (index < 0) return [...parts, `${directive} ${source}`].join('; ');
  const tokens = (parts[index] as string).split(/\s+/);
  if (!tokens.includes(source)) parts[index] = [...tokens.filter((x) => x !== "'none'"), source].join(' ');
  return parts.join('; ');
}

/**
 * The script tags of a page that offers the Pass. This response's CSP is widened by exactly what
 * the Pass needs: the hub's own scripts (the library bundle and pass.js) and requests to itself
 * (the WebAuthn options). Pages without the Pass keep the strict policy.
 */
export function passScripts(ctx: HubContext): Html {
  const current = ctx.response.get('Content-Security-Policy') || CONTENT_SECURITY_POLICY;
  ctx.set('Content-Security-Policy', allowInCsp(allowInCsp(String(current), 'script-src', "'self'"), 'connect-src', "'self'"));
  return html`<script src="${LIBRARY_PATH}" defer></script>
    <script src="${SCRIPT_PATH}" defer></script>`;
}

/** The data attributes the script reads its messages from. */
export function scriptMessages(lang: Lang): Html {
  const t = passText(lang);
  return html` data-msg-working="${t.scriptWorking}" data-msg-sending="${t.scriptSending}" data-msg-cancelled="${t.scriptCancelled}"
  data-msg-unsupported="${t.scriptUnsupported}" data-msg-failed="${t.scriptFailed}" data-msg-duplicate="${t.scriptDuplicate}"`;
}

function libraryBundle(): Buffer {
  const require = createRequire(import.meta.url);
  // The package exports only its entry (script/index.js); the bundle is beside it under dist/.
  const root = path.resolve(path.dirname(require.resolve('@simplewebauthn/browser')), '..');
  return readFileSync(path.join(root, 'dist', 'bundle', 'index.umd.min.js'));
}

/** Serves the library bundle (read once at start). */
export function registerLibraryRoute(router: HubRouter): void {
  const body = libraryBundle();
  router.get(LIBRARY_PATH, (ctx) => {
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = body;
  });
}

// ---- notices -------------------------------------------------------------------------------------

/** A notice mail to the account's address (DECISIONS 17); a failure is logged, never thrown. */
export async function sendNotice(c: PassContext, account: Account, subject: string, text: string): Promise<void> {
  const signature =
    account.locale === 'de'
      ? `\n\nMit freundlichen Grüßen\nIhr ${c.operatorName}\n\nDiese E-Mail wurde automatisch erstellt. Bitte antworten Sie nicht darauf.`
      : `\n\nKind regards\nYour ${c.operatorName}\n\nThis e-mail was generated automatically. Please do not reply.`;
  await c.mailer
    .send({ to: account.email, subject: `${subject} – ${c.operatorName}`, text: text + signature })
    .catch((err: unknown) => c.log.error({ err }, 'mail could not be sent'));
}

/** JSON answer for the script (options, or a refusal with a message it shows). */
export function jsonAnswer(ctx: HubContext, status: number, body: unknown): void {
  ctx.status = status;
  ctx.type = 'application/json; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = JSON.stringify(body);
}

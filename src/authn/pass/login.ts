import type { Loa } from '../../core/loa.ts';
import type { LoginMethod, MethodView } from '../../login/login.ts';
import { recordAudit } from '../../store/audit.ts';
import { findPasskeyByCredential, findUserHandle, recordCounterRegression, recordPasskeyUse, type Passkey } from '../../store/passkeys.ts';
import type { HubRouter } from '../../web/app.ts';
import { safeLocalPath } from '../../web/app.ts';
import type { HubContext } from '../../web/context.ts';
import { RETURN_TO } from '../../web/guards.ts';
import { html, type Html } from '../../web/html.ts';
import { fmt, formatDateTime } from '../../web/i18n.ts';
import { csrfField } from '../../web/layout.ts';
import { levelWord } from '../../web/messages.ts';
import { eidBound, jsonAnswer, passScripts, recordPassLogin, scriptMessages, sendNotice, type PassContext } from './common.ts';
import { levelAtLogin } from './level.ts';
import { passText } from './texts.ts';
import { authenticationOptions, checkAuthentication, keepChallenge, parseAuthentication, takeChallenge, CHALLENGE_MS } from './webauthn.ts';

/**
 * "Anmelden mit dem Servicekonto.Pass" on the login page: a discoverable-credential login (no
 * username), user verification required. The level is the one stored with the passkey
 * (DECISIONS 14, ./level.ts). A signature counter that does not increase refuses the login, is
 * recorded and mailed. A lower session of the same account is stepped up; the passkey's key is
 * recorded in the session, so removing the passkey ends the sessions it opened.
 */

export const LOGIN_PATH = '/anmelden/pass';
export const LOGIN_OPTIONS_PATH = '/anmelden/pass/optionen';

/** The login form; `back` (a local path) is where to return after a step-up from an account page. */
export function passLoginForm(
  ctx: HubContext,
  o: { requestId?: string | undefined; back?: string; submit: string; primary?: boolean },
): Html {
  const lang = ctx.state.lang;
  return html`<form
      method="post"
      action="${LOGIN_PATH}"
      data-pass="login"
      data-pass-options="${LOGIN_OPTIONS_PATH}"
      ${scriptMessages(lang)}
    >
      ${csrfField(ctx)}${o.requestId ? html`<input type="hidden" name="auftrag" value="${o.requestId}" />` : ''}${
        o.back ? html`<input type="hidden" name="zurueck" value="${o.back}" />` : ''
      }
      <input type="hidden" name="credential" value="" />
      <div class="actions"><button type="submit" class="${o.primary === false ? 'secondary' : 'primary'}">${o.submit}</button></div>
      <p class="pass-status" role="status" data-pass-status></p>
    </form>
    <noscript><p class="notice">${passText(lang).noScript}</p></noscript>
    ${passScripts(ctx)}`;
}

/** The login method; `maxLoa` is substanziell when the hub binds ID cards, else niedrig (DECISIONS 14). */
export function passMethod(maxLoa: Loa): LoginMethod {
  return {
    id: 'pass',
    order: 15,
    maxLoa,
    describeLimit: (lang) =>
      maxLoa === 'substantial' ? passText(lang).describeLimit : fmt(passText(lang).describeLimitLow, { level: levelWord(lang, maxLoa) }),
    render(ctx: HubContext, view: MethodView): Html {
      const t = passText(ctx.state.lang);
      return html`<section aria-labelledby="pass-title" class="method-pass">
        <h2 id="pass-title">${t.methodTitle}</h2>
        ${view.message ? html`<div class="error-summary" role="alert" tabindex="-1">${view.message}</div>` : ''}
        <p>${t.methodIntro}</p>
        <p>${maxLoa === 'substantial' ? t.methodLevel : fmt(t.methodLevelLow, { level: levelWord(ctx.state.lang, maxLoa) })}</p>
        ${passLoginForm(ctx, { requestId: view.requestId, submit: t.methodSubmit })} ${view.requestId ? '' : html`<p>${t.methodSetup}</p>`}
      </section>`;
    },
  };
}

export function registerPassLogin(router: HubRouter, c: PassContext): void {
  const { login, accounts, clock, db, log } = c;

  const refuse = (ctx: HubContext, message: string, status: number): void => {
    const request = login.findOpenRequest(ctx, ctx.state.form.get('auftrag') || undefined);
    login.renderPage(ctx, { pass: { message: html`<p>${message}</p>` } }, status, request);
  };

  const auditFailure = async (passkey: Passkey | undefined, reason: string): Promise<void> => {
    await recordAudit(db, {
      at: clock.now(),
      accountRef: passkey ? accounts.accountRef(passkey.accountId) : null,
      event: 'login.failed',
      detail: { method: 'pass', reason },
    });
  };

  router.post(LOGIN_OPTIONS_PATH, async (ctx) => {
    const options = await authenticationOptions(c.rp);
    keepChallenge(ctx.state.session, 'login', { challenge: options.challenge, expiresAt: clock.now() + CHALLENGE_MS });
    jsonAnswer(ctx, 200, options);
  });

  router.post(LOGIN_PATH, async (ctx) => {
    const lang = ctx.state.lang;
    const t = passText(lang);
    const now = clock.now();
    const session = ctx.state.session;
    const raw = ctx.state.form.get('credential');
    if (raw === '') return refuse(ctx, t.missingCredential, 400);
    // The challenge is used up by this answer, whatever it is.
    const challenge = takeChallenge(session, 'login', now);
    const response = parseAuthentication(raw);
    if (!response) return refuse(ctx, t.unreadable, 400);
    if (!challenge.ok) return refuse(ctx, t.challengeGone, 400);

    const passkey = await findPasskeyByCredential(db, response.id);
    if (!passkey) {
      await auditFailure(undefined, 'unknown credential');
      return refuse(ctx, t.unknownPasskey, 401);
    }
    const check = await checkAuthentication(c.rp, response, challenge.challenge, passkey);
    if (!check.ok && check.reason === 'invalid') {
      log.info({ detail: check.detail }, 'passkey login not verified');
      await auditFailure(passkey, 'not verified');
      return refuse(ctx, t.notVerified, 401);
    }
    const account = await accounts.findById(passkey.accountId);
    if (!account) return refuse(ctx, t.unknownPasskey, 401);
    if (!check.ok) return counterRegression(ctx, passkey, check.presented, check.stored);
    // The user handle, when the authenticator sends one, must be this account's.
    if (!(await userHandleMatches(c, passkey.accountId, response.response.userHandle))) {
      await auditFailure(passkey, 'user handle mismatch');
      return refuse(ctx, t.notVerified, 401);
    }
    if (
      !(await recordPasskeyUse(db, {
        id: passkey.id,
        expectedCounter: passkey.counter,
        newCounter: check.newCounter,
        backedUp: check.backedUp,
        now,
      }))
    ) {
      // Another login with the same counter value got there first: a replay or a clone.
      return counterRegression(ctx, passkey, check.newCounter, passkey.counter);
    }
    const current = session.accountId;
    if (current !== undefined && current !== account.id) return refuse(ctx, t.otherAccount, 403);
    if (account.status !== 'active') return refuse(ctx, t.accountPending, 403);

    const loa: Loa = levelAtLogin({ stored: passkey.loa, eidBound: await eidBound(c, db, account.id) });
    const back = ctx.state.form.get('zurueck');
    if (back !== '') session.set(RETURN_TO, safeLocalPath(back, '/konto'));
    recordPassLogin(session, passkey.id);
    await login.complete(
      ctx,
      { accountId: account.id, source: 'pass', loa, methods: ['pass'], authnInstant: now, attributes: {} },
      ctx.state.form.get('auftrag') || undefined,
    );
  });

  /** A genuine signature with a counter that did not increase: refuse, record, tell the holder once. */
  const counterRegression = async (ctx: HubContext, passkey: Passkey, presented: number, stored: number): Promise<void> => {
    const now = clock.now();
    log.warn({ presented, stored }, 'passkey signature counter did not increase; login refused');
    const first = await db.transaction(async (trx) => {
      await recordAudit(trx, {
        at: now,
        accountRef: accounts.accountRef(passkey.accountId),
        event: 'passkey.counterRegression',
        detail: { presented, stored },
      });
      return recordCounterRegression(trx, passkey.id, now);
    });
    const account = await accounts.findById(passkey.accountId);
    if (first && account) {
      const m = passText(account.locale);
      await sendNotice(
        c,
        account,
        m.mailRegressionSubject,
        fmt(m.mailRegressionText, { username: account.username, name: passkey.name, when: formatDateTime(account.locale, now) }),
      );
    }
    refuse(ctx, passText(ctx.state.lang).counterRegression, 403);
  };
}

async function userHandleMatches(c: PassContext, accountId: string, userHandle: string | undefined): Promise<boolean> {
  if (userHandle === undefined || userHandle === '') return true;
  return (await findUserHandle(c.db, accountId)) === userHandle;
}

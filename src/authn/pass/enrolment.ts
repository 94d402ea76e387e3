import type { Account } from '../../store/accounts.ts';
import { consumeEnrolment, listPasskeys, peekEnrolment, userHandleFor, type Enrolment } from '../../store/passkeys.ts';
import type { HubRouter } from '../../web/app.ts';
import type { HubContext } from '../../web/context.ts';
import { html } from '../../web/html.ts';
import { fmt, formatDateTime } from '../../web/i18n.ts';
import { csrfField, renderPage } from '../../web/layout.ts';
import { frameText, levelWord } from '../../web/messages.ts';
import { cleanName, defaultName, eidBound, jsonAnswer, passScripts, scriptMessages, type PassContext } from './common.ts';
import { levelAtRegistration } from './level.ts';
import { addPasskey } from './register.ts';
import { passText } from './texts.ts';
import { CHALLENGE_MS, keepChallenge, parseRegistration, registrationOptions, takeChallenge } from './webauthn.ts';

/**
 * The second device (DECISIONS 14): the phone opens the enrolment link from the QR code and
 * registers a passkey for the link's account there, without logging in. The link (10 minutes,
 * bound to the account, stored hashed) is taken into this browser's session on first open, so
 * its token leaves the address bar; it is used up by the registration that succeeds, in the same
 * transaction that stores the passkey, so it works exactly once. The passkey's level comes from
 * the session that made the link (./level.ts).
 */

export const ENROL_PATH = '/pass/einrichten';
const OPTIONS_PATH = `${ENROL_PATH}/optionen`;
/** Session key of the enrolment token this (phone) browser opened. */
const TOKEN = 'pass.enrolment';

export function registerPassEnrolment(router: HubRouter, c: PassContext): void {
  const { db, clock, accounts } = c;

  const renderGone = (ctx: HubContext, reason: 'invalid' | 'expired'): void => {
    const t = passText(ctx.state.lang);
    const [title, text] = reason === 'expired' ? [t.enrolExpiredTitle, t.enrolExpiredText] : [t.enrolInvalidTitle, t.enrolInvalidText];
    renderPage(ctx, {
      title,
      status: reason === 'expired' ? 410 : 404,
      main: html`<h1>${title}</h1>
        <p>${text}</p>`,
    });
  };

  const renderForm = (ctx: HubContext, account: Account, enrolment: Enrolment, problem?: string, status = 200): void => {
    const lang = ctx.state.lang;
    const t = passText(lang);
    renderPage(ctx, {
      title: t.enrolTitle,
      status,
      main: html`<h1>${t.enrolTitle}</h1>
        ${problem ? html`<div class="error-summary" role="alert" tabindex="-1"><p>${problem}</p></div>` : ''}
        <p>${fmt(t.enrolIntro, { username: account.username })}</p>
        <p>${fmt(t.enrolValid, { time: formatDateTime(lang, enrolment.expiresAt) })}</p>
        <form method="post" action="${ENROL_PATH}" data-pass="register" data-pass-options="${OPTIONS_PATH}" ${scriptMessages(lang)}>
          ${csrfField(ctx)}<input type="hidden" name="credential" value="" />
          <div class="field">
            <label for="f-pass-name">${t.nameLabel} <span class="optional">${frameText(lang).optional}</span></label>
            <div class="hint" id="f-pass-name-hint">${t.nameHint}</div>
            <input id="f-pass-name" name="name" type="text" maxlength="64" autocomplete="off" aria-describedby="f-pass-name-hint" />
          </div>
          <div class="actions"><button type="submit" class="primary">${t.enrolSubmit}</button></div>
          <p class="pass-status" role="status" data-pass-status></p>
        </form>
        <noscript><p class="notice">${t.noScript}</p></noscript>
        ${passScripts(ctx)}`,
    });
  };

  /** The enrolment this browser holds, checked again now; with its account. */
  const current = async (
    ctx: HubContext,
  ): Promise<{ ok: true; token: string; enrolment: Enrolment; account: Account } | { ok: false; reason: 'invalid' | 'expired' }> => {
    const token = ctx.state.session.get<string>(TOKEN);
    if (typeof token !== 'string') return { ok: false, reason: 'invalid' };
    const check = await peekEnrolment(db, token, clock.now());
    if (!check.ok) return check;
    const account = await accounts.findById(check.enrolment.accountId);
    if (!account || account.status !== 'active') return { ok: false, reason: 'invalid' };
    return { ok: true, token, enrolment: check.enrolment, account };
  };

  router.get(ENROL_PATH, async (ctx) => {
    const token = typeof ctx.query.t === 'string' ? ctx.query.t : undefined;
    if (token !== undefined) {
      const check = await peekEnrolment(db, token, clock.now());
      if (!check.ok) return renderGone(ctx, check.reason);
      // Into the session, out of the address bar and history.
      ctx.state.session.set(TOKEN, token);
      return ctx.redirect(ENROL_PATH);
    }
    const held = await current(ctx);
    if (!held.ok) return renderGone(ctx, held.reason);
    renderForm(ctx, held.account, held.enrolment);
  });

  router.post(OPTIONS_PATH, async (ctx) => {
    const t = passText(ctx.state.lang);
    const held = await current(ctx);
    if (!held.ok)
      return jsonAnswer(ctx, held.reason === 'expired' ? 410 : 404, {
        message: held.reason === 'expired' ? t.enrolExpiredText : t.enrolInvalidText,
      });
    const raw = ctx.state.form.get('name');
    if (raw.trim() !== '' && cleanName(raw) === undefined) return jsonAnswer(ctx, 400, { message: t.nameInvalid });
    const options = await registrationOptions(
      c.rp,
      { handle: await userHandleFor(db, held.account.id), name: held.account.username },
      await listPasskeys(db, held.account.id),
    );
    keepChallenge(ctx.state.session, 'enrol', {
      challenge: options.challenge,
      expiresAt: clock.now() + CHALLENGE_MS,
      accountId: held.account.id,
    });
    jsonAnswer(ctx, 200, options);
  });

  router.post(ENROL_PATH, async (ctx) => {
    const lang = ctx.state.lang;
    const t = passText(lang);
    const session = ctx.state.session;
    const challenge = takeChallenge(session, 'enrol', clock.now());
    const held = await current(ctx);
    if (!held.ok) return renderGone(ctx, held.reason);
    const raw = ctx.state.form.get('credential');
    if (raw === '') return renderForm(ctx, held.account, held.enrolment, t.missingCredential, 400);
    const response = parseRegistration(raw);
    if (!response) return renderForm(ctx, held.account, held.enrolment, `${t.unreadable} ${t.nothingChanged}`, 400);
    if (!challenge.ok || challenge.accountId !== held.account.id) {
      return renderForm(ctx, held.account, held.enrolment, `${t.challengeGone} ${t.nothingChanged}`, 400);
    }
    const rawName = ctx.state.form.get('name');
    const name = rawName.trim() === '' ? defaultName(lang, clock.now()) : cleanName(rawName);
    if (name === undefined) return renderForm(ctx, held.account, held.enrolment, `${t.nameInvalid} ${t.nothingChanged}`, 400);
    let used: Enrolment | undefined;
    const added = await addPasskey(c, {
      account: held.account,
      response,
      challenge: challenge.challenge,
      name,
      via: 'link',
      consume: async (trx) => {
        const check = await consumeEnrolment(trx, held.token, clock.now());
        if (!check.ok || check.enrolment.accountId !== held.account.id) return false;
        used = check.enrolment;
        return true;
      },
      level: async (trx) => levelAtRegistration({ sessionLoa: used?.sessionLoa, eidBound: await eidBound(c, trx, held.account.id) }),
    });
    if (!added.ok) {
      if (added.problem === 'condition') {
        session.delete(TOKEN);
        return renderGone(ctx, 'invalid');
      }
      return renderForm(
        ctx,
        held.account,
        held.enrolment,
        added.problem === 'duplicate' ? t.alreadyRegistered : t.registrationFailed,
        added.problem === 'duplicate' ? 409 : 400,
      );
    }
    session.delete(TOKEN);
    renderPage(ctx, {
      title: t.enrolDoneTitle,
      main: html`<h1>${t.enrolDoneTitle}</h1>
        <p>
          ${fmt(t.enrolDoneText, { name: added.passkey.name, username: held.account.username, level: levelWord(lang, added.passkey.loa) })}
        </p>
        <p><a class="button" href="/anmelden">${t.toLogin}</a></p>`,
    });
  });
}

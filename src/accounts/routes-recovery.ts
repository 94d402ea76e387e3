import { HubError } from '../core/errors.ts';
import { isEmailAddress, normalizeText, usernameKey } from '../core/personal-data.ts';
import type { HubRouter } from '../web/app.ts';
import type { HubContext } from '../web/context.ts';
import { errorSummary, field } from '../web/forms.ts';
import { html } from '../web/html.ts';
import { csrfField, renderPage } from '../web/layout.ts';
import { frameText } from '../web/messages.ts';
import { accountText, fieldLabel, problemText, type AccountField } from './messages.ts';
import { passwordProblem, passwordRules } from './routes-registration.ts';
import type { AccountService } from './service.ts';
import type { Throttles } from './throttles.ts';

/**
 * "Benutzername vergessen" and "Passwort vergessen". Neither page ever says whether an address
 * or username is known: the answer and (since mails go out in the background) its timing are
 * the same either way.
 */

export interface RecoveryDeps {
  readonly accounts: AccountService;
  readonly throttles: Throttles;
}

type Errors = { field: AccountField; message: string }[];

function renderForgotUsername(ctx: HubContext, value: string, errors: Errors, done: boolean): void {
  const lang = ctx.state.lang;
  const t = accountText(lang);
  renderPage(ctx, {
    title: t.forgotUsernameTitle,
    status: errors.length > 0 ? 400 : 200,
    notice: done ? t.forgotUsernameDone : undefined,
    main: html`<h1>${t.forgotUsernameTitle}</h1>
      ${errorSummary(frameText(lang).errorSummaryTitle, errors)}
      <p>${t.forgotUsernameIntro}</p>
      <form method="post" action="/benutzername-vergessen" novalidate>
        ${csrfField(ctx)}
        ${field({ name: 'email', label: fieldLabel(lang, 'email'), type: 'email', value, required: true, autocomplete: 'email', maxlength: 254, error: errors[0]?.message })}
        <div class="actions"><button type="submit" class="primary">${t.forgotUsernameSubmit}</button></div>
      </form>`,
  });
}

function renderForgotPassword(ctx: HubContext, value: string, errors: Errors, done: boolean): void {
  const lang = ctx.state.lang;
  const t = accountText(lang);
  renderPage(ctx, {
    title: t.forgotPasswordTitle,
    status: errors.length > 0 ? 400 : 200,
    notice: done ? t.forgotPasswordDone : undefined,
    main: html`<h1>${t.forgotPasswordTitle}</h1>
      ${errorSummary(frameText(lang).errorSummaryTitle, errors)}
      <p>${t.forgotPasswordIntro}</p>
      <form method="post" action="/passwort-vergessen" novalidate>
        ${csrfField(ctx)}
        ${field({ name: 'username', label: fieldLabel(lang, 'username'), value, required: true, autocomplete: 'username', maxlength: 64, error: errors[0]?.message })}
        <div class="actions"><button type="submit" class="primary">${t.forgotPasswordSubmit}</button></div>
      </form>`,
  });
}

function renderResetForm(ctx: HubContext, token: string, errors: Errors): void {
  const lang = ctx.state.lang;
  const t = accountText(lang);
  const err = (f: AccountField): string | undefined => errors.find((e) => e.field === f)?.message;
  renderPage(ctx, {
    title: t.resetTitle,
    status: errors.length > 0 ? 400 : 200,
    main: html`<h1>${t.resetTitle}</h1>
      ${errorSummary(frameText(lang).errorSummaryTitle, errors)}
      <form method="post" action="/passwort-zuruecksetzen" novalidate>
        ${csrfField(ctx)}
        <input type="hidden" name="t" value="${token}" />
        ${field({ name: 'password', label: t.newPassword, type: 'password', hint: passwordRules(lang), required: true, autocomplete: 'new-password', maxlength: 128, error: err('password') })}
        ${field({ name: 'passwordRepeat', label: fieldLabel(lang, 'passwordRepeat'), type: 'password', required: true, autocomplete: 'new-password', maxlength: 128, error: err('passwordRepeat') })}
        <div class="actions"><button type="submit" class="primary">${t.resetSubmit}</button></div>
      </form>`,
  });
}

function renderLinkProblem(ctx: HubContext, reason: 'invalid' | 'expired', expiredText: string): void {
  if (reason === 'invalid') throw new HubError('token_invalid');
  const t = accountText(ctx.state.lang);
  renderPage(ctx, {
    title: t.linkExpiredTitle,
    status: 410,
    main: html`<h1>${t.linkExpiredTitle}</h1>
      <p>${expiredText}</p>`,
  });
}

/** New-password fields checked against the policy and each other. */
export function newPasswordErrors(ctx: HubContext, password: string, repeat: string): Errors {
  const lang = ctx.state.lang;
  const errors: Errors = [];
  const problem = password === '' ? problemText(lang, 'password', 'required') : passwordProblem(lang, 'password', password);
  if (problem) errors.push({ field: 'password', message: problem });
  else if (repeat !== password) errors.push({ field: 'passwordRepeat', message: problemText(lang, 'passwordRepeat', 'passwordMismatch') });
  return errors;
}

export function registerRecoveryRoutes(router: HubRouter, deps: RecoveryDeps): void {
  const { accounts, throttles } = deps;

  router.get('/benutzername-vergessen', (ctx) => renderForgotUsername(ctx, '', [], false));

  router.post('/benutzername-vergessen', async (ctx) => {
    const lang = ctx.state.lang;
    const address = normalizeText(ctx.state.form.get('email'));
    if (address === '' || !isEmailAddress(address)) {
      const problem = address === '' ? 'required' : 'email';
      renderForgotUsername(ctx, address, [{ field: 'email', message: problemText(lang, 'email', problem) }], false);
      return;
    }
    await throttles.takeOrThrow('resetAddress', ctx.state.clientIp);
    // Per address: beyond the limit nothing is sent, and the page still says the same.
    if (!(await throttles.take('resetAccount', `mail:${address.toLowerCase()}`))) await accounts.sendUsernameReminder(address);
    renderForgotUsername(ctx, '', [], true);
  });

  router.get('/passwort-vergessen', (ctx) => renderForgotPassword(ctx, '', [], false));

  router.post('/passwort-vergessen', async (ctx) => {
    const lang = ctx.state.lang;
    const username = ctx.state.form.get('username').trim();
    if (username === '') {
      renderForgotPassword(ctx, '', [{ field: 'username', message: problemText(lang, 'username', 'required') }], false);
      return;
    }
    await throttles.takeOrThrow('resetAddress', ctx.state.clientIp);
    if (!(await throttles.take('resetAccount', `user:${usernameKey(username)}`))) await accounts.sendPasswordReset(username);
    renderForgotPassword(ctx, '', [], true);
  });

  router.get('/passwort-zuruecksetzen', async (ctx) => {
    const token = typeof ctx.query.t === 'string' ? ctx.query.t : '';
    const check = await accounts.checkResetToken(token);
    if (!check.ok) return renderLinkProblem(ctx, check.reason, accountText(ctx.state.lang).resetExpiredText);
    renderResetForm(ctx, token, []);
  });

  router.post('/passwort-zuruecksetzen', async (ctx) => {
    const t = accountText(ctx.state.lang);
    const token = ctx.state.form.get('t');
    const password = ctx.state.form.get('password');
    const errors = newPasswordErrors(ctx, password, ctx.state.form.get('passwordRepeat'));
    // Check the link before the form, so an expired link is not met with password advice.
    const check = await accounts.checkResetToken(token);
    if (!check.ok) return renderLinkProblem(ctx, check.reason, t.resetExpiredText);
    if (errors.length > 0) return renderResetForm(ctx, token, errors);
    const result = await accounts.resetPassword(token, password);
    if (!result.ok) return renderLinkProblem(ctx, result.reason, t.resetExpiredText);
    if (result.account) await throttles.clearAccountLock(result.account.usernameKey);
    // This browser may have been logged in too: it was ended with all others.
    ctx.state.session.destroy();
    renderPage(ctx, {
      title: t.resetTitle,
      main: html`<h1>${t.resetTitle}</h1>
        <p>${t.resetDone}</p>
        <p><a class="button" href="/anmelden">${t.toLogin}</a></p>`,
    });
  });
}

import type { AccountService } from '../../accounts/service.ts';
import { throttledError, type Throttles } from '../../accounts/throttles.ts';
import type { Clock } from '../../core/clock.ts';
import type { Loa } from '../../core/loa.ts';
import { usernameKey } from '../../core/personal-data.ts';
import type { Login, LoginMethod, MethodView } from '../../login/login.ts';
import type { HubRouter } from '../../web/app.ts';
import type { HubContext } from '../../web/context.ts';
import { field } from '../../web/forms.ts';
import { html } from '../../web/html.ts';
import { fmt } from '../../web/i18n.ts';
import { csrfField } from '../../web/layout.ts';
import { levelWord, waitWords } from '../../web/messages.ts';
import { passwordText } from './messages.ts';

/**
 * Username and password. Yields the level configured for it (`low` by default, DECISIONS 2).
 * Every attempt is counted per client address and per username before the password is checked;
 * a wrong password and an unknown username get the same answer in the same time.
 */

export interface PasswordMethodDeps {
  readonly accounts: AccountService;
  readonly throttles: Throttles;
  readonly login: Login;
  readonly clock: Clock;
  readonly loa: Loa;
}

const PENDING = 'pendingConfirmation';

export function passwordMethod(deps: PasswordMethodDeps): LoginMethod {
  return {
    id: 'password',
    order: 10,
    maxLoa: deps.loa,
    describeLimit: (lang) =>
      lang === 'de'
        ? `Benutzername und Passwort (höchstens „${levelWord(lang, deps.loa)}“)`
        : `User name and password (at most "${levelWord(lang, deps.loa)}")`,
    render(ctx: HubContext, view: MethodView) {
      const lang = ctx.state.lang;
      const t = passwordText(lang);
      return html`<section aria-labelledby="pw-title">
        <h2 id="pw-title">${t.title}</h2>
        ${view.message ? html`<div class="error-summary" role="alert" tabindex="-1">${view.message}</div>` : ''}
        <form method="post" action="/anmelden/passwort">
          ${csrfField(ctx)}${view.requestId ? html`<input type="hidden" name="auftrag" value="${view.requestId}" />` : ''}
          ${field({ name: 'username', label: t.username, value: view.values?.username ?? '', required: true, autocomplete: 'username', maxlength: 64 })}
          ${field({ name: 'password', label: t.password, type: 'password', required: true, autocomplete: 'current-password', maxlength: 128 })}
          <div class="actions"><button type="submit" class="primary">${t.submit}</button></div>
        </form>
        <p><a href="/benutzername-vergessen">${t.forgotUsername}</a> · <a href="/passwort-vergessen">${t.forgotPassword}</a></p>
      </section>`;
    },
  };
}

export function registerPasswordRoutes(router: HubRouter, deps: PasswordMethodDeps): void {
  const { accounts, throttles, login, clock } = deps;

  const fail = (ctx: HubContext, message: string, username: string, status: number): void => {
    const request = login.findOpenRequest(ctx, ctx.state.form.get('auftrag'));
    login.renderPage(ctx, { password: { message: html`<p>${message}</p>`, values: { username } } }, status, request);
  };

  router.post('/anmelden/passwort', async (ctx) => {
    const lang = ctx.state.lang;
    const t = passwordText(lang);
    const username = ctx.state.form.get('username').trim();
    const password = ctx.state.form.get('password');
    if (username === '' || password === '') return fail(ctx, t.missing, username, 400);

    const key = usernameKey(username);
    const refused = await throttles.takeLogin(ctx.state.clientIp, key);
    if (refused) {
      const waitMs = refused.retryAt - clock.now();
      const text = fmt(refused.locked ? t.locked : t.wait, { wait: waitWords(lang, waitMs) });
      ctx.set('Retry-After', String(Math.ceil(waitMs / 1000)));
      return fail(ctx, text, username, throttledError(refused, clock.now()).status);
    }

    const result = await accounts.checkPassword(username, password);
    if (!result.ok && result.reason === 'invalid') {
      await accounts.recordFailedLogin(username);
      return fail(ctx, t.invalid, username, 401);
    }
    await throttles.loginSucceeded(ctx.state.clientIp, key);
    if (!result.ok) {
      // Right password, registration not yet confirmed: offer a new link.
      ctx.state.session.set(PENDING, result.account.id);
      login.renderPage(
        ctx,
        {
          password: {
            message: html`<p>${t.pending}</p>
              <form method="post" action="/anmelden/bestaetigung-senden">
                ${csrfField(ctx)}<button type="submit" class="secondary">${t.resend}</button>
              </form>`,
            values: { username },
          },
        },
        403,
      );
      return;
    }
    await login.complete(
      ctx,
      { accountId: result.account.id, source: 'local', loa: deps.loa, methods: ['pwd'], authnInstant: clock.now(), attributes: {} },
      ctx.state.form.get('auftrag') || undefined,
    );
  });

  router.post('/anmelden/bestaetigung-senden', async (ctx) => {
    const accountId = ctx.state.session.take<string>(PENDING);
    if (accountId !== undefined) {
      await throttles.takeOrThrow('resetAccount', `confirm:${accountId}`);
      await accounts.resendConfirmation(accountId);
    }
    login.renderPage(ctx, { password: { message: html`<p>${passwordText(ctx.state.lang).resent}</p>` } });
  });
}

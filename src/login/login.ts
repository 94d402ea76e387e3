import type { Logger } from 'pino';
import type { AccountService } from '../accounts/service.ts';
import type { Identity } from '../core/identity.ts';
import type { Loa } from '../core/loa.ts';
import type { HubRouter } from '../web/app.ts';
import type { HubContext } from '../web/context.ts';
import { RETURN_TO } from '../web/guards.ts';
import { html, type Html } from '../web/html.ts';
import { renderPage } from '../web/layout.ts';
import { safeLocalPath } from '../web/app.ts';
import { loginText } from './messages.ts';

/**
 * The one login path. Methods (password, later eID and Pass, partner states) register here and
 * render their part of the login page; whichever method authenticates hands an `Identity` to
 * `complete()`, which starts or raises the session and sends the citizen on.
 */

export interface MethodView {
  /** Shown inside the method's part of the page (an error or a notice). */
  readonly message?: Html | undefined;
  /** Values to put back into the form (never a password). */
  readonly values?: Readonly<Record<string, string>>;
}

export interface LoginMethod {
  readonly id: string;
  readonly order: number;
  /** The highest level the method can give. */
  readonly maxLoa: Loa;
  render(ctx: HubContext, view: MethodView): Html;
}

export class Login {
  private readonly methods: LoginMethod[] = [];

  constructor(
    private readonly accounts: AccountService,
    private readonly log: Logger,
  ) {}

  addMethod(method: LoginMethod): void {
    this.methods.push(method);
    this.methods.sort((a, b) => a.order - b.order);
  }

  /** Renders the login page; `views` carry each method's message after a failed attempt. */
  renderPage(ctx: HubContext, views: Readonly<Record<string, MethodView>> = {}, status = 200): void {
    const t = loginText(ctx.state.lang);
    renderPage(ctx, {
      title: t.title,
      status,
      main: html`<h1>${t.title}</h1>
        <p>${t.intro}</p>
        ${this.methods.map((m) => m.render(ctx, views[m.id] ?? {}))}
        <h2>${t.noAccount}</h2>
        <p><a class="button secondary" href="/registrieren">${t.register}</a></p>`,
    });
  }

  /** A method proved who the citizen is: start or raise the session and go on. */
  async complete(ctx: HubContext, identity: Identity): Promise<void> {
    if (identity.accountId === undefined) throw new Error('a local login needs an account');
    ctx.state.session.authenticated(identity.accountId, identity.loa);
    await this.accounts.recordLogin(identity.accountId, { method: identity.methods.join('+'), loa: identity.loa });
    this.log.info({ method: identity.methods, loa: identity.loa }, 'login');
    const target = safeLocalPath(ctx.state.session.take<string>(RETURN_TO), '/konto');
    ctx.redirect(target);
  }

  registerRoutes(router: HubRouter): void {
    router.get('/anmelden', (ctx) => {
      if (ctx.state.session.loa !== undefined) return ctx.redirect(safeLocalPath(ctx.state.session.take<string>(RETURN_TO), '/konto'));
      this.renderPage(ctx);
    });

    router.post('/abmelden', async (ctx) => {
      const t = loginText(ctx.state.lang);
      const accountId = ctx.state.session.accountId;
      ctx.state.session.destroy();
      if (accountId !== undefined) await this.accounts.recordLogout(accountId);
      renderPage(ctx, {
        title: t.loggedOutTitle,
        main: html`<h1>${t.loggedOutTitle}</h1>
          <p>${t.loggedOutText}</p>
          <p><a class="button" href="/anmelden">${t.loginAgain}</a></p>`,
      });
    });
  }
}

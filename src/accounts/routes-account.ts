import { HubError } from '../core/errors.ts';
import { PERSONAL_FIELDS, validatePersonalData, type FieldErrors } from '../core/personal-data.ts';
import { germanDate, type Clock } from '../core/clock.ts';
import type { Account } from '../store/accounts.ts';
import type { AuditRecord } from '../store/audit.ts';
import type { HubRouter } from '../web/app.ts';
import type { HubContext } from '../web/context.ts';
import { errorSummary, field } from '../web/forms.ts';
import { requireLogin } from '../web/guards.ts';
import { html } from '../web/html.ts';
import { fmt, formatDateTime, formatIsoDateForDisplay, type Lang } from '../web/i18n.ts';
import { isLoa } from '../core/loa.ts';
import { csrfField, renderPage } from '../web/layout.ts';
import { frameText, levelWord } from '../web/messages.ts';
import { accountText, fieldLabel, problemText, type AccountField } from './messages.ts';
import { errorList, lockedFields, personalFields } from './personal-form.ts';
import { newPasswordErrors } from './routes-recovery.ts';
import { passwordRules } from './routes-registration.ts';
import { personalDataOf, type AccountService } from './service.ts';
import { throttledError, type Throttles } from './throttles.ts';

/** "Mein Servicekonto": the citizen's data, changes, password, deletion. */

export interface AccountPageDeps {
  readonly accounts: AccountService;
  readonly throttles: Throttles;
  readonly clock: Clock;
  readonly minimumAge: number;
}

export type { AccountSection } from './service.ts';

type Errors = { field: AccountField; message: string }[];

async function currentAccount(ctx: HubContext, accounts: AccountService): Promise<Account> {
  const id = ctx.state.session.accountId;
  const account = id === undefined ? undefined : await accounts.findById(id);
  if (!account) {
    // The account went away under this session (deleted in another browser).
    ctx.state.session.destroy();
    throw new HubError('login_required');
  }
  return account;
}

function activityLine(lang: Lang, r: AuditRecord): string {
  const t = accountText(lang);
  switch (r.event) {
    case 'login.succeeded': {
      const level = typeof r.detail.loa === 'string' && isLoa(r.detail.loa) ? levelWord(lang, r.detail.loa) : '?';
      const method =
        r.detail.method === 'pwd'
          ? t.methodPwd
          : r.detail.method === 'eid'
            ? t.methodEid
            : r.detail.method === 'pass'
              ? t.methodPass
              : String(r.detail.method ?? '');
      return fmt(t.activityLogin, { method, level });
    }
    case 'password.changed':
      return t.activityPasswordChanged;
    case 'password.reset':
      return t.activityPasswordReset;
    case 'data.changed': {
      const fields = Array.isArray(r.detail.fields) ? (r.detail.fields as string[]) : [];
      const names = fields.map((f) => ((PERSONAL_FIELDS as readonly string[]).includes(f) ? fieldLabel(lang, f as AccountField) : f));
      return fmt(t.activityDataChanged, { fields: names.join(', ') });
    }
    case 'email.changed':
      return t.activityEmailChanged;
    case 'eid.bound':
      return t.activityEidBound;
    case 'passkey.added': {
      const level = typeof r.detail.loa === 'string' && isLoa(r.detail.loa) ? levelWord(lang, r.detail.loa) : '?';
      return fmt(t.activityPassAdded, { level });
    }
    case 'passkey.removed':
      return t.activityPassRemoved;
    case 'passkey.counterRegression':
      return t.activityPassCounter;
    default:
      return r.event;
  }
}

export function registerAccountRoutes(router: HubRouter, deps: AccountPageDeps): void {
  const { accounts, throttles, clock } = deps;

  router.get('/konto', requireLogin, async (ctx) => {
    const lang = ctx.state.lang;
    const t = accountText(lang);
    const account = await currentAccount(ctx, accounts);
    const attributes = await accounts.attributes(account.id);
    const data = personalDataOf(attributes);
    const pending = await accounts.pendingEmailChange(account.id);
    const activity = await accounts.recentActivity(account.id);
    const extra = await Promise.all(accounts.sections.map((s) => s.render(ctx, account)));
    renderPage(ctx, {
      title: t.accountTitle,
      notice: ctx.state.session.take<string>('accountNotice'),
      main: html`<h1>${t.accountTitle}</h1>
        <p>${fmt(t.loginSince, { username: account.username })}</p>
        <h2>${t.myData}</h2>
        <dl class="review">
          ${PERSONAL_FIELDS.map((f) => {
            const v = data[f];
            return html`<dt>${fieldLabel(lang, f)}</dt>
              <dd>
                ${v === undefined ? t.notGiven : f === 'dateOfBirth' ? formatIsoDateForDisplay(lang, v) : v}
                ${v !== undefined && attributes[f]?.source !== 'self' ? html`<span class="verified">${t.lockedMark}</span>` : ''}
              </dd>`;
          })}
        </dl>
        ${pending?.payload ? html`<p class="notice">${fmt(t.pendingEmail, { email: pending.payload, until: formatDateTime(lang, pending.expiresAt) })}</p>` : ''}
        <ul>
          <li><a href="/konto/daten">${t.changeData}</a></li>
          <li><a href="/konto/passwort">${account.passwordHash === null ? t.setPassword : t.changePassword}</a></li>
          <li><a href="/konto/loeschen">${t.deleteAccount}</a></li>
        </ul>
        ${extra}
        <h2>${t.activityTitle}</h2>
        ${
          activity.length === 0
            ? html`<p>${t.activityNone}</p>`
            : html`<table>
                <thead>
                  <tr>
                    <th scope="col">${t.activityWhen}</th>
                    <th scope="col">${t.activityWhat}</th>
                  </tr>
                </thead>
                <tbody>
                  ${activity.map(
                    (r) =>
                      html`<tr>
                        <td>${formatDateTime(lang, r.at)}</td>
                        <td>${activityLine(lang, r)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }`,
    });
  });

  // ---- Meine Daten ändern --------------------------------------------------------------

  const renderChangeData = async (
    ctx: HubContext,
    account: Account,
    values: Record<string, string> | undefined,
    errors: Errors,
  ): Promise<void> => {
    const lang = ctx.state.lang;
    const t = accountText(lang);
    const attributes = await accounts.attributes(account.id);
    renderPage(ctx, {
      title: t.changeDataTitle,
      status: errors.length > 0 ? 400 : 200,
      main: html`<h1>${t.changeDataTitle}</h1>
        ${errorSummary(frameText(lang).errorSummaryTitle, errors)}
        <p>${t.changeDataIntro}</p>
        <form method="post" action="/konto/daten" novalidate>
          ${csrfField(ctx)} ${personalFields(lang, values ?? personalDataOf(attributes), errors, lockedFields(attributes))}
          <div class="actions">
            <a class="button secondary" href="/konto">${t.cancel}</a><button type="submit" class="primary">${t.saveChanges}</button>
          </div>
        </form>`,
    });
  };

  router.get('/konto/daten', requireLogin, async (ctx) => {
    const account = await currentAccount(ctx, accounts);
    const gate = await accounts.gateAction(ctx, account, 'changeData');
    if (gate.kind === 'redirect') return ctx.redirect(gate.url);
    await renderChangeData(ctx, account, undefined, []);
  });

  router.post('/konto/daten', requireLogin, async (ctx) => {
    const lang = ctx.state.lang;
    const t = accountText(lang);
    const account = await currentAccount(ctx, accounts);
    const gate = await accounts.gateAction(ctx, account, 'changeData');
    if (gate.kind === 'redirect') return ctx.redirect(gate.url);
    const attributes = await accounts.attributes(account.id);
    const locked = lockedFields(attributes);
    const input = ctx.state.form.pick(PERSONAL_FIELDS);
    // Verified values cannot be changed here; they keep what the card said.
    for (const f of locked) input[f] = attributes[f]?.value ?? '';
    const result = validatePersonalData(input, { today: germanDate(clock.now()), minimumAge: deps.minimumAge, trusted: locked });
    if (!result.ok)
      return renderChangeData(
        ctx,
        account,
        input,
        errorList(lang, result.errors as FieldErrors<AccountField>, { minimumAge: deps.minimumAge }),
      );
    const saved = await accounts.changePersonalData(account, result.value, lang);
    if (!saved.ok) return renderChangeData(ctx, account, input, [{ field: 'deMail', message: problemText(lang, 'deMail', 'deMailTaken') }]);
    ctx.state.session.set(
      'accountNotice',
      !saved.emailChangePending ? t.dataSaved : saved.mailSent ? t.dataSavedEmailPending : t.dataSavedMailFailed,
    );
    ctx.redirect('/konto');
  });

  router.get('/konto/email-bestaetigen', async (ctx) => {
    const t = accountText(ctx.state.lang);
    const token = typeof ctx.query.t === 'string' ? ctx.query.t : '';
    const check = await accounts.confirmEmailChange(token);
    if (!check.ok && check.reason === 'invalid') throw new HubError('token_invalid');
    if (!check.ok) {
      renderPage(ctx, {
        title: t.linkExpiredTitle,
        status: 410,
        main: html`<h1>${t.linkExpiredTitle}</h1>
          <p>${t.emailExpiredText}</p>`,
      });
      return;
    }
    renderPage(ctx, {
      title: t.emailConfirmedTitle,
      main: html`<h1>${t.emailConfirmedTitle}</h1>
        <p>${t.emailConfirmedText}</p>
        <p><a href="/konto">${t.toAccount}</a></p>`,
    });
  });

  // ---- Passwort ändern -----------------------------------------------------------------

  /** `withCurrent` false: an account without a password sets its first one (after a fresh strong login). */
  const renderChangePassword = (ctx: HubContext, errors: Errors, withCurrent = true): void => {
    const lang = ctx.state.lang;
    const t = accountText(lang);
    const err = (f: AccountField): string | undefined => errors.find((e) => e.field === f)?.message;
    const title = withCurrent ? t.changePasswordTitle : t.setPasswordTitle;
    renderPage(ctx, {
      title,
      status: errors.length > 0 ? 400 : 200,
      main: html`<h1>${title}</h1>
        ${errorSummary(frameText(lang).errorSummaryTitle, errors)}
        <form method="post" action="/konto/passwort" novalidate>
          ${csrfField(ctx)}
          ${withCurrent ? field({ name: 'currentPassword', label: fieldLabel(lang, 'currentPassword'), type: 'password', required: true, autocomplete: 'current-password', maxlength: 128, error: err('currentPassword') }) : ''}
          ${field({ name: 'password', label: t.newPassword, type: 'password', hint: passwordRules(lang), required: true, autocomplete: 'new-password', maxlength: 128, error: err('password') })}
          ${field({ name: 'passwordRepeat', label: fieldLabel(lang, 'passwordRepeat'), type: 'password', required: true, autocomplete: 'new-password', maxlength: 128, error: err('passwordRepeat') })}
          <div class="actions">
            <a class="button secondary" href="/konto">${t.cancel}</a
            ><button type="submit" class="primary">${withCurrent ? t.changePassword : t.setPassword}</button>
          </div>
        </form>`,
    });
  };

  /** Re-entering the password is a login attempt: same throttle, same lock. */
  const confirmPassword = async (ctx: HubContext, account: Account, password: string): Promise<boolean> => {
    const refused = await throttles.takeLogin(ctx.state.clientIp, account.usernameKey);
    if (refused) throw throttledError(refused, clock.now());
    const ok = await accounts.verifyAccountPassword(account, password);
    if (ok) await throttles.loginSucceeded(ctx.state.clientIp, account.usernameKey);
    return ok;
  };

  router.get('/konto/passwort', requireLogin, async (ctx) => {
    const account = await currentAccount(ctx, accounts);
    // The password is an authenticator: on an account with a card, changing it needs the card
    // (DECISIONS 14), which then also stands in for the current password.
    const gate = await accounts.gateAction(ctx, account, 'setPassword');
    if (gate.kind === 'redirect') return ctx.redirect(gate.url);
    renderChangePassword(ctx, [], account.passwordHash !== null && gate.kind !== 'confirmed');
  });

  router.post('/konto/passwort', requireLogin, async (ctx) => {
    const lang = ctx.state.lang;
    const account = await currentAccount(ctx, accounts);
    const gate = await accounts.gateAction(ctx, account, 'setPassword');
    if (gate.kind === 'redirect') return ctx.redirect(gate.url);
    const withCurrent = account.passwordHash !== null && gate.kind !== 'confirmed';
    const password = ctx.state.form.get('password');
    const errors = newPasswordErrors(ctx, password, ctx.state.form.get('passwordRepeat'));
    if (withCurrent && !(await confirmPassword(ctx, account, ctx.state.form.get('currentPassword')))) {
      errors.unshift({ field: 'currentPassword', message: accountText(lang).wrongPassword });
    }
    if (errors.length > 0) return renderChangePassword(ctx, errors, withCurrent);
    await accounts.changePassword(account, password, ctx.state.session.idHash);
    ctx.state.session.set('accountNotice', accountText(lang).passwordChanged);
    ctx.redirect('/konto');
  });

  // ---- Servicekonto löschen ------------------------------------------------------------

  /** `confirmed`: a fresh strong login (the ID card) stands in for re-entering the password. */
  const renderDelete = async (ctx: HubContext, account: Account, errors: Errors, confirmed = false): Promise<void> => {
    const lang = ctx.state.lang;
    const t = accountText(lang);
    // What other modules want said before everything is gone (the Postkorb's download).
    const sections = await Promise.all(accounts.deletePageSections.map((s) => s.render(ctx, account)));
    renderPage(ctx, {
      title: t.deleteTitle,
      status: errors.length > 0 ? 400 : 200,
      main: html`<h1>${t.deleteTitle}</h1>
        ${errorSummary(frameText(lang).errorSummaryTitle, errors)}
        <p>${t.deleteIntro}</p>
        ${sections}
        <form method="post" action="/konto/loeschen" novalidate>
          ${csrfField(ctx)}
          ${confirmed ? html`<p>${t.deleteConfirmedByAuthn}</p>` : field({ name: 'currentPassword', label: t.deleteConfirmLabel, type: 'password', required: true, autocomplete: 'current-password', maxlength: 128, error: errors[0]?.message })}
          <div class="actions">
            <a class="button secondary" href="/konto">${t.cancel}</a><button type="submit" class="danger">${t.deleteSubmit}</button>
          </div>
        </form>`,
    });
  };

  router.get('/konto/loeschen', requireLogin, async (ctx) => {
    const account = await currentAccount(ctx, accounts);
    const gate = await accounts.gateAction(ctx, account, 'deleteAccount');
    if (gate.kind === 'redirect') return ctx.redirect(gate.url);
    await renderDelete(ctx, account, [], gate.kind === 'confirmed');
  });

  router.post('/konto/loeschen', requireLogin, async (ctx) => {
    const lang = ctx.state.lang;
    const t = accountText(lang);
    const account = await currentAccount(ctx, accounts);
    const gate = await accounts.gateAction(ctx, account, 'deleteAccount');
    if (gate.kind === 'redirect') return ctx.redirect(gate.url);
    if (gate.kind !== 'confirmed' && !(await confirmPassword(ctx, account, ctx.state.form.get('currentPassword')))) {
      return renderDelete(ctx, account, [{ field: 'currentPassword', message: t.wrongPassword }]);
    }
    await accounts.deleteAccount(account);
    ctx.state.session.destroy();
    renderPage(ctx, {
      title: t.deletedTitle,
      main: html`<h1>${t.deletedTitle}</h1>
        <p>${t.deletedText}</p>
        <p><a href="/">${frameText(lang).backHome}</a></p>`,
    });
  });
}

/** The start page: what the Servicekonto is, Registrieren and Anmelden. */
export function registerStartPage(router: HubRouter): void {
  router.get('/', (ctx) => {
    const t = accountText(ctx.state.lang);
    const f = frameText(ctx.state.lang);
    const loggedIn = ctx.state.session.loa !== undefined;
    renderPage(ctx, {
      title: t.startTitle,
      main: html`<h1>${t.startTitle}</h1>
        <p>${t.startIntro}</p>
        <div class="start-actions">
          ${loggedIn ? html`<a class="button" href="/konto">${f.navAccount}</a>` : html`<a class="button" href="/registrieren">${t.register}</a><a class="button secondary" href="/anmelden">${t.login}</a>`}
        </div>
        <ul>
          <li><a href="/leichte-sprache">${f.leichteSprache}</a></li>
          <li><a href="/gebaerdensprache">${f.gebaerdensprache}</a></li>
        </ul>`,
    });
  });
}

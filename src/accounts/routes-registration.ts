import type { Clock } from '../core/clock.ts';
import { germanDate } from '../core/clock.ts';
import { HubError } from '../core/errors.ts';
import { PASSWORD_SPECIAL_CHARACTERS, checkPassword } from '../core/password-policy.ts';
import {
  PERSONAL_FIELDS,
  isValidUsername,
  validatePersonalData,
  type FieldErrors,
  type PersonalData,
  type PersonalField,
} from '../core/personal-data.ts';
import type { HubRouter } from '../web/app.ts';
import { RETURN_TO } from '../web/guards.ts';
import type { HubContext } from '../web/context.ts';
import { checkbox, errorSummary, field } from '../web/forms.ts';
import { html, type Html } from '../web/html.ts';
import { fmt, formatIsoDateForDisplay, type Lang } from '../web/i18n.ts';
import { csrfField, renderPage } from '../web/layout.ts';
import { frameText } from '../web/messages.ts';
import { accountText, fieldLabel, passwordRuleText, problemText, type AccountField } from './messages.ts';
import { hashPassword } from './passwords.ts';
import { errorList, personalFields } from './personal-form.ts';
import type { AccountService, RegistrationChoice, RegistrationOption } from './service.ts';
import type { FormFields } from '../web/form-body.ts';
import type { Throttles } from './throttles.ts';

/**
 * Registration in three steps (personal data, credentials, review). Until "Sichern" everything
 * lives in the server-side session: an interrupted registration stores nothing in the account
 * tables. The password is kept only as its Argon2id hash, never as text.
 */

const DRAFT = 'registration';

interface Draft {
  personal?: PersonalData;
  username?: string;
  passwordHash?: string;
  /** Registration options ticked (e.g. "Postkorb erstellen"). */
  options?: string[];
}

export interface RegistrationDeps {
  readonly accounts: AccountService;
  readonly throttles: Throttles;
  readonly clock: Clock;
  readonly minimumAge: number;
}

function draftOf(ctx: HubContext): Draft {
  return ctx.state.session.get<Draft>(DRAFT) ?? {};
}

function steps(lang: Lang, current: 1 | 2 | 3): Html {
  const t = accountText(lang);
  const labels = [t.step1, t.step2, t.step3];
  return html`<ol class="steps" aria-label="${t.stepsLabel}">
    ${labels.map((label, i) => html`<li${i + 1 === current ? html` aria-current="step"` : ''}>${label}</li>`)}
  </ol>`;
}

export function passwordRules(lang: Lang): Html {
  const t = accountText(lang);
  const specials = PASSWORD_SPECIAL_CHARACTERS.filter((c) => c !== ' ').join(' ');
  return html`<p>${t.passwordRulesTitle}</p>
    <ul>
      <li>${t.passwordRuleLength}</li>
      <li>${t.passwordRuleUpper}</li>
      <li>${t.passwordRuleLower}</li>
      <li>${t.passwordRuleDigit}</li>
      <li>${fmt(t.passwordRuleSpecial, { specials })}</li>
    </ul>`;
}

/** The message for a password that breaks the policy, naming the rules and refused characters. */
export function passwordProblem(lang: Lang, fieldName: AccountField, password: string): string | undefined {
  const check = checkPassword(password);
  if (check.ok) return undefined;
  const rules = check.broken
    .map((r) =>
      r === 'allowedCharacters'
        ? `${passwordRuleText(lang, r)} (${lang === 'de' ? 'nicht erlaubt' : 'not allowed'}: ${check.refusedCharacters
            .map((c) => (c === '\t' ? 'Tab' : `„${c}“`))
            .join(' ')})`
        : passwordRuleText(lang, r),
    )
    .join(', ');
  return problemText(lang, fieldName, 'password', { rules });
}

function renderStep1(
  ctx: HubContext,
  values: Readonly<Partial<Record<PersonalField, string>>>,
  errors: { field: AccountField; message: string }[],
  choices: readonly RegistrationChoice[] = [],
): void {
  const lang = ctx.state.lang;
  const t = accountText(lang);
  renderPage(ctx, {
    title: `${t.registerTitle} – ${t.step1}`,
    status: errors.length > 0 ? 400 : 200,
    main: html`<h1>${t.registerTitle}</h1>
      ${choices.map((c) => c.render(ctx))} ${steps(lang, 1)} ${errorSummary(frameText(lang).errorSummaryTitle, errors)}
      <p>${t.requiredNote}</p>
      <form method="post" action="/registrieren" novalidate>
        ${csrfField(ctx)} ${personalFields(lang, values, errors)}
        <div class="actions"><button type="submit" class="primary">${t.next}</button></div>
      </form>`,
  });
}

/** The checkboxes of the registration options (another module's, e.g. "Postkorb erstellen"). */
export function registrationOptionFields(ctx: HubContext, options: readonly RegistrationOption[], chosen: readonly string[]): Html {
  const lang = ctx.state.lang;
  return html`${options.map((o) => checkbox({ name: o.name, label: o.label(lang), hint: o.hint(lang), checked: chosen.includes(o.name) }))}`;
}

/** The registration options ticked in a posted form. */
export function chosenOptions(form: FormFields, options: readonly RegistrationOption[]): string[] {
  return options.filter((o) => form.get(o.name) === 'yes').map((o) => o.name);
}

/** The review page's lines for the registration options. */
export function reviewOptions(lang: Lang, options: readonly RegistrationOption[], chosen: readonly string[]): Html {
  const t = accountText(lang);
  return html`${options.map(
    (o) =>
      html`<dt>${o.label(lang)}</dt>
        <dd>${chosen.includes(o.name) ? t.optionYes : t.optionNo}</dd>`,
  )}`;
}

function renderStep2(
  ctx: HubContext,
  username: string,
  errors: { field: AccountField; message: string }[],
  options: readonly RegistrationOption[] = [],
  chosen: readonly string[] = [],
): void {
  const lang = ctx.state.lang;
  const t = accountText(lang);
  const err = (f: AccountField): string | undefined => errors.find((e) => e.field === f)?.message;
  renderPage(ctx, {
    title: `${t.registerTitle} – ${t.step2}`,
    status: errors.length > 0 ? 400 : 200,
    main: html`<h1>${t.registerTitle}</h1>
      ${steps(lang, 2)} ${errorSummary(frameText(lang).errorSummaryTitle, errors)}
      <form method="post" action="/registrieren/zugangsdaten" novalidate>
        ${csrfField(ctx)}
        ${field({ name: 'username', label: fieldLabel(lang, 'username'), value: username, hint: t.usernameHint, required: true, autocomplete: 'username', maxlength: 64, error: err('username') })}
        ${field({ name: 'password', label: fieldLabel(lang, 'password'), type: 'password', hint: passwordRules(lang), required: true, autocomplete: 'new-password', maxlength: 128, error: err('password') })}
        ${field({ name: 'passwordRepeat', label: fieldLabel(lang, 'passwordRepeat'), type: 'password', required: true, autocomplete: 'new-password', maxlength: 128, error: err('passwordRepeat') })}
        ${checkbox({
          name: 'privacy',
          label: html`${fmt(t.privacyLabel, { link: '\u0000' })
            .split('\u0000')
            .map((part, i) => (i === 0 ? part : html`<a href="/datenschutz">${t.privacyLinkText}</a>${part}`))}`,
          required: true,
          error: err('privacy'),
        })}
        ${registrationOptionFields(ctx, options, chosen)}
        <div class="actions">
          <a class="button secondary" href="/registrieren">${t.back}</a>
          <button type="submit" class="primary">${t.next}</button>
        </div>
      </form>`,
  });
}

function reviewList(lang: Lang, p: PersonalData): Html {
  const t = accountText(lang);
  return html`<dl class="review">
    ${PERSONAL_FIELDS.map((f) => {
      const raw = p[f];
      const shown = raw === undefined ? t.notGiven : f === 'dateOfBirth' ? formatIsoDateForDisplay(lang, raw) : raw;
      return html`<dt>${fieldLabel(lang, f)}</dt>
        <dd>${shown}</dd>`;
    })}
  </dl>`;
}

export function registerRegistrationRoutes(router: HubRouter, deps: RegistrationDeps): void {
  const { accounts, throttles, clock } = deps;

  /** A conflict found only at "Sichern" is shown on the step where it can be fixed. */
  const takeProblem = (ctx: HubContext): { field: AccountField; message: string }[] => {
    const p = ctx.state.session.take<{ field: AccountField; message: string }>('registrationProblem');
    return p ? [p] : [];
  };

  router.get('/registrieren', (ctx) => {
    // Registering on the way to a portal: the login for it continues after the confirmation.
    const auftrag = typeof ctx.query.auftrag === 'string' ? ctx.query.auftrag : '';
    if (/^[A-Za-z0-9_-]{10,64}$/.test(auftrag)) ctx.state.session.set(RETURN_TO, `/anmelden?auftrag=${auftrag}`);
    renderStep1(ctx, draftOf(ctx).personal ?? {}, takeProblem(ctx), accounts.registrationChoices);
  });

  router.post('/registrieren', async (ctx) => {
    const lang = ctx.state.lang;
    const input = ctx.state.form.pick(PERSONAL_FIELDS);
    const result = validatePersonalData(input, { today: germanDate(clock.now()), minimumAge: deps.minimumAge });
    let errors: FieldErrors<AccountField> = result.ok ? {} : result.errors;
    if (result.ok && result.value.deMail && (await accounts.isDeMailTaken(result.value.deMail))) errors = { deMail: 'deMailTaken' };
    if (!result.ok || Object.keys(errors).length > 0) {
      renderStep1(ctx, input, errorList(lang, errors, { minimumAge: deps.minimumAge }), accounts.registrationChoices);
      return;
    }
    ctx.state.session.set(DRAFT, { ...draftOf(ctx), personal: result.value });
    ctx.redirect('/registrieren/zugangsdaten');
  });

  router.get('/registrieren/zugangsdaten', (ctx) => {
    const draft = draftOf(ctx);
    if (!draft.personal) return ctx.redirect('/registrieren');
    renderStep2(ctx, draft.username ?? '', takeProblem(ctx), accounts.registrationOptions, draft.options ?? []);
  });

  router.post('/registrieren/zugangsdaten', async (ctx) => {
    const lang = ctx.state.lang;
    const draft = draftOf(ctx);
    if (!draft.personal) return ctx.redirect('/registrieren');
    const username = ctx.state.form.get('username').trim();
    const password = ctx.state.form.get('password');
    const repeat = ctx.state.form.get('passwordRepeat');
    const errors: { field: AccountField; message: string }[] = [];
    if (username === '') errors.push({ field: 'username', message: problemText(lang, 'username', 'required') });
    else if (!isValidUsername(username)) errors.push({ field: 'username', message: problemText(lang, 'username', 'username') });
    else if (await accounts.isUsernameTaken(username))
      errors.push({ field: 'username', message: problemText(lang, 'username', 'usernameTaken') });
    const pwProblem = password === '' ? problemText(lang, 'password', 'required') : passwordProblem(lang, 'password', password);
    if (pwProblem) errors.push({ field: 'password', message: pwProblem });
    else if (repeat !== password)
      errors.push({ field: 'passwordRepeat', message: problemText(lang, 'passwordRepeat', 'passwordMismatch') });
    if (ctx.state.form.get('privacy') !== 'yes') errors.push({ field: 'privacy', message: problemText(lang, 'privacy', 'privacyConsent') });
    const options = chosenOptions(ctx.state.form, accounts.registrationOptions);
    if (errors.length > 0) {
      renderStep2(ctx, username, errors, accounts.registrationOptions, options);
      return;
    }
    ctx.state.session.set(DRAFT, { ...draft, username, passwordHash: await hashPassword(password), options });
    ctx.redirect('/registrieren/pruefen');
  });

  router.get('/registrieren/pruefen', (ctx) => {
    const lang = ctx.state.lang;
    const t = accountText(lang);
    const draft = draftOf(ctx);
    if (!draft.personal) return ctx.redirect('/registrieren');
    if (!draft.username || !draft.passwordHash) return ctx.redirect('/registrieren/zugangsdaten');
    renderPage(ctx, {
      title: `${t.registerTitle} – ${t.step3}`,
      main: html`<h1>${t.reviewTitle}</h1>
        ${steps(lang, 3)}
        <p>${t.reviewIntro}</p>
        <h2>${t.personalSection}</h2>
        ${reviewList(lang, draft.personal)}
        <p>
          <a href="/registrieren">${t.change}<span class="visually-hidden">: ${t.personalSection}</span></a>
        </p>
        <h2>${t.credentialsSection}</h2>
        <dl class="review">
          <dt>${fieldLabel(lang, 'username')}</dt>
          <dd>${draft.username}</dd>
          <dt>${fieldLabel(lang, 'password')}</dt>
          <dd>${t.passwordSet}</dd>
          ${reviewOptions(lang, accounts.registrationOptions, draft.options ?? [])}
        </dl>
        <p>
          <a href="/registrieren/zugangsdaten">${t.change}<span class="visually-hidden">: ${t.credentialsSection}</span></a>
        </p>
        <form method="post" action="/registrieren/pruefen">
          ${csrfField(ctx)}
          <div class="actions"><button type="submit" class="primary">${t.save}</button></div>
        </form>`,
    });
  });

  router.post('/registrieren/pruefen', async (ctx) => {
    const lang = ctx.state.lang;
    const draft = draftOf(ctx);
    if (!draft.personal || !draft.username || !draft.passwordHash) return ctx.redirect('/registrieren');
    await throttles.takeOrThrow('registrationAddress', ctx.state.clientIp);
    const result = await accounts.register({
      personal: draft.personal,
      username: draft.username,
      passwordHash: draft.passwordHash,
      lang,
      options: draft.options ?? [],
    });
    if (!result.ok) {
      // Someone else took the username or De-Mail address since step 2: back to that step.
      const fieldName: AccountField = result.problem === 'usernameTaken' ? 'username' : 'deMail';
      ctx.state.session.set('registrationProblem', { field: fieldName, message: problemText(lang, fieldName, result.problem) });
      ctx.redirect(result.problem === 'usernameTaken' ? '/registrieren/zugangsdaten' : '/registrieren');
      return;
    }
    ctx.state.session.delete(DRAFT);
    ctx.state.session.set('registered', { email: draft.personal.email, mailSent: result.mailSent });
    ctx.redirect('/registrieren/gesendet');
  });

  router.get('/registrieren/gesendet', (ctx) => {
    const t = accountText(ctx.state.lang);
    // Shown once: the address should not linger in an anonymous session.
    const done = ctx.state.session.take<{ email: string; mailSent: boolean }>('registered');
    if (!done) return ctx.redirect('/');
    renderPage(ctx, {
      title: t.registeredTitle,
      main: html`<h1>${t.registeredTitle}</h1>
        <p>${done.mailSent ? fmt(t.registeredText, { email: done.email }) : t.registeredMailFailed}</p>`,
    });
  });

  router.get('/registrieren/bestaetigen', async (ctx) => {
    const t = accountText(ctx.state.lang);
    const token = typeof ctx.query.t === 'string' ? ctx.query.t : '';
    const check = await accounts.confirmRegistration(token);
    if (check.ok) {
      renderPage(ctx, {
        title: t.confirmedTitle,
        main: html`<h1>${t.confirmedTitle}</h1>
          <p>${t.confirmedText}</p>
          <p><a class="button" href="/anmelden">${t.toLogin}</a></p>`,
      });
      return;
    }
    if (check.reason === 'expired') {
      renderPage(ctx, {
        title: t.linkExpiredTitle,
        status: 410,
        main: html`<h1>${t.linkExpiredTitle}</h1>
          <p>${t.confirmExpiredText}</p>
          <p><a href="/registrieren">${t.register}</a></p>`,
      });
      return;
    }
    throw new HubError('token_invalid');
  });
}

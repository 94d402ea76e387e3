import { accountText, fieldLabel, problemText, type AccountField } from '../../accounts/messages.ts';
import { hashPassword } from '../../accounts/passwords.ts';
import {
  chosenOptions,
  passwordProblem,
  passwordRules,
  registrationOptionFields,
  reviewOptions,
} from '../../accounts/routes-registration.ts';
import type { RegistrationChoice } from '../../accounts/service.ts';
import type { Throttles } from '../../accounts/throttles.ts';
import { attributeLabel } from '../../accounts/messages.ts';
import { ATTRIBUTE_NAMES, type Attributes } from '../../core/attributes.ts';
import { MINUTE } from '../../core/clock.ts';
import { isEmailAddress, isValidUsername, MAX_EMAIL_LENGTH, normalizeText } from '../../core/personal-data.ts';
import { bindCard, findBindingByCard, restrictedIdHash } from '../../store/eid.ts';
import type { HubRouter } from '../../web/app.ts';
import type { HubContext } from '../../web/context.ts';
import { checkbox, errorSummary, field } from '../../web/forms.ts';
import { html, type Html } from '../../web/html.ts';
import { fmt, formatIsoDateForDisplay, type Lang } from '../../web/i18n.ts';
import { csrfField, renderPage } from '../../web/layout.ts';
import { frameText } from '../../web/messages.ts';
import type { CardIdentity } from './card-data.ts';
import { failureStatus, failureText, type EidContext } from './common.ts';
import type { EidIntent, EidOutcome } from './flow.ts';
import { countryWord, documentTypeWord, eidText } from './texts.ts';

/**
 * "Registrieren mit der Online-Ausweisfunktion": the card is read first; its data fill the account,
 * verified ({loa: high, source: eid}) and not editable by the citizen; the account is bound to the
 * card's RestrictedID. The citizen chooses a username, an optional password (without one the
 * account logs in with the ID card only) and confirms an e-mail address within 24 hours, as with
 * every registration. Until "Sichern" everything lives in the server-side session.
 */

const DRAFT = 'eid.registration';
/** The card's data wait this long for the rest of the registration. */
const DRAFT_LIFETIME_MS = 30 * MINUTE;

interface Draft {
  readonly restrictedIdHash: string;
  readonly attributes: Attributes;
  readonly documentType: string | null;
  readonly readAt: number;
  readonly username?: string;
  readonly email?: string;
  /** Set once step 2 passed; `null` = no password. */
  readonly passwordHash?: string | null;
  /** Registration options ticked (e.g. "Postkorb erstellen"). */
  readonly options?: readonly string[];
  /** Begun from the consent page of a temporary login: the portal request to go back to. */
  readonly requestId?: string;
}

/**
 * "Servicekonto mit diesen Daten anlegen" after a temporary eID login (issue 9): the consent
 * page posts here, and the registration starts from the card's data already read.
 */
export const TEMPORARY_REGISTRATION_PATH = '/registrieren/ausweis/aus-anmeldung';

const TEMPORARY_CARD = 'eid.temporaryCard';

/** What a temporary login keeps of a card besides its data (which the login's identity holds). */
interface TemporaryCard {
  readonly restrictedIdHash: string;
  readonly documentType: string | null;
  readonly readAt: number;
}

/** Keeps, in the session of a temporary login, what the registration needs besides the card's data. */
export function keepTemporaryCard(ctx: HubContext, card: CardIdentity, now: number): void {
  const kept: TemporaryCard = {
    restrictedIdHash: restrictedIdHash(card.restrictedId),
    documentType: card.documentType ?? null,
    readAt: now,
  };
  ctx.state.session.set(TEMPORARY_CARD, kept);
}

/** Keeps a card's data in the session for the registration (also after a login with an unknown card). */
export function keepRegistrationDraft(ctx: HubContext, card: CardIdentity, now: number): void {
  const draft: Draft = {
    restrictedIdHash: restrictedIdHash(card.restrictedId),
    attributes: card.attributes,
    documentType: card.documentType ?? null,
    readAt: now,
  };
  ctx.state.session.set(DRAFT, draft);
}

type Errors = { field: AccountField; message: string }[];

function steps(lang: Lang, current: 1 | 2 | 3): Html {
  const t = eidText(lang);
  return html`<ol class="steps" aria-label="${t.regStepsLabel}">
    ${[t.regStep1, t.regStep2, t.regStep3].map((label, i) => html`<li${i + 1 === current ? html` aria-current="step"` : ''}>${label}</li>`)}
  </ol>`;
}

/** The card's data as a definition list, in the hub's attribute order. */
export function cardDataList(lang: Lang, attributes: Attributes): Html {
  return html`<dl class="review">
    ${ATTRIBUTE_NAMES.filter((n) => attributes[n]?.source === 'eid').map((n) => {
      const v = attributes[n]?.value ?? '';
      const shown =
        n === 'dateOfBirth'
          ? formatIsoDateForDisplay(lang, v)
          : n === 'documentType'
            ? documentTypeWord(lang, v)
            : n === 'nationality'
              ? countryWord(lang, v, 'nationality')
              : n === 'issuingState' || n === 'country'
                ? countryWord(lang, v, 'state')
                : v;
      return html`<dt>${attributeLabel(lang, n)}</dt>
        <dd>${shown}</dd>`;
    })}
  </dl>`;
}

/** The offer on the first page of the ordinary registration. */
export function eidRegistrationChoice(): RegistrationChoice {
  return {
    order: 10,
    render(ctx) {
      const t = eidText(ctx.state.lang);
      return html`<div class="notice choice">
        <p>${t.registerChoice} <a href="/registrieren/ausweis">${t.methodRegister}</a></p>
      </div>`;
    },
  };
}

export function registerEidRegistration(router: HubRouter, c: EidContext, throttles: Throttles): void {
  const { accounts, flow, clock } = c;

  const draftOf = (ctx: HubContext): Draft | undefined => {
    const d = ctx.state.session.get<Draft>(DRAFT);
    if (d && clock.now() - d.readAt < DRAFT_LIFETIME_MS) return d;
    if (d) ctx.state.session.delete(DRAFT);
    return undefined;
  };

  const renderStart = (ctx: HubContext, problem?: string, status = 200): void => {
    const lang = ctx.state.lang;
    const t = eidText(lang);
    renderPage(ctx, {
      title: t.regTitle,
      status,
      main: html`<h1>${t.regTitle}</h1>
        ${steps(lang, 1)} ${problem ? html`<div class="error-summary" role="alert" tabindex="-1"><p>${problem}</p></div>` : ''}
        <p>${t.regIntro}</p>
        <p>${t.regNeed}</p>
        <ul>
          <li>${t.regNeedCard}</li>
          <li>${t.regNeedPin}</li>
          <li>${t.regNeedApp}</li>
        </ul>
        <form method="post" action="/registrieren/ausweis">
          ${csrfField(ctx)}
          <div class="actions">
            <a class="button secondary" href="/registrieren">${t.regWithout}</a>
            <button type="submit" class="primary">${t.regStart}</button>
          </div>
        </form>`,
    });
  };

  const renderCredentials = (
    ctx: HubContext,
    draft: Draft,
    values: { username: string; email: string; options?: readonly string[] },
    errors: Errors,
  ): void => {
    const lang = ctx.state.lang;
    const t = eidText(lang);
    const a = accountText(lang);
    const err = (f: AccountField): string | undefined => errors.find((e) => e.field === f)?.message;
    renderPage(ctx, {
      title: `${t.regTitle} – ${t.regStep2}`,
      status: errors.length > 0 ? 400 : 200,
      main: html`<h1>${t.regTitle}</h1>
        ${steps(lang, 2)} ${errorSummary(frameText(lang).errorSummaryTitle, errors)}
        <h2>${t.regCardData}</h2>
        <p>${t.regCardDataNote}</p>
        ${cardDataList(lang, draft.attributes)}
        <h2>${a.credentialsSection}</h2>
        <form method="post" action="/registrieren/ausweis/zugangsdaten" novalidate>
          ${csrfField(ctx)}
          ${field({ name: 'username', label: fieldLabel(lang, 'username'), value: values.username, hint: a.usernameHint, required: true, autocomplete: 'username', maxlength: 64, error: err('username') })}
          ${field({ name: 'email', label: fieldLabel(lang, 'email'), type: 'email', value: values.email, hint: t.regEmailHint, required: true, autocomplete: 'email', maxlength: MAX_EMAIL_LENGTH, error: err('email') })}
          ${field({
            name: 'password',
            label: fieldLabel(lang, 'password'),
            type: 'password',
            optionalText: t.passwordOptional,
            hint: html`<p>${t.passwordOptionalHint}</p>
              ${passwordRules(lang)}`,
            autocomplete: 'new-password',
            maxlength: 128,
            error: err('password'),
          })}
          ${field({ name: 'passwordRepeat', label: fieldLabel(lang, 'passwordRepeat'), type: 'password', optionalText: t.passwordOptional, autocomplete: 'new-password', maxlength: 128, error: err('passwordRepeat') })}
          ${checkbox({
            name: 'privacy',
            label: html`${fmt(a.privacyLabel, { link: '\u0000' })
              .split('\u0000')
              .map((part, i) => (i === 0 ? part : html`<a href="/datenschutz">${a.privacyLinkText}</a>${part}`))}`,
            required: true,
            error: err('privacy'),
          })}
          ${registrationOptionFields(ctx, accounts.registrationOptions, values.options ?? draft.options ?? [])}
          <div class="actions">
            <a class="button secondary" href="/registrieren/ausweis">${a.back}</a>
            <button type="submit" class="primary">${a.next}</button>
          </div>
        </form>`,
    });
  };

  const renderAlreadyRegistered = (ctx: HubContext): void => {
    const t = eidText(ctx.state.lang);
    renderPage(ctx, {
      title: t.regTitle,
      status: 409,
      main: html`<h1>${t.regTitle}</h1>
        <div class="error-summary" role="alert" tabindex="-1"><p>${t.alreadyRegistered}</p></div>
        <p><a class="button" href="/anmelden">${t.toLogin}</a></p>`,
    });
  };

  const onRegister = async (ctx: HubContext, _intent: EidIntent, outcome: EidOutcome): Promise<void> => {
    if (!outcome.ok) return renderStart(ctx, failureText(ctx.state.lang, outcome, ctx, c.minimumAge), failureStatus(outcome));
    if (await findBindingByCard(c.db, restrictedIdHash(outcome.card.restrictedId))) return renderAlreadyRegistered(ctx);
    keepRegistrationDraft(ctx, outcome.card, clock.now());
    ctx.redirect('/registrieren/ausweis/zugangsdaten');
  };
  flow.on('register', onRegister);

  router.get('/registrieren/ausweis', (ctx) => renderStart(ctx));

  router.post(TEMPORARY_REGISTRATION_PATH, async (ctx) => {
    const session = ctx.state.session;
    const kept = session.get<TemporaryCard>(TEMPORARY_CARD);
    const attributes = c.login.isTemporarySession(session) ? await c.login.sessionAttributes(session) : undefined;
    if (!kept || !attributes || clock.now() - kept.readAt >= DRAFT_LIFETIME_MS) {
      return renderStart(ctx, eidText(ctx.state.lang).regDraftMissing, 400);
    }
    if (await findBindingByCard(c.db, kept.restrictedIdHash)) return renderAlreadyRegistered(ctx);
    const requestId = c.login.findOpenRequest(ctx, ctx.state.form.get('auftrag'))?.id;
    const eidOnly = Object.fromEntries(Object.entries(attributes).filter(([, v]) => v?.source === 'eid')) as Attributes;
    const draft: Draft = {
      restrictedIdHash: kept.restrictedIdHash,
      attributes: eidOnly,
      documentType: kept.documentType,
      readAt: kept.readAt,
      ...(requestId ? { requestId } : {}),
    };
    session.set(DRAFT, draft);
    ctx.redirect('/registrieren/ausweis/zugangsdaten');
  });

  router.post('/registrieren/ausweis', async (ctx) => {
    await flow.start(ctx, { purpose: 'register' });
  });

  router.get('/registrieren/ausweis/zugangsdaten', (ctx) => {
    const draft = draftOf(ctx);
    if (!draft) return renderStart(ctx, eidText(ctx.state.lang).regDraftMissing, 400);
    renderCredentials(ctx, draft, { username: draft.username ?? '', email: draft.email ?? '' }, []);
  });

  router.post('/registrieren/ausweis/zugangsdaten', async (ctx) => {
    const lang = ctx.state.lang;
    const draft = draftOf(ctx);
    if (!draft) return renderStart(ctx, eidText(lang).regDraftMissing, 400);
    const username = ctx.state.form.get('username').trim();
    const email = normalizeText(ctx.state.form.get('email'));
    const password = ctx.state.form.get('password');
    const repeat = ctx.state.form.get('passwordRepeat');
    const errors: Errors = [];
    if (username === '') errors.push({ field: 'username', message: problemText(lang, 'username', 'required') });
    else if (!isValidUsername(username)) errors.push({ field: 'username', message: problemText(lang, 'username', 'username') });
    else if (await accounts.isUsernameTaken(username))
      errors.push({ field: 'username', message: problemText(lang, 'username', 'usernameTaken') });
    if (email === '') errors.push({ field: 'email', message: problemText(lang, 'email', 'required') });
    else if (!isEmailAddress(email)) errors.push({ field: 'email', message: problemText(lang, 'email', 'email') });
    if (password !== '' || repeat !== '') {
      const problem = password === '' ? problemText(lang, 'password', 'required') : passwordProblem(lang, 'password', password);
      if (problem) errors.push({ field: 'password', message: problem });
      else if (repeat !== password)
        errors.push({ field: 'passwordRepeat', message: problemText(lang, 'passwordRepeat', 'passwordMismatch') });
    }
    if (ctx.state.form.get('privacy') !== 'yes') errors.push({ field: 'privacy', message: problemText(lang, 'privacy', 'privacyConsent') });
    const options = chosenOptions(ctx.state.form, accounts.registrationOptions);
    if (errors.length > 0) return renderCredentials(ctx, draft, { username, email, options }, errors);
    const passwordHash = password === '' ? null : await hashPassword(password);
    ctx.state.session.set(DRAFT, { ...draft, username, email, passwordHash, options } satisfies Draft);
    ctx.redirect('/registrieren/ausweis/pruefen');
  });

  router.get('/registrieren/ausweis/pruefen', (ctx) => {
    const lang = ctx.state.lang;
    const t = eidText(lang);
    const a = accountText(lang);
    const draft = draftOf(ctx);
    if (!draft) return renderStart(ctx, t.regDraftMissing, 400);
    if (draft.username === undefined || draft.email === undefined || draft.passwordHash === undefined) {
      return ctx.redirect('/registrieren/ausweis/zugangsdaten');
    }
    renderPage(ctx, {
      title: `${t.regTitle} – ${t.regStep3}`,
      main: html`<h1>${a.reviewTitle}</h1>
        ${steps(lang, 3)}
        <p>${a.reviewIntro}</p>
        <h2>${t.regCardData}</h2>
        <p>${t.regCardDataNote}</p>
        ${cardDataList(lang, draft.attributes)}
        <h2>${a.credentialsSection}</h2>
        <dl class="review">
          <dt>${fieldLabel(lang, 'username')}</dt>
          <dd>${draft.username}</dd>
          <dt>${fieldLabel(lang, 'email')}</dt>
          <dd>${draft.email}</dd>
          <dt>${fieldLabel(lang, 'password')}</dt>
          <dd>${draft.passwordHash === null ? t.regNoPassword : a.passwordSet}</dd>
          ${reviewOptions(lang, accounts.registrationOptions, draft.options ?? [])}
        </dl>
        <p>
          <a href="/registrieren/ausweis/zugangsdaten">${a.change}<span class="visually-hidden">: ${a.credentialsSection}</span></a>
        </p>
        <form method="post" action="/registrieren/ausweis/pruefen">
          ${csrfField(ctx)}
          <div class="actions"><button type="submit" class="primary">${a.save}</button></div>
        </form>`,
    });
  });

  router.post('/registrieren/ausweis/pruefen', async (ctx) => {
    const lang = ctx.state.lang;
    const draft = draftOf(ctx);
    if (!draft) return renderStart(ctx, eidText(lang).regDraftMissing, 400);
    const { username, email, passwordHash } = draft;
    if (username === undefined || email === undefined || passwordHash === undefined)
      return ctx.redirect('/registrieren/ausweis/zugangsdaten');
    await throttles.takeOrThrow('registrationAddress', ctx.state.clientIp);
    const result = await accounts.registerVerified({
      username,
      email,
      passwordHash,
      attributes: draft.attributes,
      lang,
      options: draft.options ?? [],
      link: (trx, accountId) =>
        bindCard(trx, { accountId, restrictedIdHash: draft.restrictedIdHash, documentType: draft.documentType, now: clock.now() }),
    });
    if (!result.ok && result.problem === 'linkTaken') {
      ctx.state.session.delete(DRAFT);
      return renderAlreadyRegistered(ctx);
    }
    if (!result.ok) {
      const { username: _taken, ...rest } = draft;
      ctx.state.session.set(DRAFT, rest);
      return renderCredentials(ctx, draft, { username, email }, [
        { field: 'username', message: problemText(lang, 'username', 'usernameTaken') },
      ]);
    }
    ctx.state.session.delete(DRAFT);
    ctx.state.session.delete(TEMPORARY_CARD);
    ctx.state.session.set('eid.registered', {
      email,
      mailSent: result.mailSent,
      ...(draft.requestId ? { requestId: draft.requestId } : {}),
    });
    ctx.redirect('/registrieren/ausweis/gesendet');
  });

  router.get('/registrieren/ausweis/gesendet', (ctx) => {
    const lang = ctx.state.lang;
    const t = eidText(lang);
    const done = ctx.state.session.take<{ email: string; mailSent: boolean; requestId?: string }>('eid.registered');
    if (!done) return ctx.redirect('/');
    // Registered from a temporary login's consent page: that login goes on to the portal.
    const request = c.login.isTemporarySession(ctx.state.session) ? c.login.findOpenRequest(ctx, done.requestId) : undefined;
    const portal = request ? (request.organizationDisplayName ?? c.login.portalName(request.portalId, lang)) : undefined;
    renderPage(ctx, {
      title: t.sentTitle,
      main: html`<h1>${t.sentTitle}</h1>
        <p>${done.mailSent ? fmt(t.sentText, { email: done.email }) : t.sentMailFailed}</p>
        ${
          request && portal !== undefined
            ? html`<p>${fmt(t.temporaryContinueText, { portal })}</p>
                <p>
                  <a class="button" id="weiter" href="/anmelden/einwilligung?auftrag=${encodeURIComponent(request.id)}"
                    >${fmt(t.temporaryContinue, { portal })}</a
                  >
                </p>`
            : ''
        }`,
    });
  });
}

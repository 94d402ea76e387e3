import QRCode from 'qrcode';
import { AUTHENTICATORS_NOTICE, AUTHENTICATORS_PATH, renderAuthenticatorsPage } from '../../accounts/authenticators.ts';
import type { AuthenticatorSection } from '../../accounts/service.ts';
import { MINUTE } from '../../core/clock.ts';
import { HubError } from '../../core/errors.ts';
import type { Account } from '../../store/accounts.ts';
import { recordAudit } from '../../store/audit.ts';
import {
  countPasskeys,
  createEnrolment,
  deletePasskey,
  findPasskey,
  listPasskeys,
  peekEnrolment,
  renamePasskey,
  userHandleFor,
  type Passkey,
} from '../../store/passkeys.ts';
import { deleteSession, loadAccountSessions } from '../../store/sessions.ts';
import type { HubRouter } from '../../web/app.ts';
import type { HubContext } from '../../web/context.ts';
import { requireLogin } from '../../web/guards.ts';
import { html, trustedHtml, escapeHtml, type Html } from '../../web/html.ts';
import { fmt, formatDateTime } from '../../web/i18n.ts';
import { csrfField, renderPage } from '../../web/layout.ts';
import { frameText, levelWord } from '../../web/messages.ts';
import {
  cleanName,
  defaultName,
  eidBound,
  jsonAnswer,
  passScripts,
  scriptMessages,
  sendNotice,
  sessionUsedPasskey,
  type PassContext,
} from './common.ts';
import { ENROL_PATH } from './enrolment.ts';
import { levelAtRegistration, mayChangeAuthenticators, passMaxLoa } from './level.ts';
import { passLoginForm } from './login.ts';
import { addPasskey } from './register.ts';
import { passText } from './texts.ts';
import { CHALLENGE_MS, keepChallenge, parseRegistration, registrationOptions, takeChallenge } from './webauthn.ts';

/**
 * The Servicekonto.Pass on "Meine Authentifizierungsmittel": list (name, set up, last used,
 * level), add on this device, rename, remove (a lost device: the sessions it opened end and their
 * portals are told), and the enrolment QR code for a second device (./enrolment.ts). On an
 * account with an eID bound, adding and removing need a session of "substanziell" or higher
 * (DECISIONS 14); every change mails a notice (DECISIONS 17).
 */

const PASS_PATH = `${AUTHENTICATORS_PATH}/pass`;
const OPTIONS_PATH = `${PASS_PATH}/optionen`;
const RENAME_PATH = `${PASS_PATH}/umbenennen`;
const REMOVE_PATH = `${PASS_PATH}/entfernen`;
const QR_PATH = `${PASS_PATH}/qr`;
/** An enrolment link is valid for 10 minutes (DECISIONS 14). */
export const ENROLMENT_MS = 10 * MINUTE;
/** Session key of the enrolment link this (computer) session made, to show it again. */
const LINK = 'pass.enrolmentLink';

interface Permission {
  readonly allowed: boolean;
  readonly eidBound: boolean;
  /** Where the card confirms the citizen (the eID module's answer to the `accounts` gate). */
  readonly stepUpUrl?: string | undefined;
}

/** May this session add or remove passkeys of the account (DECISIONS 14), and if not, how to get there. */
async function permission(ctx: HubContext, c: PassContext, account: Account): Promise<Permission> {
  const bound = await eidBound(c, c.db, account.id);
  if (mayChangeAuthenticators({ sessionLoa: ctx.state.session.loa, eidBound: bound })) return { allowed: true, eidBound: bound };
  const verdict = await c.accounts.gateAction(ctx, account, 'changeAuthenticators');
  return { allowed: false, eidBound: bound, stepUpUrl: verdict.kind === 'redirect' ? verdict.url : undefined };
}

function gatedText(ctx: HubContext): string {
  const lang = ctx.state.lang;
  const loa = ctx.state.session.loa;
  return fmt(passText(lang).gated, { level: loa === undefined ? '–' : levelWord(lang, loa) });
}

async function currentAccount(ctx: HubContext, c: PassContext): Promise<Account> {
  const id = ctx.state.session.accountId;
  const account = id === undefined ? undefined : await c.accounts.findById(id);
  if (!account) throw new HubError('login_required');
  return account;
}

function passkeyItem(ctx: HubContext, p: Passkey, index: number, mayRemove: boolean): Html {
  const lang = ctx.state.lang;
  const t = passText(lang);
  const id = `pass-rename-${index}`;
  return html`<li class="passkey">
    <h4>${p.name}</h4>
    <dl class="review">
      <dt>${t.created}</dt>
      <dd>${formatDateTime(lang, p.createdAt)}</dd>
      <dt>${t.lastUsed}</dt>
      <dd>${p.lastUsedAt === null ? t.neverUsed : formatDateTime(lang, p.lastUsedAt)}</dd>
      <dt>${t.level}</dt>
      <dd>${levelWord(lang, p.loa)}</dd>
    </dl>
    ${p.counterRegressionAt !== null ? html`<p class="error-message">${fmt(t.regressionWarning, { when: formatDateTime(lang, p.counterRegressionAt) })}</p>` : ''}
    <form method="post" action="${RENAME_PATH}" class="rename">
      ${csrfField(ctx)}<input type="hidden" name="id" value="${p.id}" />
      <div class="field">
        <label for="${id}">${fmt(t.renameLabel, { name: p.name })}</label>
        <input id="${id}" name="name" type="text" value="${p.name}" maxlength="64" required autocomplete="off" />
      </div>
      <button type="submit" class="secondary">${t.rename}</button>
    </form>
    ${mayRemove ? html`<p><a href="${REMOVE_PATH}?id=${p.id}">${fmt(t.remove, { name: p.name })}</a></p>` : ''}
  </li>`;
}

/** The Pass section of "Meine Authentifizierungsmittel". */
export function passAuthenticator(c: PassContext): AuthenticatorSection {
  return {
    order: 30,
    async summary(ctx, account) {
      const t = passText(ctx.state.lang);
      const n = await countPasskeys(c.db, account.id);
      return html`${n === 0 ? t.summaryNone : n === 1 ? t.summaryOne : fmt(t.summaryMany, { count: n })}`;
    },
    async render(ctx, account) {
      const lang = ctx.state.lang;
      const t = passText(lang);
      const passkeys = await listPasskeys(c.db, account.id);
      const may = await permission(ctx, c, account);
      const substantialPasskeys = passkeys.some((p) => p.loa === 'substantial');
      return html`<h2 id="pass-section">${t.sectionTitle}</h2>
        <p>${t.sectionIntro}</p>
        <p>${c.eidEnabled ? t.sectionRule : fmt(t.sectionRuleLow, { level: levelWord(lang, passMaxLoa(c)) })}</p>
        ${
          passkeys.length === 0
            ? html`<p>${t.none}</p>`
            : html`<h3>${t.listTitle}</h3>
                <ul class="passkeys">
                  ${passkeys.map((p, i) => passkeyItem(ctx, p, i, may.allowed))}
                </ul>`
        }
        ${
          may.allowed
            ? html`<h3>${t.addTitle}</h3>
                <form method="post" action="${PASS_PATH}" data-pass="register" data-pass-options="${OPTIONS_PATH}" ${scriptMessages(lang)}>
                  ${csrfField(ctx)}<input type="hidden" name="credential" value="" />
                  <div class="field">
                    <label for="f-pass-name">${t.nameLabel} <span class="optional">${frameText(lang).optional}</span></label>
                    <div class="hint" id="f-pass-name-hint">${t.nameHint}</div>
                    <input id="f-pass-name" name="name" type="text" maxlength="64" autocomplete="off" aria-describedby="f-pass-name-hint" />
                  </div>
                  <p>${t.addHereText}</p>
                  <div class="actions"><button type="submit" class="primary">${t.addHere}</button></div>
                  <p class="pass-status" role="status" data-pass-status></p>
                </form>
                <noscript><p class="notice">${t.noScript}</p></noscript>
                <h3>${t.addOtherTitle}</h3>
                <p>${t.addOtherText}</p>
                <form method="post" action="${QR_PATH}">
                  ${csrfField(ctx)}
                  <div class="actions"><button type="submit" class="secondary">${t.addOther}</button></div>
                </form>
                ${passScripts(ctx)}`
            : html`<div class="notice">
                <p>${gatedText(ctx)}</p>
                ${may.stepUpUrl ? html`<p><a class="button" href="${may.stepUpUrl}">${t.gatedEid}</a></p>` : ''}
                ${
                  substantialPasskeys
                    ? html`<p>${t.gatedPass}</p>
                        ${passLoginForm(ctx, { back: AUTHENTICATORS_PATH, submit: t.gatedPassSubmit, primary: false })}`
                    : ''
                }
              </div>`
        }`;
    },
  };
}

export function registerPassAccount(router: HubRouter, c: PassContext): void {
  const { accounts, db, clock } = c;

  const showProblem = async (ctx: HubContext, account: Account, problem: string, status: number): Promise<void> =>
    renderAuthenticatorsPage(ctx, accounts, account, { problem, status });

  /** The name the form carries: empty means the default; `undefined` when it is not acceptable. */
  const nameFrom = (ctx: HubContext): string | undefined => {
    const raw = ctx.state.form.get('name');
    return raw.trim() === '' ? defaultName(ctx.state.lang, clock.now()) : cleanName(raw);
  };

  // ---- add on this device ----------------------------------------------------------------

  router.post(OPTIONS_PATH, requireLogin, async (ctx) => {
    const t = passText(ctx.state.lang);
    const account = await currentAccount(ctx, c);
    if (!(await permission(ctx, c, account)).allowed) return jsonAnswer(ctx, 403, { message: gatedText(ctx) });
    if (nameFrom(ctx) === undefined) return jsonAnswer(ctx, 400, { message: t.nameInvalid });
    const options = await registrationOptions(
      c.rp,
      { handle: await userHandleFor(db, account.id), name: account.username },
      await listPasskeys(db, account.id),
    );
    keepChallenge(ctx.state.session, 'register', {
      challenge: options.challenge,
      expiresAt: clock.now() + CHALLENGE_MS,
      accountId: account.id,
    });
    jsonAnswer(ctx, 200, options);
  });

  router.post(PASS_PATH, requireLogin, async (ctx) => {
    const lang = ctx.state.lang;
    const t = passText(lang);
    const session = ctx.state.session;
    const account = await currentAccount(ctx, c);
    const challenge = takeChallenge(session, 'register', clock.now());
    if (!(await permission(ctx, c, account)).allowed) return showProblem(ctx, account, gatedText(ctx), 403);
    const raw = ctx.state.form.get('credential');
    if (raw === '') return showProblem(ctx, account, t.missingCredential, 400);
    const response = parseRegistration(raw);
    if (!response) return showProblem(ctx, account, `${t.unreadable} ${t.nothingChanged}`, 400);
    if (!challenge.ok || challenge.accountId !== account.id)
      return showProblem(ctx, account, `${t.challengeGone} ${t.nothingChanged}`, 400);
    const name = nameFrom(ctx);
    if (name === undefined) return showProblem(ctx, account, `${t.nameInvalid} ${t.nothingChanged}`, 400);
    const sessionLoa = session.loa;
    const added = await addPasskey(c, {
      account,
      response,
      challenge: challenge.challenge,
      name,
      via: 'account',
      level: async (trx) => levelAtRegistration({ sessionLoa, eidBound: await eidBound(c, trx, account.id) }),
    });
    if (!added.ok) {
      return added.problem === 'duplicate'
        ? showProblem(ctx, account, t.alreadyRegistered, 409)
        : showProblem(ctx, account, t.registrationFailed, 400);
    }
    session.set(AUTHENTICATORS_NOTICE, fmt(t.added, { name: added.passkey.name, level: levelWord(lang, added.passkey.loa) }));
    ctx.redirect(AUTHENTICATORS_PATH);
  });

  // ---- rename --------------------------------------------------------------------------------

  router.post(RENAME_PATH, requireLogin, async (ctx) => {
    const t = passText(ctx.state.lang);
    const account = await currentAccount(ctx, c);
    const name = cleanName(ctx.state.form.get('name'));
    if (name === undefined) return showProblem(ctx, account, `${t.nameInvalid} ${t.nothingChanged}`, 400);
    if (!(await renamePasskey(db, account.id, ctx.state.form.get('id'), name))) return showProblem(ctx, account, t.notFound, 404);
    ctx.state.session.set(AUTHENTICATORS_NOTICE, fmt(t.renamed, { name }));
    ctx.redirect(AUTHENTICATORS_PATH);
  });

  // ---- remove (a lost device) ------------------------------------------------------------------

  router.get(REMOVE_PATH, requireLogin, async (ctx) => {
    const t = passText(ctx.state.lang);
    const account = await currentAccount(ctx, c);
    const id = typeof ctx.query.id === 'string' ? ctx.query.id : '';
    const passkey = await findPasskey(db, account.id, id);
    if (!passkey) return showProblem(ctx, account, t.notFound, 404);
    if (!(await permission(ctx, c, account)).allowed) return showProblem(ctx, account, gatedText(ctx), 403);
    const title = fmt(t.removeTitle, { name: passkey.name });
    renderPage(ctx, {
      title,
      main: html`<h1>${title}</h1>
        <p>${t.removeText}</p>
        <p>${t.removeDevice}</p>
        <form method="post" action="${REMOVE_PATH}">
          ${csrfField(ctx)}<input type="hidden" name="id" value="${passkey.id}" />
          <div class="actions">
            <a class="button secondary" href="${AUTHENTICATORS_PATH}">${t.cancel}</a
            ><button type="submit" class="danger">${t.removeSubmit}</button>
          </div>
        </form>`,
    });
  });

  router.post(REMOVE_PATH, requireLogin, async (ctx) => {
    const lang = ctx.state.lang;
    const t = passText(lang);
    const session = ctx.state.session;
    const account = await currentAccount(ctx, c);
    if (!(await permission(ctx, c, account)).allowed) return showProblem(ctx, account, gatedText(ctx), 403);
    const id = ctx.state.form.get('id');
    const now = clock.now();
    const removed = await db.transaction(async (trx) => {
      const passkey = await findPasskey(trx, account.id, id);
      if (!passkey || !(await deletePasskey(trx, account.id, id))) return undefined;
      // The sessions this passkey opened end with it (DECISIONS 5); this one stays, its citizen acts now.
      const ended: { data: Readonly<Record<string, unknown>> }[] = [];
      for (const s of await loadAccountSessions(trx, account.id)) {
        if (s.idHash === session.idHash || !sessionUsedPasskey(s.data, id)) continue;
        await deleteSession(trx, s.idHash);
        ended.push({ data: s.data });
      }
      await recordAudit(trx, {
        at: now,
        accountRef: accounts.accountRef(account.id),
        event: 'passkey.removed',
        detail: { loa: passkey.loa, sessionsEnded: ended.length },
      });
      return { passkey, ended };
    });
    if (!removed) return showProblem(ctx, account, t.notFound, 404);
    // Portals of the ended sessions hear of it by back-channel (login's listener on accounts).
    await accounts.announceEndedSessions(removed.ended);
    const m = passText(account.locale);
    await sendNotice(
      c,
      account,
      m.mailRemovedSubject,
      fmt(m.mailRemovedText, { username: account.username, name: removed.passkey.name, when: formatDateTime(account.locale, now) }),
    );
    const name = removed.passkey.name;
    session.set(
      AUTHENTICATORS_NOTICE,
      removed.ended.length > 0 ? fmt(t.removedSessions, { name, count: removed.ended.length }) : fmt(t.removed, { name }),
    );
    ctx.redirect(AUTHENTICATORS_PATH);
  });

  // ---- enrolment link for a second device (DECISIONS 14) -----------------------------------------

  router.post(QR_PATH, requireLogin, async (ctx) => {
    const session = ctx.state.session;
    const account = await currentAccount(ctx, c);
    if (!(await permission(ctx, c, account)).allowed) return showProblem(ctx, account, gatedText(ctx), 403);
    const now = clock.now();
    const expiresAt = now + ENROLMENT_MS;
    const token = await createEnrolment(db, { accountId: account.id, sessionLoa: session.loa ?? 'low', now, expiresAt });
    session.set(LINK, { token, expiresAt });
    ctx.redirect(QR_PATH);
  });

  router.get(QR_PATH, requireLogin, async (ctx) => {
    const lang = ctx.state.lang;
    const t = passText(lang);
    const session = ctx.state.session;
    const account = await currentAccount(ctx, c);
    const stored = session.get<{ token: string; expiresAt: number }>(LINK);
    const check = stored ? await peekEnrolment(db, stored.token, clock.now()) : undefined;
    if (!stored || !check?.ok || check.enrolment.accountId !== account.id) {
      session.delete(LINK);
      renderPage(ctx, {
        title: t.qrTitle,
        main: html`<h1>${t.qrTitle}</h1>
          <p>${t.qrGone}</p>
          <form method="post" action="${QR_PATH}">
            ${csrfField(ctx)}
            <div class="actions"><button type="submit" class="primary">${t.qrNew}</button></div>
          </form>
          <p><a href="${AUTHENTICATORS_PATH}">${t.qrDone}</a></p>`,
      });
      return;
    }
    const link = `${c.publicUrl.replace(/\/$/, '')}${ENROL_PATH}?t=${encodeURIComponent(stored.token)}`;
    renderPage(ctx, {
      title: t.qrTitle,
      main: html`<h1>${t.qrTitle}</h1>
        <ol>
          <li>${t.qrStep1}</li>
          <li>${t.qrStep2}</li>
          <li>${t.qrStep3}</li>
        </ol>
        <figure class="qr">${await qrSvg(link, t.qrImage)}</figure>
        <p>${t.qrLinkText}</p>
        <p class="enrolment-link"><code>${link}</code></p>
        <p>${fmt(t.qrValid, { time: formatDateTime(lang, check.enrolment.expiresAt) })}</p>
        <p><a href="${AUTHENTICATORS_PATH}">${t.qrDone}</a></p>`,
    });
  });
}

/** The QR code as inline SVG (no external service, no image request), labelled for screen readers. */
async function qrSvg(text: string, label: string): Promise<Html> {
  const svg = await QRCode.toString(text, {
    type: 'svg',
    errorCorrectionLevel: 'M',
    margin: 4,
    color: { dark: '#000000', light: '#ffffff' },
  });
  const start = svg.indexOf('<svg');
  if (start < 0) throw new Error('qrcode gave no SVG');
  return trustedHtml(`<svg role="img" aria-label="${escapeHtml(label)}" width="256" height="256"${svg.slice(start + 4)}`);
}

import { HubError } from '../core/errors.ts';
import { isLoa, loaSatisfies, type Loa } from '../core/loa.ts';
import type { HubRouter } from '../web/app.ts';
import { safeLocalPath } from '../web/app.ts';
import { RETURN_TO } from '../web/guards.ts';
import { html } from '../web/html.ts';
import { defineMessages, fmt } from '../web/i18n.ts';
import { renderPage } from '../web/layout.ts';
import { levelWord } from '../web/messages.ts';
import type { Login } from './login.ts';

/**
 * Step-up for a page of the hub itself (a Postkorb message that needs substanziell or hoch): the
 * method choice page, offering only the methods that reach the level, and after the login the
 * citizen is back on that page. No portal is involved: the return path is a local path kept in
 * the session (as after any login from an account page), the level comes from the link.
 *
 *   GET /anmelden/hoeherstufen?niveau=substantial&ziel=/postkorb/nachrichten/<id>[&zurueck=/postkorb]
 */

export const STEP_UP_PATH = '/anmelden/hoeherstufen';

/** The link to the step-up page: log in at `minLoa` or higher, then continue at `returnTo`. */
export function stepUpPath(minLoa: Loa, returnTo: string, cancelTo?: string): string {
  const params = new URLSearchParams({ niveau: minLoa, ziel: returnTo });
  if (cancelTo !== undefined) params.set('zurueck', cancelTo);
  return `${STEP_UP_PATH}?${params.toString()}`;
}

const stepUpText = defineMessages(
  {
    title: 'Vertrauensniveau erhöhen',
    needed: 'Für diese Seite ist mindestens das Vertrauensniveau „{level}“ nötig.',
    current:
      'Ihre aktuelle Sitzung hat das Vertrauensniveau „{current}“. Melden Sie sich mit einem der folgenden Verfahren an; danach geht es auf der Seite weiter.',
    notLoggedIn: 'Melden Sie sich mit einem der folgenden Verfahren an; danach geht es auf der Seite weiter.',
    withheldTitle: 'Nicht angeboten, weil das nötige Vertrauensniveau damit nicht erreicht wird:',
    none: 'Dieses Vertrauensniveau kann mit keinem hier angebotenen Verfahren erreicht werden.',
    cancel: 'Abbrechen',
  },
  {
    title: 'Raise the level of assurance',
    needed: 'This page requires at least the level of assurance "{level}".',
    current:
      'Your current session has the level of assurance "{current}". Log in with one of the following methods; the page then continues.',
    notLoggedIn: 'Log in with one of the following methods; the page then continues.',
    withheldTitle: 'Not offered, because they cannot reach the required level of assurance:',
    none: 'No method offered here reaches this level of assurance.',
    cancel: 'Cancel',
  },
);

export function registerStepUpRoutes(router: HubRouter, login: Login): void {
  router.get(STEP_UP_PATH, (ctx) => {
    const level = ctx.query.niveau;
    if (!isLoa(level)) throw new HubError('bad_request', 'step-up without a valid level');
    const target = safeLocalPath(typeof ctx.query.ziel === 'string' ? ctx.query.ziel : undefined, '/konto');
    const cancel = safeLocalPath(typeof ctx.query.zurueck === 'string' ? ctx.query.zurueck : undefined, '/konto');
    const session = ctx.state.session;
    const current = session.loa;
    if (current !== undefined && loaSatisfies(current, level)) return ctx.redirect(target);
    // Whichever method the citizen picks, login.complete() returns here once it succeeded.
    session.set(RETURN_TO, target);
    const lang = ctx.state.lang;
    const t = stepUpText(lang);
    const { offered, withheld } = login.partitionMethods({ minLoa: level, allowedMethods: undefined });
    renderPage(ctx, {
      title: t.title,
      main: html`<h1>${t.title}</h1>
        <div class="notice" role="status">
          <p>${fmt(t.needed, { level: levelWord(lang, level) })}</p>
          <p>${current === undefined ? t.notLoggedIn : fmt(t.current, { current: levelWord(lang, current) })}</p>
        </div>
        ${offered.length === 0 ? html`<div class="error-summary" role="alert"><p>${t.none}</p></div>` : ''}
        ${offered.map((m) => m.render(ctx, {}))}
        ${
          withheld.length > 0
            ? html`<h2>${t.withheldTitle}</h2>
                <ul>
                  ${withheld.map((m) => html`<li>${m.describeLimit?.(lang) ?? m.id}</li>`)}
                </ul>`
            : ''
        }
        <p><a class="button secondary" href="${cancel}">${t.cancel}</a></p>`,
    });
  });
}

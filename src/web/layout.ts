import type { HubContext } from './context.ts';
import { html, type Html } from './html.ts';
import { fmt, type Lang } from './i18n.ts';
import { frameText, levelWord } from './messages.ts';
import { SESSION_ENDED } from './session.ts';

/** Settings of the page frame, fixed at start. */
export interface FrameSettings {
  readonly operatorName: string;
  /** Links shown to a logged-in account beside "Mein Servicekonto" (e.g. the Postkorb). */
  readonly accountLinks?: readonly { readonly href: string; readonly label: Readonly<Record<Lang, string>> }[];
}

let frameSettings: FrameSettings = { operatorName: 'Servicekonto' };

export function configureFrame(settings: FrameSettings): void {
  frameSettings = settings;
}

export interface PageOptions {
  readonly title: string;
  readonly main: Html;
  /** A status line shown above the content (role=status), e.g. "Sie wurden abgemeldet". */
  readonly notice?: string | undefined;
  readonly status?: number;
  /**
   * Move on to this URL by `<meta http-equiv="refresh">` (see renderContinue); the page shows a
   * link to it as well.
   */
  readonly refreshTo?: string | undefined;
}

/** The hidden CSRF field every form carries. */
export function csrfField(ctx: HubContext): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.state.session.csrfToken()}" />`;
}

function languageSwitch(ctx: HubContext): Html {
  const t = frameText(ctx.state.lang);
  const other = ctx.state.lang === 'de' ? 'en' : 'de';
  const back = encodeURIComponent(ctx.originalUrl);
  return html`<a
    class="lang-switch"
    href="/sprache/${other}?zurueck=${back}"
    lang="${other}"
    hreflang="${other}"
    aria-label="${t.languageSwitchLabel}"
    >${t.languageSwitch}</a
  >`;
}

function sessionBadge(ctx: HubContext): Html {
  const t = frameText(ctx.state.lang);
  const loa = ctx.state.session.loa;
  const word = loa === undefined ? t.notLoggedIn : levelWord(ctx.state.lang, loa);
  return html`<p class="session-level" id="session-level">${t.sessionLabel} <strong data-loa="${loa ?? 'none'}">${word}</strong></p>`;
}

function navigation(ctx: HubContext): Html {
  const t = frameText(ctx.state.lang);
  const loggedIn = ctx.state.session.loa !== undefined;
  const extra = ctx.state.session.accountId !== undefined ? (frameSettings.accountLinks ?? []) : [];
  const items = loggedIn
    ? html`<li><a href="/konto">${t.navAccount}</a></li>
        ${extra.map((l) => html`<li><a href="${l.href}">${l.label[ctx.state.lang]}</a></li>`)}
        <li>
          <form method="post" action="/abmelden" class="inline">
            ${csrfField(ctx)}<button type="submit" class="link-button">${t.logout}</button>
          </form>
        </li>`
    : html`<li><a href="/anmelden">${t.navLogin}</a></li>
        <li><a href="/registrieren">${t.navRegister}</a></li>`;
  return html`<nav aria-label="${t.mainNav}">
    <ul class="nav">
      ${items}
    </ul>
  </nav>`;
}

function footer(ctx: HubContext): Html {
  const t = frameText(ctx.state.lang);
  return html`<footer class="site-footer">
    <nav aria-label="${t.footerLabel}">
      <ul>
        <li><a href="/impressum">${t.impressum}</a></li>
        <li><a href="/datenschutz">${t.datenschutz}</a></li>
        <li><a href="/barrierefreiheit">${t.barrierefreiheit}</a></li>
        <li><a href="/leichte-sprache">${t.leichteSprache}</a></li>
        <li><a href="/gebaerdensprache">${t.gebaerdensprache}</a></li>
      </ul>
    </nav>
  </footer>`;
}

export function pageHtml(ctx: HubContext, options: PageOptions): Html {
  const t = frameText(ctx.state.lang);
  const timedOut = ctx.state.session.take<string>(SESSION_ENDED) === 'timeout' ? t.sessionTimedOut : undefined;
  const notice = options.notice ?? timedOut;
  return html`<!DOCTYPE html>
    <html lang="${ctx.state.lang}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${options.title} – ${frameSettings.operatorName}</title>
        <link rel="stylesheet" href="/static/hub.css" />
        ${options.refreshTo !== undefined ? html`<meta http-equiv="refresh" content="0; url=${options.refreshTo}" />` : ''}
      </head>
      <body>
        <a class="skip-link" href="#main">${t.skipLink}</a>
        <header class="site-header">
          <div class="brand"><a href="/">${frameSettings.operatorName}</a></div>
          ${sessionBadge(ctx)} ${navigation(ctx)} ${languageSwitch(ctx)}
        </header>
        <main id="main" tabindex="-1">${notice ? html`<div class="notice" role="status"><p>${notice}</p></div>` : ''} ${options.main}</main>
        ${footer(ctx)}
      </body>
    </html>`;
}

/** Renders a full page as the response. Pages may show personal data: never cached. */
export function renderPage(ctx: HubContext, options: PageOptions): void {
  ctx.status = options.status ?? 200;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = pageHtml(ctx, options).value;
}

/** "Fehlernummer: …" for error pages. */
export function errorReference(ctx: HubContext): string {
  return fmt(frameText(ctx.state.lang).errorRef, { id: ctx.state.requestId });
}

export interface Continue {
  readonly url: string;
  readonly title: string;
  readonly text: string;
  readonly button: string;
}

/**
 * A page that moves the browser on to another site (a portal, the AusweisApp) by
 * `<meta http-equiv="refresh">`, with a link for a browser that does not follow it. Chromium holds
 * every redirect of a navigation that a form started to that form page's `form-action 'self'`,
 * so a redirect off the hub straight after a form post is blocked; a refresh from a page of the
 * hub's own is a new navigation that no form started. No script is needed.
 */
export function renderContinue(ctx: HubContext, c: Continue): void {
  renderPage(ctx, {
    title: c.title,
    refreshTo: c.url,
    main: html`<h1>${c.title}</h1>
      <p>${c.text}</p>
      <p><a class="button" href="${c.url}" id="weiter">${c.button}</a></p>`,
  });
}

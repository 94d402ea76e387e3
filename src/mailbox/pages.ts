import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { AccountService } from '../accounts/service.ts';
import { HubError } from '../core/errors.ts';
import { compareLoa, LOA_LEVELS, loaSatisfies, type Loa } from '../core/loa.ts';
import type { Login } from '../login/login.ts';
import { stepUpPath } from '../login/step-up.ts';
import type { Account } from '../store/accounts.ts';
import type { Db } from '../store/db.ts';
import { readChunk, type AttachmentMeta, type MessageSummary } from '../store/postkorb.ts';
import type { HubRouter } from '../web/app.ts';
import type { HubContext } from '../web/context.ts';
import { checkbox, errorSummary } from '../web/forms.ts';
import { requireLogin } from '../web/guards.ts';
import { html, type Html } from '../web/html.ts';
import { fmt, formatDateTime, type Lang } from '../web/i18n.ts';
import { csrfField, renderPage } from '../web/layout.ts';
import { frameText, levelWord } from '../web/messages.ts';
import { contentDisposition, servedType } from './content.ts';
import { isLocalLogin, type Postkorb } from './service.ts';
import { postkorbText, sizeWords, typeWord } from './texts.ts';
import { zipSegment, zipStream, type ZipEntry } from './zip.ts';

/**
 * The citizen's pages: the inbox (newest first; a message above the session's level shows only
 * sender, date and level, with the FAQ's words and a step-up button that lands on the message),
 * a message (opening it marks it read), attachment downloads under the same level rule, deleting
 * a message, "Alle Nachrichten herunterladen" (a ZIP of what this session may open, saying how
 * many it left out, DECISIONS 15), creating and removing the Postkorb.
 */

export interface PagesDeps {
  readonly postkorb: Postkorb;
  readonly accounts: AccountService;
  readonly login: Login;
  readonly db: Db;
  readonly log: Logger;
  readonly operatorName: string;
  readonly now: () => number;
}

export const INBOX = '/postkorb';
export const CREATE = '/postkorb/erstellen';
export const EXPORT = '/postkorb/herunterladen';
export const REMOVE = '/postkorb/entfernen';
const NOTICE = 'postkorbNotice';

export function messagePath(id: string): string {
  return `/postkorb/nachrichten/${encodeURIComponent(id)}`;
}

const METHOD_NAMES: Readonly<Record<string, 'methodPwd' | 'methodPass' | 'methodEid' | 'methodOther' | 'methodEidas'>> = {
  password: 'methodPwd',
  pass: 'methodPass',
  eid: 'methodEid',
  upstream: 'methodOther',
  eidas: 'methodEidas',
};

/** "nur lesbar nach Anmeldung mit Servicekonto.Pass (substanziell) oder Online-Ausweisfunktion (hoch)" */
export function onlyAfterWords(lang: Lang, login: Login, level: Loa): string {
  const t = postkorbText(lang);
  const offered = login.partitionMethods({ minLoa: level, allowedMethods: undefined }).offered;
  if (offered.length === 0) return t.unreachable;
  const names = offered.map((m) => {
    const key = METHOD_NAMES[m.id];
    return `${key ? t[key] : m.id} (${levelWord(lang, m.maxLoa)})`;
  });
  const list = names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} ${t.or} ${names[names.length - 1]}`;
  return fmt(t.onlyAfter, { methods: list });
}

function paragraphs(text: string): Html {
  return html`${text
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .map((p) => html`<p>${p.split('\n').map((line, i) => (i === 0 ? line : html`<br />${line}`))}</p>`)}`;
}

export function registerPostkorbPages(router: HubRouter, deps: PagesDeps): void {
  const { postkorb, accounts, login } = deps;

  const account = async (ctx: HubContext): Promise<Account> => {
    const id = ctx.state.session.accountId;
    const found = id === undefined ? undefined : await accounts.findById(id);
    if (!found) {
      ctx.state.session.destroy();
      throw new HubError('login_required');
    }
    return found;
  };
  const level = (ctx: HubContext): Loa => ctx.state.session.loa as Loa;

  // ---- the inbox ---------------------------------------------------------------------------

  router.get(INBOX, requireLogin, async (ctx) => {
    const lang = ctx.state.lang;
    const t = postkorbText(lang);
    const me = await account(ctx);
    const mailbox = await postkorb.find(me.id);
    const notice = ctx.state.session.take<string>(NOTICE);
    if (!mailbox) {
      const local = isLocalLogin(login.sessionMethods(ctx.state.session));
      return renderPage(ctx, {
        title: t.title,
        notice,
        main: html`<h1>${t.title}</h1>
          <p>${t.intro}</p>
          ${
            local
              ? html`<p>${t.none}</p>
                  <p>${t.createHint}</p>
                  <form method="post" action="${CREATE}">
                    ${csrfField(ctx)}
                    <div class="actions"><button type="submit" class="primary">${t.create}</button></div>
                  </form>`
              : html`<p>${t.federated}</p>`
          }`,
      });
    }
    const messages = await postkorb.list(me.id);
    const current = level(ctx);
    const lockedCount = messages.filter((m) => !loaSatisfies(current, m.requiredLoa)).length;
    const highest = messages.reduce<Loa>((h, m) => (compareLoa(m.requiredLoa, h) > 0 ? m.requiredLoa : h), LOA_LEVELS[0]);
    renderPage(ctx, {
      title: t.title,
      notice,
      main: html`<h1>${t.title}</h1>
        <p>${t.intro}</p>
        ${messages.length === 0 ? html`<p>${t.empty}</p>` : inboxTable(ctx, messages, current)}
        ${
          messages.length > 0
            ? html`<h2>${t.exportAll}</h2>
                <p>${t.exportHint}</p>
                ${lockedCount > 0 ? html`<p class="notice">${fmt(t.exportLeftOut, { count: lockedCount })}</p>` : ''}
                <p>
                  <a class="button secondary" href="${EXPORT}" download>${t.exportAll}</a>
                  ${lockedCount > 0 ? html` <a href="${stepUpPath(highest, INBOX, INBOX)}">${t.exportStepUp}</a>` : ''}
                </p>`
            : ''
        }
        <h2>${t.handleLabel}</h2>
        <p><code>${mailbox.handle}</code></p>
        <p><a href="${REMOVE}">${t.removeLink}</a></p>`,
    });
  });

  function inboxTable(ctx: HubContext, messages: readonly MessageSummary[], current: Loa): Html {
    const lang = ctx.state.lang;
    const t = postkorbText(lang);
    return html`<table class="postkorb">
      <caption>
        ${t.tableCaption}
      </caption>
      <thead>
        <tr>
          <th scope="col">${t.colSender}</th>
          <th scope="col">${t.colSubject}</th>
          <th scope="col">${t.colDate}</th>
          <th scope="col">${t.colLevel}</th>
          <th scope="col">${t.colStatus}</th>
          <th scope="col">${t.colAttachments}</th>
        </tr>
      </thead>
      <tbody>
        ${messages.map((m) => {
          const sender = m.sender[lang];
          const date = formatDateTime(lang, m.deliveredAt);
          if (!loaSatisfies(current, m.requiredLoa)) {
            return html`<tr class="locked">
              <td>${sender}</td>
              <td>
                <strong>${t.locked}:</strong> ${onlyAfterWords(lang, login, m.requiredLoa)} <br /><a
                  href="${stepUpPath(m.requiredLoa, messagePath(m.id), INBOX)}"
                  >${t.stepUpShort}<span class="visually-hidden">: ${fmt(t.stepUpFor, { sender, date })}</span></a
                >
              </td>
              <td>${date}</td>
              <td>${levelWord(lang, m.requiredLoa)}</td>
              <td><span aria-hidden="true">–</span><span class="visually-hidden">${t.hidden}</span></td>
              <td><span aria-hidden="true">–</span><span class="visually-hidden">${t.hidden}</span></td>
            </tr>`;
          }
          const unread = m.readAt === null;
          return html`<tr class="${unread ? 'unread' : 'read'}">
            <td>${sender}</td>
            <td><a href="${messagePath(m.id)}">${unread ? html`<strong>${m.subject}</strong>` : m.subject}</a></td>
            <td>${date}</td>
            <td>${levelWord(lang, m.requiredLoa)}</td>
            <td>${unread ? html`<strong class="unread-mark">${t.unread}</strong>` : t.read}</td>
            <td>${m.attachmentCount}</td>
          </tr>`;
        })}
      </tbody>
    </table>`;
  }

  // ---- creating ----------------------------------------------------------------------------

  router.post(CREATE, requireLogin, async (ctx) => {
    const me = await account(ctx);
    // Only this hub's own accounts get a handle; another state's citizen has a postbox at home.
    if (!isLocalLogin(login.sessionMethods(ctx.state.session))) return ctx.redirect(INBOX);
    await deps.db.transaction((trx) => postkorb.create(trx, me.id));
    ctx.state.session.set(NOTICE, postkorbText(ctx.state.lang).created);
    ctx.redirect(INBOX);
  });

  // ---- a message ---------------------------------------------------------------------------

  router.get('/postkorb/nachrichten/:id', requireLogin, async (ctx) => {
    const lang = ctx.state.lang;
    const t = postkorbText(lang);
    const me = await account(ctx);
    const current = level(ctx);
    const opened = await postkorb.open(me.id, String(ctx.params.id), current);
    if (opened.kind === 'notFound') throw new HubError('not_found', 'no such message in this Postkorb');
    if (opened.kind === 'locked') {
      const m = opened.message;
      const sender = m.sender[lang];
      return renderPage(ctx, {
        title: fmt(t.lockedTitle, { sender }),
        main: html`<h1>${fmt(t.lockedTitle, { sender })}</h1>
          <dl class="review">
            <dt>${t.colSender}</dt>
            <dd>${sender}</dd>
            <dt>${t.colDate}</dt>
            <dd>${formatDateTime(lang, m.deliveredAt)}</dd>
            <dt>${t.colLevel}</dt>
            <dd>${levelWord(lang, m.requiredLoa)}</dd>
          </dl>
          <p class="notice"><strong>${onlyAfterWords(lang, login, m.requiredLoa)}</strong></p>
          <p>${fmt(t.lockedIntro, { level: levelWord(lang, m.requiredLoa), current: levelWord(lang, current) })}</p>
          <p><a class="button" id="hoeherstufen" href="${stepUpPath(m.requiredLoa, messagePath(m.id), INBOX)}">${t.stepUp}</a></p>
          <p><a href="${INBOX}">${t.back}</a></p>`,
      });
    }
    const { message: m, attachments } = opened;
    renderPage(ctx, {
      title: m.subject,
      notice: ctx.state.session.take<string>(NOTICE),
      main: html`<h1>${m.subject}</h1>
        <dl class="review">
          <dt>${t.colSender}</dt>
          <dd>${m.sender[lang]}</dd>
          <dt>${t.colDate}</dt>
          <dd>${formatDateTime(lang, m.deliveredAt)}</dd>
          <dt>${t.reference}</dt>
          <dd>${m.reference ?? t.noReference}</dd>
          <dt>${t.level}</dt>
          <dd>${levelWord(lang, m.requiredLoa)}</dd>
        </dl>
        <div class="message-text">${paragraphs(m.body)}</div>
        <h2>${t.attachments}</h2>
        ${
          attachments.length === 0
            ? html`<p>${t.noAttachments}</p>`
            : html`<ul class="attachments">
                ${attachments.map(
                  (a) =>
                    html`<li>
                      <a href="${attachmentPath(a)}" download
                        >${fmt(t.download, { name: a.fileName, type: typeWord(a.contentType), size: sizeWords(lang, a.size) })}</a
                      >
                    </li>`,
                )}
              </ul>`
        }
        <div class="actions">
          <a class="button secondary" href="${INBOX}">${t.back}</a>
          <a class="button secondary" href="${messagePath(m.id)}/loeschen">${t.deleteMessage}</a>
        </div>`,
    });
  });

  function attachmentPath(a: AttachmentMeta): string {
    return `${messagePath(a.messageId)}/anhaenge/${encodeURIComponent(a.id)}`;
  }

  router.get('/postkorb/nachrichten/:id/anhaenge/:attachment', requireLogin, async (ctx) => {
    const me = await account(ctx);
    const id = String(ctx.params.id);
    const message = await postkorb.summary(me.id, id);
    if (!message) throw new HubError('not_found', 'no such message in this Postkorb');
    // Same level rule as the message: below it, the message page explains and offers the step-up.
    if (!loaSatisfies(level(ctx), message.requiredLoa)) return ctx.redirect(messagePath(id));
    const attachment = (await postkorb.attachmentsOf([id])).find((a) => a.id === String(ctx.params.attachment));
    if (!attachment) throw new HubError('not_found', 'no such attachment');
    sendAttachment(ctx, attachment);
  });

  function chunks(attachmentId: string): AsyncIterable<Buffer> {
    const db = deps.db;
    return (async function* () {
      for (let seq = 0; ; seq++) {
        const chunk = await readChunk(db, attachmentId, seq);
        if (!chunk) return;
        if (chunk.length > 0) yield chunk;
      }
    })();
  }

  function sendAttachment(ctx: HubContext, a: AttachmentMeta): void {
    ctx.status = 200;
    ctx.set('Content-Type', servedType(a.contentType));
    ctx.set('Content-Disposition', contentDisposition(a.fileName));
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cache-Control', 'no-store');
    // Nothing in a document the hub serves may run, even if a browser showed it inline.
    ctx.set('Content-Security-Policy', "default-src 'none'; sandbox");
    ctx.length = a.size;
    ctx.body = Readable.from(chunks(a.id));
  }

  // ---- deleting a message ------------------------------------------------------------------

  router.get('/postkorb/nachrichten/:id/loeschen', requireLogin, async (ctx) => {
    const lang = ctx.state.lang;
    const t = postkorbText(lang);
    const me = await account(ctx);
    const id = String(ctx.params.id);
    const message = await postkorb.summary(me.id, id);
    if (!message) throw new HubError('not_found', 'no such message in this Postkorb');
    if (!loaSatisfies(level(ctx), message.requiredLoa)) return ctx.redirect(messagePath(id));
    renderPage(ctx, {
      title: t.deleteTitle,
      main: html`<h1>${t.deleteTitle}</h1>
        <p>${fmt(t.deleteText, { subject: message.subject, sender: message.sender[lang] })}</p>
        <form method="post" action="${messagePath(id)}/loeschen">
          ${csrfField(ctx)}
          <div class="actions">
            <a class="button secondary" href="${messagePath(id)}">${t.cancel}</a>
            <button type="submit" class="danger">${t.deleteConfirm}</button>
          </div>
        </form>`,
    });
  });

  router.post('/postkorb/nachrichten/:id/loeschen', requireLogin, async (ctx) => {
    const me = await account(ctx);
    const id = String(ctx.params.id);
    const message = await postkorb.summary(me.id, id);
    if (!message) throw new HubError('not_found', 'no such message in this Postkorb');
    // Deleting unseen content needs the level that would show it.
    if (!loaSatisfies(level(ctx), message.requiredLoa)) return ctx.redirect(messagePath(id));
    await postkorb.deleteMessage(me.id, id);
    ctx.state.session.set(NOTICE, postkorbText(ctx.state.lang).deleted);
    ctx.redirect(INBOX);
  });

  // ---- the ZIP export ----------------------------------------------------------------------

  router.get(EXPORT, requireLogin, async (ctx) => {
    const lang = ctx.state.lang;
    const me = await account(ctx);
    if (!(await postkorb.find(me.id))) return ctx.redirect(INBOX);
    const current = level(ctx);
    const all = await postkorb.list(me.id);
    const included = all.filter((m) => loaSatisfies(current, m.requiredLoa));
    const leftOut = all.length - included.length;
    const now = deps.now();
    const stamp = new Date(now).toISOString().slice(0, 10);
    ctx.status = 200;
    ctx.set('Content-Type', 'application/zip');
    ctx.set('Content-Disposition', contentDisposition(`Postkorb-${stamp}.zip`));
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Postkorb-Left-Out', String(leftOut));
    const log = ctx.state.log;
    ctx.body = zipStream(
      () => exportEntries(lang, me.id, included, leftOut, current, now),
      (err) => log.error({ err }, 'Postkorb export failed while streaming'),
    );
  });

  async function* exportEntries(
    lang: Lang,
    accountId: string,
    messages: readonly MessageSummary[],
    leftOut: number,
    current: Loa,
    now: number,
  ): AsyncIterable<ZipEntry> {
    const t = postkorbText(lang);
    const readme =
      lang === 'de'
        ? [
            `Postkorb – ${deps.operatorName}`,
            `Heruntergeladen am ${formatDateTime('de', now)} in einer Sitzung mit dem Vertrauensniveau „${levelWord('de', current)}“.`,
            `Enthalten: ${messages.length} Nachricht(en), jede in einem eigenen Ordner mit der Nachricht als Text und ihren Anhängen.`,
            leftOut > 0
              ? `Nicht enthalten: ${leftOut} Nachricht(en), die ein höheres Vertrauensniveau verlangen. Melden Sie sich höher an und laden Sie erneut herunter, um auch diese zu erhalten.`
              : 'Nicht enthalten: keine. Alle Nachrichten Ihres Postkorbs sind in dieser Datei.',
          ]
        : [
            `Postkorb – ${deps.operatorName}`,
            `Downloaded on ${formatDateTime('en', now)} in a session with the level of assurance "${levelWord('en', current)}".`,
            `Included: ${messages.length} message(s), each in a folder of its own with the message as text and its attachments.`,
            leftOut > 0
              ? `Left out: ${leftOut} message(s) that require a higher level of assurance. Log in higher and download again to get them too.`
              : 'Left out: none. Every message of your Postkorb is in this file.',
          ];
    yield textEntry(lang === 'de' ? 'LIESMICH.txt' : 'README.txt', now, readme.join('\r\n') + '\r\n');
    const attachments = await postkorb.attachmentsOf(messages.map((m) => m.id));
    for (const summary of messages) {
      const m = await postkorb.summary(accountId, summary.id);
      if (!m) continue; // deleted meanwhile
      const folder = `${new Date(m.deliveredAt)
        .toISOString()
        .slice(0, 16)
        .replace(/[T:]/g, (c) => (c === 'T' ? '_' : ''))}_${zipSegment(m.sender[lang], 40)}_${m.id.slice(0, 8)}`;
      const textName = lang === 'de' ? 'Nachricht.txt' : 'Message.txt';
      const lines = [
        `${t.colSender}: ${m.sender[lang]}`,
        `${t.colSubject}: ${m.subject}`,
        `${t.colDate}: ${formatDateTime(lang, m.deliveredAt)}`,
        `${t.reference}: ${m.reference ?? t.noReference}`,
        `${t.level}: ${levelWord(lang, m.requiredLoa)}`,
        '',
        m.body.replace(/\r?\n/g, '\r\n'),
      ];
      yield textEntry(`${folder}/${textName}`, m.deliveredAt, lines.join('\r\n') + '\r\n');
      const used = new Set([textName.toLowerCase()]);
      for (const a of attachments.filter((x) => x.messageId === m.id)) {
        yield { name: `${folder}/${uniqueName(a.fileName, used)}`, mtime: m.deliveredAt, data: () => chunks(a.id) };
      }
    }
  }

  function textEntry(name: string, mtime: number, text: string): ZipEntry {
    return {
      name,
      mtime,
      data: async function* () {
        // With a BOM, so that editors on every system read the umlauts right.
        yield Buffer.from(`\uFEFF${text}`, 'utf8');
      },
    };
  }

  // ---- removing the Postkorb ---------------------------------------------------------------

  const renderRemove = async (ctx: HubContext, me: Account, errors: { field: string; message: string }[]): Promise<void> => {
    const lang = ctx.state.lang;
    const t = postkorbText(lang);
    const messages = await postkorb.list(me.id);
    const highest = messages.reduce<Loa>((h, m) => (compareLoa(m.requiredLoa, h) > 0 ? m.requiredLoa : h), LOA_LEVELS[0]);
    const enough = loaSatisfies(level(ctx), highest);
    renderPage(ctx, {
      title: t.removeTitle,
      status: errors.length > 0 ? 400 : enough ? 200 : 403,
      main: html`<h1>${t.removeTitle}</h1>
        ${errorSummary(frameText(lang).errorSummaryTitle, errors)}
        <p>${fmt(t.removeText, { count: messages.length })}</p>
        ${messages.length > 0 ? html`<p>${t.removeExport} <a href="${EXPORT}" download>${t.exportAll}</a></p>` : ''}
        ${
          enough
            ? html`<form method="post" action="${REMOVE}" novalidate>
                ${csrfField(ctx)} ${checkbox({ name: 'bestaetigung', label: t.removeCheckbox, required: true, error: errors[0]?.message })}
                <div class="actions">
                  <a class="button secondary" href="${INBOX}">${t.cancel}</a>
                  <button type="submit" class="danger">${t.removeSubmit}</button>
                </div>
              </form>`
            : html`<p class="notice">${fmt(t.removeLocked, { level: levelWord(lang, highest) })}</p>
                <p><a class="button" href="${stepUpPath(highest, REMOVE, INBOX)}">${t.stepUpShort}</a></p>
                <p><a href="${INBOX}">${t.cancel}</a></p>`
        }`,
    });
  };

  router.get(REMOVE, requireLogin, async (ctx) => {
    const me = await account(ctx);
    if (!(await postkorb.find(me.id))) return ctx.redirect(INBOX);
    await renderRemove(ctx, me, []);
  });

  router.post(REMOVE, requireLogin, async (ctx) => {
    const t = postkorbText(ctx.state.lang);
    const me = await account(ctx);
    if (!(await postkorb.find(me.id))) return ctx.redirect(INBOX);
    const messages = await postkorb.list(me.id);
    if (messages.some((m) => !loaSatisfies(level(ctx), m.requiredLoa))) return renderRemove(ctx, me, []);
    if (ctx.state.form.get('bestaetigung') !== 'yes') return renderRemove(ctx, me, [{ field: 'bestaetigung', message: t.removeMissing }]);
    await postkorb.remove(me.id);
    ctx.state.session.set(NOTICE, t.removed);
    ctx.redirect(INBOX);
  });
}

/** A file name not yet used in the folder ("bescheid.pdf", "bescheid (2).pdf"). */
function uniqueName(name: string, used: Set<string>): string {
  let candidate = name;
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${stem} (${n})${ext}`;
  used.add(candidate.toLowerCase());
  return candidate;
}

import { defineMessages, type Lang } from '../web/i18n.ts';

/** The Postkorb's words, German first. */
export const postkorbText = defineMessages(
  {
    title: 'Postkorb',
    intro:
      'Im Postkorb erhalten Sie Nachrichten und Dokumente von Behörden, bei denen Sie über einen Online-Dienst etwas beantragt haben. Über jede neue Nachricht informieren wir Sie per E-Mail. Der Postkorb ist nur zum Empfangen da; antworten können Sie hier nicht.',
    none: 'Sie haben noch keinen Postkorb.',
    create: 'Postkorb erstellen',
    createHint:
      'Ihr Servicekonto erhält eine zufällige Postkorb-Adresse. Online-Dienste erfahren sie nur, wenn Sie der Übermittlung bei der Anmeldung zustimmen.',
    created: 'Ihr Postkorb wurde erstellt.',
    federated:
      'Sie sind über das Servicekonto eines anderen Landes angemeldet. Dafür gibt es hier keinen Postkorb: Nachrichten erhalten Sie im Postfach Ihres eigenen Servicekontos.',
    handleLabel: 'Postkorb-Adresse (Postkorb-Handle)',
    empty: 'Ihr Postkorb ist leer.',
    tableCaption: 'Nachrichten, neueste zuerst',
    colSender: 'Absender',
    colSubject: 'Betreff',
    colDate: 'Eingang',
    colLevel: 'Nötiges Vertrauensniveau',
    colStatus: 'Status',
    colAttachments: 'Anhänge',
    unread: 'ungelesen',
    read: 'gelesen',
    hidden: 'nicht angezeigt',
    locked: 'Gesperrt',
    stepUp: 'Mit höherem Vertrauensniveau anmelden und Nachricht öffnen',
    stepUpShort: 'Höher anmelden',
    stepUpFor: 'Nachricht von {sender} vom {date}',
    open: 'Öffnen',
    lockedTitle: 'Nachricht von {sender}',
    lockedIntro:
      'Diese Nachricht verlangt das Vertrauensniveau „{level}“. Ihre aktuelle Sitzung hat „{current}“. Betreff, Text und Anhänge werden erst nach der Anmeldung angezeigt.',
    reference: 'Aktenzeichen',
    noReference: 'keines angegeben',
    level: 'Vertrauensniveau',
    attachments: 'Anhänge',
    noAttachments: 'Keine Anhänge.',
    download: '{name} herunterladen ({type}, {size})',
    deleteMessage: 'Nachricht löschen',
    deleteTitle: 'Nachricht löschen?',
    deleteText: 'Die Nachricht „{subject}“ von {sender} wird mit ihren Anhängen unwiderruflich gelöscht.',
    deleteConfirm: 'Endgültig löschen',
    deleted: 'Die Nachricht wurde gelöscht.',
    cancel: 'Abbrechen',
    back: 'Zurück zum Postkorb',
    exportAll: 'Alle Nachrichten herunterladen',
    exportHint: 'Eine ZIP-Datei mit allen Nachrichten als Text und ihren Anhängen.',
    exportLeftOut:
      '{count} Nachricht(en) verlangen ein höheres Vertrauensniveau als Ihre aktuelle Sitzung und sind im Download nicht enthalten. Melden Sie sich vorher höher an, um alle herunterzuladen.',
    exportStepUp: 'Höher anmelden, um alle herunterzuladen',
    removeLink: 'Postkorb entfernen',
    removeTitle: 'Postkorb entfernen',
    removeText:
      'Ihr Postkorb wird mit allen {count} Nachrichten und Anhängen unwiderruflich gelöscht. Online-Dienste können Ihnen dann keine Nachrichten mehr senden. Ihr Servicekonto bleibt bestehen; Sie können später einen neuen Postkorb mit einer neuen Adresse erstellen.',
    removeExport: 'Laden Sie vorher alle Nachrichten herunter, wenn Sie sie behalten möchten.',
    removeLocked:
      'Ihr Postkorb enthält Nachrichten, die das Vertrauensniveau „{level}“ verlangen. Um ihn zu entfernen, melden Sie sich bitte zuerst mit diesem Niveau an.',
    removeCheckbox: 'Ich möchte meinen Postkorb mit allen Nachrichten endgültig löschen.',
    removeMissing: 'Bitte bestätigen Sie, dass der Postkorb endgültig gelöscht werden soll.',
    removeSubmit: 'Postkorb entfernen',
    removed: 'Ihr Postkorb wurde mit allen Nachrichten gelöscht.',
    sectionNone: 'Sie haben noch keinen Postkorb. Darin erhalten Sie Nachrichten und Dokumente von Behörden.',
    sectionSummary: '{total} Nachricht(en), davon {unread} ungelesen.',
    sectionOpen: 'Zum Postkorb',
    deletePage:
      'Mit Ihrem Servicekonto wird auch Ihr Postkorb mit allen {count} Nachrichten und Anhängen unwiderruflich gelöscht. Laden Sie sie vorher herunter, wenn Sie sie behalten möchten.',
    registrationLabel: 'Postkorb erstellen',
    registrationHint:
      'Im Postkorb erhalten Sie Nachrichten und Dokumente von Behörden. Sie können ihn auch später unter „Mein Servicekonto“ erstellen.',
    navLabel: 'Postkorb',
    methodPwd: 'Benutzername und Passwort',
    methodPass: 'Servicekonto.Pass',
    methodEid: 'Online-Ausweisfunktion',
    methodOther: 'Servicekonto eines anderen Landes',
    methodEidas: 'europäische eID (eIDAS)',
    or: 'oder',
    onlyAfter: 'nur lesbar nach Anmeldung mit {methods}',
    unreachable: 'mit keinem hier angebotenen Verfahren lesbar',
  },
  {
    title: 'Postkorb',
    intro:
      'In the Postkorb you receive messages and documents from authorities to which you applied through an online service. We tell you about every new message by e-mail. The Postkorb only receives; you cannot reply here.',
    none: 'You do not have a Postkorb yet.',
    create: 'Create a Postkorb',
    createHint:
      'Your Servicekonto gets a random Postkorb address. Online services learn it only when you agree to its transfer at a login.',
    created: 'Your Postkorb was created.',
    federated:
      "You are logged in through another state's Servicekonto. There is no Postkorb here for that: you receive messages in the mailbox of your own Servicekonto.",
    handleLabel: 'Postkorb address (Postkorb handle)',
    empty: 'Your Postkorb is empty.',
    tableCaption: 'Messages, newest first',
    colSender: 'Sender',
    colSubject: 'Subject',
    colDate: 'Received',
    colLevel: 'Level of assurance needed',
    colStatus: 'Status',
    colAttachments: 'Attachments',
    unread: 'unread',
    read: 'read',
    hidden: 'not shown',
    locked: 'Locked',
    stepUp: 'Log in with a higher level of assurance and open the message',
    stepUpShort: 'Log in higher',
    stepUpFor: 'message from {sender} of {date}',
    open: 'Open',
    lockedTitle: 'Message from {sender}',
    lockedIntro:
      'This message requires the level of assurance "{level}". Your current session has "{current}". Subject, text and attachments are shown after that login.',
    reference: 'File reference',
    noReference: 'none given',
    level: 'Level of assurance',
    attachments: 'Attachments',
    noAttachments: 'No attachments.',
    download: 'Download {name} ({type}, {size})',
    deleteMessage: 'Delete message',
    deleteTitle: 'Delete the message?',
    deleteText: 'The message "{subject}" from {sender} is deleted with its attachments, irrevocably.',
    deleteConfirm: 'Delete for good',
    deleted: 'The message was deleted.',
    cancel: 'Cancel',
    back: 'Back to the Postkorb',
    exportAll: 'Download all messages',
    exportHint: 'A ZIP file with every message as text and its attachments.',
    exportLeftOut:
      '{count} message(s) require a higher level of assurance than your current session and are not in the download. Log in higher first to download all.',
    exportStepUp: 'Log in higher to download all',
    removeLink: 'Remove the Postkorb',
    removeTitle: 'Remove the Postkorb',
    removeText:
      'Your Postkorb is deleted with all {count} messages and attachments, irrevocably. Online services can then no longer send you messages. Your Servicekonto stays; you can create a new Postkorb with a new address later.',
    removeExport: 'Download all messages first if you want to keep them.',
    removeLocked:
      'Your Postkorb holds messages that require the level of assurance "{level}". To remove it, please log in at that level first.',
    removeCheckbox: 'I want to delete my Postkorb with all its messages for good.',
    removeMissing: 'Please confirm that the Postkorb is to be deleted for good.',
    removeSubmit: 'Remove the Postkorb',
    removed: 'Your Postkorb was deleted with all its messages.',
    sectionNone: 'You do not have a Postkorb yet. In it you receive messages and documents from authorities.',
    sectionSummary: '{total} message(s), {unread} of them unread.',
    sectionOpen: 'Go to the Postkorb',
    deletePage:
      'Together with your Servicekonto, your Postkorb with all {count} messages and attachments is deleted irrevocably. Download them first if you want to keep them.',
    registrationLabel: 'Create a Postkorb',
    registrationHint:
      'In the Postkorb you receive messages and documents from authorities. You can also create it later under "My Servicekonto".',
    navLabel: 'Postkorb',
    methodPwd: 'user name and password',
    methodPass: 'Servicekonto.Pass',
    methodEid: 'online ID function',
    methodOther: "another state's Servicekonto",
    methodEidas: 'European eID (eIDAS)',
    or: 'or',
    onlyAfter: 'readable only after logging in with {methods}',
    unreachable: 'not readable with any method offered here',
  },
);

/** Sizes as citizens read them. */
export function sizeWords(lang: Lang, bytes: number): string {
  const n = new Intl.NumberFormat(lang === 'de' ? 'de-DE' : 'en-GB', { maximumFractionDigits: 1 });
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${n.format(bytes / 1024)} KB`;
  return `${n.format(bytes / 1024 / 1024)} MB`;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  'application/pdf': 'PDF',
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
  'application/xml': 'XML',
  'text/plain': 'Text',
};

export function typeWord(type: string): string {
  return TYPE_WORDS[type] ?? type;
}

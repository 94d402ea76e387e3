import { defineMessages, type Lang } from '../../web/i18n.ts';

/** Everything the eID pages say, German first. */
export const eidText = defineMessages(
  {
    methodTitle: 'Mit der Online-Ausweisfunktion',
    methodIntro:
      'Mit Ihrem Personalausweis, Ihrer eID-Karte oder Ihrem elektronischen Aufenthaltstitel, Ihrer PIN und der AusweisApp. Vertrauensniveau „hoch“.',
    methodSubmit: 'Mit Online-Ausweis anmelden',
    methodRegister: 'Registrieren mit der Online-Ausweisfunktion',
    describeLimit: 'Online-Ausweisfunktion (Vertrauensniveau „hoch“)',

    cancelled: 'Sie haben das Auslesen des Ausweises abgebrochen. Es wurde nichts geändert.',
    invalidDocument:
      'Ihr Ausweis ist nicht gültig: Er ist abgelaufen oder gesperrt. Bitte verwenden Sie einen gültigen Ausweis. Es wurde nichts geändert.',
    expired: 'Ihr Ausweis ist abgelaufen. Bitte verwenden Sie einen gültigen Ausweis. Es wurde nichts geändert.',
    tooYoung:
      'Für ein Servicekonto müssen Sie mindestens {age} Jahre alt sein. Laut Ihrem Ausweis sind Sie jünger. Es wurde nichts geändert.',
    deniedDocument:
      'Dieses Ausweisdokument erreicht nicht das Vertrauensniveau „hoch“ oder ist für diesen Dienst nicht zugelassen. Es wurde nichts geändert.',
    incomplete:
      'Der Ausweis hat nicht alle nötigen Daten übermittelt: Familienname, Geburtsdatum und Pseudonym sind erforderlich. Bitte wählen Sie diese Angaben in der AusweisApp nicht ab. Es wurde nichts geändert.',
    busy: 'Der eID-Dienst ist gerade ausgelastet. Bitte versuchen Sie es in einigen Minuten erneut.',
    technical: 'Die Verbindung zum eID-Server ist fehlgeschlagen. Bitte versuchen Sie es später erneut. Fehlernummer für Rückfragen: {ref}',
    notFound:
      'Dieser Vorgang mit dem Ausweis wurde nicht in diesem Browser begonnen, ist abgelaufen oder wurde bereits abgeschlossen. Bitte starten Sie ihn erneut.',
    throttled:
      'Von Ihrem Anschluss wurden zu viele Vorgänge mit dem Ausweis begonnen. Bitte warten Sie {wait} und versuchen Sie es dann erneut.',
    tryAgain: 'Erneut versuchen',

    noAccountTitle: 'Kein Servicekonto zu diesem Ausweis',
    noAccountText: 'Mit diesem Ausweis ist noch kein Servicekonto verknüpft.',
    noAccountRegister: 'Mit den Daten dieses Ausweises registrieren',
    noAccountUpgrade:
      'Sie haben schon ein Servicekonto mit Benutzername und Passwort? Melden Sie sich damit an und fügen Sie den Ausweis unter „Meine Authentifizierungsmittel“ hinzu.',
    toLogin: 'Zur Anmeldung',
    otherAccount: 'Dieser Ausweis gehört zu einem anderen Servicekonto. Bitte melden Sie sich zuerst ab. Es wurde nichts geändert.',
    notLinkedHere:
      'Dieser Ausweis ist nicht mit Ihrem Servicekonto verknüpft. Sie können ihn unter „Meine Authentifizierungsmittel“ hinzufügen. Es wurde nichts geändert.',
    pending:
      'Ihr Servicekonto ist noch nicht aktiviert. Bitte öffnen Sie den Link in der Bestätigungs-E-Mail, die wir Ihnen gesendet haben.',
    resend: 'Bestätigungs-E-Mail erneut senden',
    resent: 'Wenn Ihre Registrierung noch nicht abgelaufen ist, haben wir die Bestätigungs-E-Mail erneut gesendet.',
    dataUpdated: 'Ihre Daten wurden aus Ihrem Ausweis aktualisiert: {fields}.',

    regTitle: 'Registrieren mit der Online-Ausweisfunktion',
    regIntro:
      'Ihre persönlichen Daten werden aus Ihrem Ausweis gelesen und gelten als geprüft (Vertrauensniveau „hoch“). Ändern können Sie sie nur mit dem Ausweis. Danach wählen Sie einen Benutzernamen und bestätigen Ihre E-Mail-Adresse.',
    regNeed: 'Sie brauchen:',
    regNeedCard:
      'Ihren Personalausweis, Ihre eID-Karte oder Ihren elektronischen Aufenthaltstitel mit eingeschalteter Online-Ausweisfunktion',
    regNeedPin: 'Ihre sechsstellige PIN',
    regNeedApp: 'die AusweisApp auf Ihrem Computer oder Smartphone',
    regStart: 'Ausweis auslesen',
    regWithout: 'Ohne Ausweis registrieren',
    regStepsLabel: 'Schritte der Registrierung mit dem Ausweis',
    regStep1: '1. Ausweis auslesen',
    regStep2: '2. Zugangsdaten',
    regStep3: '3. Überprüfen',
    regCardData: 'Daten aus Ihrem Ausweis',
    regCardDataNote: 'Geprüft mit der Online-Ausweisfunktion; diese Angaben können Sie nicht ändern.',
    regEmailHint: 'An diese Adresse senden wir den Bestätigungslink. Sie muss innerhalb von 24 Stunden bestätigt werden.',
    passwordOptional: '(optional)',
    passwordOptionalHint:
      'Ohne Passwort melden Sie sich nur mit der Online-Ausweisfunktion an. Mit Passwort können Sie sich zusätzlich mit Benutzername und Passwort anmelden (Vertrauensniveau „niedrig“).',
    regNoPassword: 'kein Passwort (Anmeldung nur mit der Online-Ausweisfunktion)',
    regDraftMissing: 'Die Daten aus Ihrem Ausweis liegen nicht mehr vor. Bitte lesen Sie den Ausweis erneut aus.',
    alreadyRegistered: 'Für diesen Ausweis gibt es bereits ein Servicekonto. Bitte melden Sie sich mit der Online-Ausweisfunktion an.',
    registerChoice: 'Schneller und mit geprüften Daten:',
    sentTitle: 'Fast geschafft: Bitte bestätigen Sie Ihre E-Mail-Adresse',
    sentText:
      'Wir haben eine E-Mail an {email} gesendet. Öffnen Sie den Link darin innerhalb von 24 Stunden, um Ihr Servicekonto zu aktivieren. Sonst wird die Registrierung mit allen Daten gelöscht.',
    sentMailFailed:
      'Die Bestätigungs-E-Mail konnte gerade nicht versendet werden. Melden Sie sich mit der Online-Ausweisfunktion an, um sie erneut anzufordern.',
    temporaryContinueText:
      'Ihre temporäre Anmeldung für „{portal}“ läuft weiter: Ihre Daten werden diesmal ohne Konto übermittelt. Ab der Bestätigung melden Sie sich mit Ihrem Servicekonto an.',
    temporaryContinue: 'Weiter zu „{portal}“',

    authTitle: 'Meine Authentifizierungsmittel',
    continueTitle: 'Weiter zur AusweisApp',
    continueText: 'Die AusweisApp auf Ihrem Gerät liest jetzt Ihren Ausweis. Halten Sie Ausweis und PIN bereit.',
    continueButton: 'AusweisApp öffnen',
    sectionEidBound: 'Online-Ausweis: verknüpft seit {date}',
    sectionEidNone: 'Online-Ausweis: nicht verknüpft',
    eidTitle: 'Online-Ausweisfunktion',
    eidBound: 'Ihr Ausweis ({type}) ist seit {bound} mit Ihrem Servicekonto verknüpft. Zuletzt verwendet: {used}.',
    eidVerifiedData: 'Diese Daten stammen aus Ihrem Ausweis und sind geprüft (Vertrauensniveau „hoch“):',
    eidNewCardText:
      'Haben Sie einen neuen Ausweis? Er hat ein neues Pseudonym. Stimmen Name und Geburtsdatum mit den bisherigen Daten überein, ersetzt er den alten Ausweis.',
    eidNewCard: 'Neuen Ausweis verknüpfen',
    eidNone: 'Mit Ihrem Ausweis melden Sie sich mit dem Vertrauensniveau „hoch“ an, und Ihre Daten gelten als geprüft.',
    eidRule:
      'Der Ausweis wird hinzugefügt, wenn Familienname und Geburtsdatum mit Ihren Angaben übereinstimmen und Ihre Vornamen auf dem Ausweis stehen. Groß- und Kleinschreibung, „ß“/„ss“ und „ä“/„ae“ zählen dabei gleich. Danach ersetzen die Daten aus dem Ausweis Ihre eigenen Angaben.',
    eidAdd: 'Ausweis hinzufügen',
    mismatch: 'Der Ausweis passt nicht zu Ihrem Servicekonto: {fields} stimmt nicht überein. Es wurde nichts geändert.',
    mismatchMany: 'Der Ausweis passt nicht zu Ihrem Servicekonto: {fields} stimmen nicht überein. Es wurde nichts geändert.',
    upgraded: 'Ihr Ausweis ist jetzt mit Ihrem Servicekonto verknüpft. Ihre Daten aus dem Ausweis sind geprüft.',
    rebound: 'Ihr neuer Ausweis ist jetzt mit Ihrem Servicekonto verknüpft und ersetzt den bisherigen.',
    sameCard: 'Dieser Ausweis ist bereits mit Ihrem Servicekonto verknüpft.',
    otherAccountCard: 'Dieser Ausweis ist bereits mit einem anderen Servicekonto verknüpft. Es wurde nichts geändert.',

    reauthTitle: 'Mit dem Ausweis bestätigen',
    reauthChangeData:
      'Ihr Servicekonto ist mit Ihrem Ausweis verknüpft. Bevor Sie Ihre Daten ändern, bestätigen Sie bitte mit der Online-Ausweisfunktion, dass Sie es sind.',
    reauthDeleteAccount:
      'Ihr Servicekonto ist mit Ihrem Ausweis verknüpft. Bevor Sie es löschen, bestätigen Sie bitte mit der Online-Ausweisfunktion, dass Sie es sind.',
    reauthSetPassword:
      'Ihr Servicekonto ist mit Ihrem Ausweis verknüpft. Bevor Sie ein Passwort festlegen, bestätigen Sie bitte mit der Online-Ausweisfunktion, dass Sie es sind.',
    reauthChangeAuthenticators:
      'Ihr Servicekonto ist mit Ihrem Ausweis verknüpft. Bevor Sie einen Servicekonto.Pass hinzufügen oder entfernen, bestätigen Sie bitte mit der Online-Ausweisfunktion, dass Sie es sind.',
    reauthNoteAuthenticators:
      'Nach der Bestätigung hat Ihre Sitzung bis zu 2 Stunden (30 Minuten ohne Aktivität) mindestens das Vertrauensniveau „substanziell“; so lange können Sie Passkeys hinzufügen und entfernen.',
    reauthNote:
      'Die Bestätigung gilt in dieser Sitzung, solange sie das Vertrauensniveau „hoch“ hat: höchstens 30 Minuten und nur 5 Minuten ohne Aktivität.',
    reauthSubmit: 'Mit Online-Ausweis bestätigen',
    cancel: 'Abbrechen',

    mailBoundSubject: 'Ausweis mit Ihrem Servicekonto verknüpft',
    mailBoundText:
      'Guten Tag,\n\nmit Ihrem Servicekonto „{username}“ wurde am {when} Uhr ein Ausweis verknüpft (Online-Ausweisfunktion). Die Daten aus dem Ausweis ersetzen Ihre bisherigen Angaben.\n\nWenn Sie das nicht waren, melden Sie sich bitte sofort bei uns.',
  },
  {
    methodTitle: 'With the online ID function',
    methodIntro:
      'With your German ID card, eID card or electronic residence permit, your PIN and the AusweisApp. Level of assurance "high".',
    methodSubmit: 'Log in with online ID',
    methodRegister: 'Register with the online ID function',
    describeLimit: 'Online ID function (level of assurance "high")',

    cancelled: 'You cancelled reading the ID card. Nothing was changed.',
    invalidDocument: 'Your ID card is not valid: it has expired or been revoked. Please use a valid ID card. Nothing was changed.',
    expired: 'Your ID card has expired. Please use a valid ID card. Nothing was changed.',
    tooYoung: 'You must be at least {age} years old for a Servicekonto. According to your ID card you are younger. Nothing was changed.',
    deniedDocument:
      'This ID document does not reach the level of assurance "high" or is not accepted for this service. Nothing was changed.',
    incomplete:
      'The ID card did not provide all the data needed: family name, date of birth and pseudonym are required. Please do not deselect them in the AusweisApp. Nothing was changed.',
    busy: 'The eID service is busy right now. Please try again in a few minutes.',
    technical: 'The connection to the eID server failed. Please try again later. Error reference for enquiries: {ref}',
    notFound: 'This ID card process was not started in this browser, has expired or was already completed. Please start it again.',
    throttled: 'Too many ID card processes were started from your connection. Please wait {wait} and then try again.',
    tryAgain: 'Try again',

    noAccountTitle: 'No Servicekonto for this ID card',
    noAccountText: 'No Servicekonto is linked to this ID card yet.',
    noAccountRegister: 'Register with the data of this ID card',
    noAccountUpgrade:
      'You already have a Servicekonto with user name and password? Log in with it and add the ID card under "My means of authentication".',
    toLogin: 'Go to login',
    otherAccount: 'This ID card belongs to another Servicekonto. Please log out first. Nothing was changed.',
    notLinkedHere:
      'This ID card is not linked to your Servicekonto. You can add it under "My means of authentication". Nothing was changed.',
    pending: 'Your Servicekonto is not activated yet. Please open the link in the confirmation e-mail we sent you.',
    resend: 'Send confirmation e-mail again',
    resent: 'If your registration has not expired, we have sent the confirmation e-mail again.',
    dataUpdated: 'Your data was updated from your ID card: {fields}.',

    regTitle: 'Register with the online ID function',
    regIntro:
      'Your personal data is read from your ID card and counts as verified (level of assurance "high"). You can change it only with the ID card. Then you choose a user name and confirm your e-mail address.',
    regNeed: 'You need:',
    regNeedCard: 'your German ID card, eID card or electronic residence permit with the online ID function switched on',
    regNeedPin: 'your six-digit PIN',
    regNeedApp: 'the AusweisApp on your computer or smartphone',
    regStart: 'Read ID card',
    regWithout: 'Register without ID card',
    regStepsLabel: 'Steps of the registration with the ID card',
    regStep1: '1. Read ID card',
    regStep2: '2. Credentials',
    regStep3: '3. Review',
    regCardData: 'Data from your ID card',
    regCardDataNote: 'Verified with the online ID function; you cannot change these entries.',
    regEmailHint: 'We send the confirmation link to this address. It must be confirmed within 24 hours.',
    passwordOptional: '(optional)',
    passwordOptionalHint:
      'Without a password you log in with the online ID function only. With a password you can also log in with user name and password (level of assurance "low").',
    regNoPassword: 'no password (login with the online ID function only)',
    regDraftMissing: 'The data from your ID card is no longer available. Please read the ID card again.',
    alreadyRegistered: 'There already is a Servicekonto for this ID card. Please log in with the online ID function.',
    registerChoice: 'Faster and with verified data:',
    sentTitle: 'Almost done: please confirm your e-mail address',
    sentText:
      'We sent an e-mail to {email}. Open the link in it within 24 hours to activate your Servicekonto. Otherwise the registration is deleted with all its data.',
    sentMailFailed: 'The confirmation e-mail could not be sent just now. Log in with the online ID function to ask for it again.',
    temporaryContinueText:
      'Your temporary login for "{portal}" goes on: this time your data are sent without the account. Once confirmed, you log in with your Servicekonto.',
    temporaryContinue: 'Continue to "{portal}"',

    authTitle: 'My means of authentication',
    continueTitle: 'On to the AusweisApp',
    continueText: 'The AusweisApp on your device now reads your ID card. Have your card and PIN ready.',
    continueButton: 'Open the AusweisApp',
    sectionEidBound: 'Online ID: linked since {date}',
    sectionEidNone: 'Online ID: not linked',
    eidTitle: 'Online ID function',
    eidBound: 'Your ID card ({type}) has been linked to your Servicekonto since {bound}. Last used: {used}.',
    eidVerifiedData: 'This data comes from your ID card and is verified (level of assurance "high"):',
    eidNewCardText:
      'Do you have a new ID card? It has a new pseudonym. If name and date of birth match the data so far, it replaces the old card.',
    eidNewCard: 'Link a new ID card',
    eidNone: 'With your ID card you log in at the level of assurance "high", and your data counts as verified.',
    eidRule:
      'The ID card is added when family name and date of birth match your entries and your given names are on the card. Upper and lower case, "ß"/"ss" and "ä"/"ae" count as equal. After that the data from the card replaces your own entries.',
    eidAdd: 'Add ID card',
    mismatch: 'The ID card does not match your Servicekonto: {fields} differs. Nothing was changed.',
    mismatchMany: 'The ID card does not match your Servicekonto: {fields} differ. Nothing was changed.',
    upgraded: 'Your ID card is now linked to your Servicekonto. Your data from the card is verified.',
    rebound: 'Your new ID card is now linked to your Servicekonto and replaces the old one.',
    sameCard: 'This ID card is already linked to your Servicekonto.',
    otherAccountCard: 'This ID card is already linked to another Servicekonto. Nothing was changed.',

    reauthTitle: 'Confirm with your ID card',
    reauthChangeData:
      'Your Servicekonto is linked to your ID card. Before you change your data, please confirm with the online ID function that it is you.',
    reauthDeleteAccount:
      'Your Servicekonto is linked to your ID card. Before you delete it, please confirm with the online ID function that it is you.',
    reauthSetPassword:
      'Your Servicekonto is linked to your ID card. Before you set a password, please confirm with the online ID function that it is you.',
    reauthChangeAuthenticators:
      'Your Servicekonto is linked to your ID card. Before you add or remove a Servicekonto.Pass, please confirm with the online ID function that it is you.',
    reauthNoteAuthenticators:
      'After the confirmation your session has at least the level of assurance "substantial" for up to 2 hours (30 minutes without activity); during that time you can add and remove passkeys.',
    reauthNote:
      'The confirmation holds in this session as long as it has the level of assurance "high": at most 30 minutes, and only 5 minutes without activity.',
    reauthSubmit: 'Confirm with online ID',
    cancel: 'Cancel',

    mailBoundSubject: 'ID card linked to your Servicekonto',
    mailBoundText:
      'Hello,\n\nan ID card was linked to your Servicekonto "{username}" on {when} (online ID function). The data from the card replaces your previous entries.\n\nIf this was not you, please contact us at once.',
  },
);

/** The document type of TR-03127 in words; unknown codes as they are. */
export function documentTypeWord(lang: Lang, code: string | null | undefined): string {
  const c = (code ?? '').trim();
  if (c === 'ID') return lang === 'de' ? 'Personalausweis' : 'German ID card';
  if (c === 'UB') return lang === 'de' ? 'eID-Karte für Unionsbürger' : 'eID card for EU citizens';
  if (/^A[A-Z ]$/.test(c)) return lang === 'de' ? 'elektronischer Aufenthaltstitel' : 'electronic residence permit';
  return c === '' ? (lang === 'de' ? 'Ausweis' : 'ID document') : c;
}

/** A country code from the card in words where it is Germany's (ICAO "D", ISO "DE"); others as they are. */
export function countryWord(lang: Lang, code: string, kind: 'nationality' | 'state'): string {
  if (code !== 'D' && code !== 'DE') return code;
  if (kind === 'nationality') return lang === 'de' ? `deutsch (${code})` : `German (${code})`;
  return lang === 'de' ? `Deutschland (${code})` : `Germany (${code})`;
}

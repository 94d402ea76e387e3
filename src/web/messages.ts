import type { HubErrorCode } from '../core/errors.ts';
import type { Loa } from '../core/loa.ts';
import { defineMessages, type Lang } from './i18n.ts';

/** Words of the page frame, the levels and the error pages. */
export const frameText = defineMessages(
  {
    skipLink: 'Zum Inhalt springen',
    sessionLabel: 'Aktuelle Sitzung:',
    notLoggedIn: 'nicht angemeldet',
    navHome: 'Startseite',
    navAccount: 'Mein Servicekonto',
    navLogin: 'Anmelden',
    navRegister: 'Registrieren',
    logout: 'Abmelden',
    languageSwitch: 'English',
    languageSwitchLabel: 'Switch to English',
    footerLabel: 'Rechtliches und Barrierefreiheit',
    impressum: 'Impressum',
    datenschutz: 'Datenschutzerklärung',
    barrierefreiheit: 'Erklärung zur Barrierefreiheit',
    leichteSprache: 'Leichte Sprache',
    gebaerdensprache: 'Gebärdensprache',
    mainNav: 'Hauptnavigation',
    errorSummaryTitle: 'Bitte korrigieren Sie die folgenden Angaben:',
    errorRef: 'Fehlernummer für Rückfragen: {id}',
    backHome: 'Zur Startseite',
    sessionTimedOut: 'Ihre Sitzung ist aus Sicherheitsgründen abgelaufen. Bitte melden Sie sich erneut an.',
    optional: '(optional)',
  },
  {
    skipLink: 'Skip to content',
    sessionLabel: 'Current session:',
    notLoggedIn: 'not logged in',
    navHome: 'Home',
    navAccount: 'My Servicekonto',
    navLogin: 'Log in',
    navRegister: 'Register',
    logout: 'Log out',
    languageSwitch: 'Deutsch',
    languageSwitchLabel: 'Auf Deutsch wechseln',
    footerLabel: 'Legal and accessibility',
    impressum: 'Legal notice',
    datenschutz: 'Privacy policy',
    barrierefreiheit: 'Accessibility statement',
    leichteSprache: 'Easy language',
    gebaerdensprache: 'Sign language',
    mainNav: 'Main navigation',
    errorSummaryTitle: 'Please correct the following:',
    errorRef: 'Error reference for enquiries: {id}',
    backHome: 'Back to the start page',
    sessionTimedOut: 'Your session has expired for security reasons. Please log in again.',
    optional: '(optional)',
  },
);

const LEVEL_WORDS: Readonly<Record<Lang, Readonly<Record<Loa, string>>>> = {
  de: { basic: 'Basisregistrierung', low: 'niedrig', substantial: 'substanziell', high: 'hoch' },
  en: { basic: 'basic registration', low: 'low', substantial: 'substantial', high: 'high' },
};

/** The level in words, as the header shows it ("Aktuelle Sitzung: niedrig"). */
export function levelWord(lang: Lang, loa: Loa): string {
  return LEVEL_WORDS[lang][loa];
}

const ERROR_TEXT: Readonly<Record<Lang, Readonly<Record<HubErrorCode, { title: string; text: string }>>>> = {
  de: {
    bad_request: { title: 'Ungültige Anfrage', text: 'Die Anfrage konnte nicht verarbeitet werden.' },
    csrf_invalid: {
      title: 'Formular abgelaufen',
      text: 'Das Formular war nicht mehr gültig, zum Beispiel weil Ihre Sitzung abgelaufen ist. Bitte rufen Sie die Seite erneut auf und senden Sie das Formular noch einmal.',
    },
    login_required: { title: 'Anmeldung erforderlich', text: 'Bitte melden Sie sich an, um diese Seite zu sehen.' },
    not_found: { title: 'Seite nicht gefunden', text: 'Die aufgerufene Seite gibt es nicht.' },
    payload_too_large: { title: 'Eingabe zu groß', text: 'Die gesendeten Daten sind zu umfangreich.' },
    throttled: { title: 'Zu viele Versuche', text: 'Bitte warten Sie {wait} und versuchen Sie es dann erneut.' },
    token_invalid: { title: 'Link ungültig', text: 'Dieser Link ist ungültig oder wurde bereits verwendet.' },
    saml_request_invalid: {
      title: 'Anmeldeanfrage ungültig',
      text: 'Die Anmeldeanfrage des Online-Dienstes ist ungültig oder abgelaufen. Bitte kehren Sie zum Online-Dienst zurück und starten Sie die Anmeldung dort erneut.',
    },
    saml_unknown_sp: {
      title: 'Online-Dienst unbekannt',
      text: 'Der Online-Dienst, der Sie hierher geschickt hat, ist beim Servicekonto nicht zugelassen. Es wurden keine Daten übermittelt.',
    },
    saml_signature_invalid: {
      title: 'Anmeldeanfrage nicht vertrauenswürdig',
      text: 'Die Anmeldeanfrage des Online-Dienstes trägt keine gültige Signatur. Aus Sicherheitsgründen wurde sie abgelehnt; es wurden keine Daten übermittelt.',
    },
    saml_acs_not_registered: {
      title: 'Rücksprungadresse unbekannt',
      text: 'Die Anmeldeanfrage nennt eine Rücksprungadresse, die für diesen Online-Dienst nicht hinterlegt ist. Aus Sicherheitsgründen wurde sie abgelehnt.',
    },
    saml_replay: {
      title: 'Anmeldeanfrage bereits verwendet',
      text: 'Diese Anmeldeanfrage wurde bereits verarbeitet, zum Beispiel nach „Zurück“ im Browser. Bitte starten Sie die Anmeldung beim Online-Dienst erneut.',
    },
    federation_partner_unavailable: {
      title: 'Nutzerkonto derzeit nicht verfügbar',
      text: 'Die Anmeldung mit diesem Nutzerkonto eines anderen Landes ist derzeit nicht möglich. Bitte wählen Sie ein anderes Verfahren oder versuchen Sie es später erneut.',
    },
    federation_unsolicited: {
      title: 'Anmeldung nicht zuzuordnen',
      text: 'Die Antwort des anderen Nutzerkontos gehört zu keiner Anmeldung, die in diesem Browser begonnen wurde, oder wurde bereits verarbeitet. Es wurde nichts gespeichert. Bitte starten Sie die Anmeldung beim Online-Dienst erneut.',
    },
    federation_response_invalid: {
      title: 'Anmeldung fehlgeschlagen',
      text: 'Die Antwort des Nutzerkontos {partner} hat eine Sicherheitsprüfung nicht bestanden. Es wurde nichts gespeichert. Bitte versuchen Sie es erneut oder wählen Sie ein anderes Verfahren. Technischer Hinweis für den Support (englisch): {reason}',
    },
    federation_level_unknown: {
      title: 'Vertrauensniveau unbekannt',
      text: 'Das Nutzerkonto {partner} hat die Anmeldung mit einem Vertrauensniveau bestätigt, das dieses Servicekonto nicht kennt ({level}). Die Anmeldung wurde deshalb abgebrochen; es wurde nichts gespeichert.',
    },
    oidc_request_invalid: {
      title: 'Anmeldeanfrage ungültig',
      text: 'Der Online-Dienst hat eine Anmeldeanfrage gesendet, die das Servicekonto nicht beantworten kann ({error}). Es wurden keine Daten übermittelt. Bitte kehren Sie zum Online-Dienst zurück und starten Sie die Anmeldung dort erneut; besteht das Problem weiter, wenden Sie sich an dessen Betreiber.',
    },
    internal: { title: 'Technischer Fehler', text: 'Es ist ein technischer Fehler aufgetreten. Bitte versuchen Sie es später erneut.' },
    store_unavailable: {
      title: 'Dienst vorübergehend nicht verfügbar',
      text: 'Der Dienst ist vorübergehend nicht erreichbar. Bitte versuchen Sie es später erneut.',
    },
  },
  en: {
    bad_request: { title: 'Invalid request', text: 'The request could not be processed.' },
    csrf_invalid: {
      title: 'Form expired',
      text: 'The form was no longer valid, for example because your session expired. Please open the page again and resubmit the form.',
    },
    login_required: { title: 'Login required', text: 'Please log in to see this page.' },
    not_found: { title: 'Page not found', text: 'The page you requested does not exist.' },
    payload_too_large: { title: 'Input too large', text: 'The data sent is too large.' },
    throttled: { title: 'Too many attempts', text: 'Please wait {wait} and then try again.' },
    token_invalid: { title: 'Invalid link', text: 'This link is invalid or has already been used.' },
    saml_request_invalid: {
      title: 'Invalid login request',
      text: "The online service's login request is invalid or has expired. Please return to the online service and start the login there again.",
    },
    saml_unknown_sp: {
      title: 'Unknown online service',
      text: 'The online service that sent you here is not admitted to the Servicekonto. No data was transmitted.',
    },
    saml_signature_invalid: {
      title: 'Login request not trustworthy',
      text: "The online service's login request does not carry a valid signature. It was refused for security reasons; no data was transmitted.",
    },
    saml_acs_not_registered: {
      title: 'Unknown return address',
      text: 'The login request names a return address that is not registered for this online service. It was refused for security reasons.',
    },
    saml_replay: {
      title: 'Login request already used',
      text: 'This login request has already been processed, for example after "Back" in the browser. Please start the login at the online service again.',
    },
    federation_partner_unavailable: {
      title: 'Account currently unavailable',
      text: "Logging in with this other state's account is not possible at the moment. Please choose another method or try again later.",
    },
    federation_unsolicited: {
      title: 'Login cannot be matched',
      text: 'The answer of the other account belongs to no login started in this browser, or was already processed. Nothing was stored. Please start the login at the online service again.',
    },
    federation_response_invalid: {
      title: 'Login failed',
      text: 'The answer of the account {partner} failed a security check. Nothing was stored. Please try again or choose another method. Technical detail for support: {reason}',
    },
    federation_level_unknown: {
      title: 'Unknown level of assurance',
      text: 'The account {partner} confirmed the login with a level of assurance this Servicekonto does not know ({level}). The login was therefore stopped; nothing was stored.',
    },
    oidc_request_invalid: {
      title: 'Invalid login request',
      text: 'The online service sent a login request the Servicekonto cannot answer ({error}). No data was transmitted. Please return to the online service and start the login there again; if the problem persists, contact its operator.',
    },
    internal: { title: 'Technical error', text: 'A technical error occurred. Please try again later.' },
    store_unavailable: {
      title: 'Service temporarily unavailable',
      text: 'The service is temporarily unavailable. Please try again later.',
    },
  },
};

export function errorText(lang: Lang, code: HubErrorCode): { title: string; text: string } {
  return ERROR_TEXT[lang][code];
}

/** A wait in words: "8 Sekunden", "15 Minuten". */
export function waitWords(lang: Lang, ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 90) return lang === 'de' ? `${seconds} Sekunde${seconds === 1 ? '' : 'n'}` : `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return lang === 'de' ? `${minutes} Minuten` : `${minutes} minutes`;
}

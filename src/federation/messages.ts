import { defineMessages } from '../web/i18n.ts';

export const federationText = defineMessages(
  {
    methodTitle: 'Anmelden mit anderem deutschen Nutzerkonto',
    methodIntro:
      'Sie haben ein Nutzerkonto (Servicekonto) eines anderen Landes? Dann können Sie sich damit anmelden, ohne hier ein Konto anzulegen.',
    methodChoose: 'Land auswählen',
    methodLast: 'Weiter mit {partner}',
    methodLimit: 'Anmelden mit anderem deutschen Nutzerkonto (erreicht höchstens „{level}“)',
    discoveryTitle: 'Anmelden mit anderem deutschen Nutzerkonto',
    discoveryIntro:
      'Wählen Sie das Land, in dem Sie Ihr Nutzerkonto haben. Sie melden sich dort an und kommen danach hierher zurück; dabei werden nur die Daten übermittelt, denen Sie zustimmen.',
    filterLabel: 'Land suchen',
    filterHint: 'Geben Sie einen Teil des Namens ein.',
    filterButton: 'Suchen',
    filterReset: 'Alle Länder anzeigen',
    lastChoice: 'Zuletzt gewählt',
    allPartners: 'Länder',
    noMatch: 'Kein Land passt zu „{filter}“.',
    matches: '{count} von {total} Ländern angezeigt',
    none: 'Derzeit ist keine Anmeldung mit dem Nutzerkonto eines anderen Landes möglich.',
    reasonCap: 'nicht wählbar: erreicht höchstens das Vertrauensniveau „{cap}“, dieser Online-Dienst verlangt „{needed}“',
    reasonUnavailable: 'derzeit nicht verfügbar',
    backToLogin: 'Zurück zur Anmeldung',
    toPartnerTitle: 'Weiter zu {partner}',
    toPartnerText: 'Sie werden zur Anmeldung bei Ihrem Nutzerkonto {partner} weitergeleitet.',
    toPartnerButton: 'Weiter zu {partner}',
    declined:
      'Die Anmeldung bei {partner} wurde nicht abgeschlossen ({status}). Sie können es erneut versuchen oder ein anderes Verfahren wählen.',
    tooLow:
      'Das Nutzerkonto {partner} hat die Anmeldung mit dem Vertrauensniveau „{reached}“ bestätigt (nach der Obergrenze, die dieses Servicekonto für {partner} anwendet); der Online-Dienst verlangt „{needed}“. Es wurde nichts gespeichert. Bitte wählen Sie ein anderes Verfahren.',
    linkedTitle: 'Verbunden mit Ihrem Nutzerkonto {partner}',
    linkedText:
      'Ihre Daten stammen aus Ihrem Nutzerkonto {partner} und werden bei jeder Anmeldung von dort übernommen. Ändern können Sie sie nur dort; hier können Sie dieses Konto löschen.',
    lockedTitle: 'Ihre Daten verwaltet {partner}',
    lockedText:
      'Dieses Servicekonto ist mit Ihrem Nutzerkonto {partner} verbunden. Ihre Daten, Ihr Passwort und Ihre Anmeldeverfahren ändern Sie dort; bei der nächsten Anmeldung werden die Daten übernommen.',
    toAccount: 'Zurück zu „Mein Servicekonto“',
    logoutTitle: 'Abmeldung bei {partner}',
    logoutText: 'Sie werden auch bei Ihrem Nutzerkonto {partner} abgemeldet.',
    logoutButton: 'Weiter zu {partner}',
    continueTitle: 'Anmeldung wird fortgesetzt',
  },
  {
    methodTitle: 'Log in with another German account',
    methodIntro: 'You have an account (Servicekonto) of another German state? Log in with it, without creating an account here.',
    methodChoose: 'Choose the state',
    methodLast: 'Continue with {partner}',
    methodLimit: 'Log in with another German account (reaches at most "{level}")',
    discoveryTitle: 'Log in with another German account',
    discoveryIntro:
      'Choose the state where you have your account. You log in there and come back here afterwards; only the data you agree to are transferred.',
    filterLabel: 'Search for a state',
    filterHint: 'Type part of the name.',
    filterButton: 'Search',
    filterReset: 'Show all states',
    lastChoice: 'Chosen last time',
    allPartners: 'States',
    noMatch: 'No state matches "{filter}".',
    matches: '{count} of {total} states shown',
    none: "Logging in with another state's account is not possible at the moment.",
    reasonCap: 'not available: reaches at most the level of assurance "{cap}", this online service requires "{needed}"',
    reasonUnavailable: 'currently unavailable',
    backToLogin: 'Back to the login',
    toPartnerTitle: 'On to {partner}',
    toPartnerText: 'You are taken to the login of your account {partner}.',
    toPartnerButton: 'On to {partner}',
    declined: 'The login at {partner} was not completed ({status}). You may try again or choose another method.',
    tooLow:
      'The account {partner} confirmed the login at the level of assurance "{reached}" (after the limit this Servicekonto applies to {partner}); the online service requires "{needed}". Nothing was stored. Please choose another method.',
    linkedTitle: 'Linked with your account {partner}',
    linkedText:
      'Your data come from your account {partner} and are taken over from there at each login. You can change them only there; here you may delete this account.',
    lockedTitle: 'Your data are managed by {partner}',
    lockedText:
      'This Servicekonto is linked with your account {partner}. Change your data, password and login methods there; they are taken over at the next login.',
    toAccount: 'Back to "My Servicekonto"',
    logoutTitle: 'Logging out at {partner}',
    logoutText: 'You are logged out of your account {partner} as well.',
    logoutButton: 'On to {partner}',
    continueTitle: 'The login continues',
  },
);

import { defineMessages } from '../web/i18n.ts';

export const loginText = defineMessages(
  {
    title: 'Anmelden',
    intro: 'Melden Sie sich mit Ihrem Servicekonto an.',
    forPortal: 'Anmeldung für: {portal}',
    levelNeeded: 'Dieser Online-Dienst verlangt das Vertrauensniveau „{level}“.',
    stepUp:
      'Ihre aktuelle Sitzung hat das Vertrauensniveau „{current}“. Bitte melden Sie sich mit einem der folgenden Verfahren an, um es zu erhöhen.',
    levelNotReached:
      'Mit dieser Anmeldung haben Sie das Vertrauensniveau „{reached}“ erreicht; der Online-Dienst verlangt „{needed}“. Bitte wählen Sie ein anderes Verfahren.',
    withheldTitle: 'Nicht angeboten, weil das verlangte Vertrauensniveau damit nicht erreicht wird:',
    cancel: 'Abbrechen und zurück zu {portal}',
    noAccount: 'Noch kein Servicekonto?',
    register: 'Registrieren',
    expiredTitle: 'Anmeldevorgang nicht gefunden',
    expiredText:
      'Dieser Anmeldevorgang ist abgelaufen oder wurde bereits abgeschlossen. Bitte starten Sie die Anmeldung beim Online-Dienst neu.',
    loggedOutTitle: 'Abgemeldet',
    loggedOutText: 'Sie wurden abgemeldet.',
    unreachable:
      'Diese Online-Dienste konnten nicht über die Abmeldung benachrichtigt werden. Bitte melden Sie sich dort selbst ab oder schließen Sie den Browser:',
    loginAgain: 'Erneut anmelden',
    backToPortal: 'Zurück zu „{portal}“',
    accountlessTitle: 'Angemeldet mit dem Nutzerkonto {partner}',
    accountlessText:
      'Sie haben sich mit Ihrem Nutzerkonto {partner} angemeldet. Dieses Servicekonto legt für Sie kein Konto an und speichert Ihre Daten nicht: sie gelten nur für diese Sitzung und werden gelöscht, wenn sie endet (mit der Abmeldung oder wenn sie abläuft).',
    accountlessData: 'Diese Daten hat {partner} für diese Sitzung übermittelt:',
    temporaryTitle: 'Temporär anmelden',
    temporaryIntro:
      'Ohne Servicekonto, nur für diese Anmeldung, mit einem Verfahren, das kein Konto braucht (etwa der Online-Ausweisfunktion). Ihre Daten werden nach der Übermittlung an den Online-Dienst gelöscht.',
    temporaryExplained:
      'Sie melden sich ohne Servicekonto an, nur für diesen Online-Dienst. Es wird kein Konto angelegt; Ihre Daten werden nur für diese Anmeldung verwendet und gelöscht, sobald sie an den Online-Dienst übermittelt sind, spätestens mit der Abmeldung oder wenn die Sitzung abläuft.',
    temporaryBack: 'Doch mit Servicekonto anmelden',
    temporarySessionText:
      'Sie sind temporär angemeldet, ohne Servicekonto. Ihre Daten gelten nur für diese Anmeldung und werden gelöscht, sobald sie an den Online-Dienst übermittelt sind, spätestens mit der Abmeldung oder wenn die Sitzung abläuft.',
    temporarySessionData: 'Diese Daten liegen für diese Anmeldung vor:',
  },
  {
    title: 'Log in',
    intro: 'Log in with your Servicekonto.',
    forPortal: 'Login for: {portal}',
    levelNeeded: 'This online service requires the level of assurance "{level}".',
    stepUp: 'Your current session has the level of assurance "{current}". Please log in with one of the following methods to raise it.',
    levelNotReached:
      'This login reached the level of assurance "{reached}"; the online service requires "{needed}". Please choose another method.',
    withheldTitle: 'Not offered, because they cannot reach the required level of assurance:',
    cancel: 'Cancel and return to {portal}',
    noAccount: 'No Servicekonto yet?',
    register: 'Register',
    expiredTitle: 'Login not found',
    expiredText: 'This login has expired or was already completed. Please start the login at the online service again.',
    loggedOutTitle: 'Logged out',
    loggedOutText: 'You have been logged out.',
    unreachable: 'These online services could not be told about the logout. Please log out there yourself or close the browser:',
    loginAgain: 'Log in again',
    backToPortal: 'Back to "{portal}"',
    accountlessTitle: 'Logged in with the account {partner}',
    accountlessText:
      'You logged in with your account {partner}. This Servicekonto keeps no account for you and stores none of your data: they hold for this session only and are deleted when it ends (when you log out or it expires).',
    accountlessData: '{partner} sent these data for this session:',
    temporaryTitle: 'Log in temporarily',
    temporaryIntro:
      'Without a Servicekonto, for this login only, with a method that needs no account (such as the online ID function). Your data are deleted once they have been sent to the online service.',
    temporaryExplained:
      'You log in without a Servicekonto, for this online service only. No account is created; your data are used for this login only and deleted once they have been sent to the online service, at the latest when you log out or the session expires.',
    temporaryBack: 'Log in with a Servicekonto instead',
    temporarySessionText:
      'You are logged in temporarily, without a Servicekonto. Your data hold for this login only and are deleted once they have been sent to the online service, at the latest when you log out or the session expires.',
    temporarySessionData: 'These data are at hand for this login:',
  },
);

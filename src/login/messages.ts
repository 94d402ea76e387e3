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
      'Sie haben sich mit Ihrem Nutzerkonto {partner} angemeldet. Dieses Servicekonto legt für Sie kein Konto an und speichert Ihre Daten nicht: sie gelten nur für diese Sitzung und werden mit der Abmeldung gelöscht.',
    accountlessData: 'Diese Daten hat {partner} für diese Sitzung übermittelt:',
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
      'You logged in with your account {partner}. This Servicekonto keeps no account for you and stores none of your data: they hold for this session only and are deleted when you log out.',
    accountlessData: '{partner} sent these data for this session:',
  },
);

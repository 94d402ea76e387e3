import { defineMessages } from '../../web/i18n.ts';

export const oidcText = defineMessages(
  {
    continueTitle: 'Weiterleitung',
    continueText: 'Sie werden zum Online-Dienst „{portal}“ weitergeleitet.',
    continueLink: 'Weiter zu „{portal}“',
    logoutTitle: 'Abmelden',
    logoutAsk: 'Der Online-Dienst „{portal}“ hat Sie abgemeldet und bittet darum, Sie auch beim Servicekonto abzumelden.',
    logoutAskUnknown: 'Ein Online-Dienst bittet darum, Sie beim Servicekonto abzumelden.',
    logoutEffect:
      'Damit endet Ihre Sitzung beim Servicekonto, und alle Online-Dienste, bei denen Sie sich in dieser Sitzung angemeldet haben, werden benachrichtigt.',
    logoutYes: 'Beim Servicekonto abmelden',
    logoutNo: 'Beim Servicekonto angemeldet bleiben',
    loggedOutTitle: 'Abgemeldet',
    loggedOutText: 'Sie wurden abgemeldet.',
    backToPortal: 'Zurück zu „{portal}“',
    unreachable:
      'Diese Online-Dienste konnten nicht über die Abmeldung benachrichtigt werden. Bitte melden Sie sich dort selbst ab oder schließen Sie den Browser:',
  },
  {
    continueTitle: 'Redirecting',
    continueText: 'You are being taken to the online service "{portal}".',
    continueLink: 'Continue to "{portal}"',
    logoutTitle: 'Log out',
    logoutAsk: 'The online service "{portal}" has logged you out and asks to log you out of the Servicekonto as well.',
    logoutAskUnknown: 'An online service asks to log you out of the Servicekonto.',
    logoutEffect: 'This ends your Servicekonto session, and every online service you logged in to during this session is notified.',
    logoutYes: 'Log out of the Servicekonto',
    logoutNo: 'Stay logged in to the Servicekonto',
    loggedOutTitle: 'Logged out',
    loggedOutText: 'You have been logged out.',
    backToPortal: 'Back to "{portal}"',
    unreachable: 'These online services could not be told about the logout. Please log out there yourself or close the browser:',
  },
);

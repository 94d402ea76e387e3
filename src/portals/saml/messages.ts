import { defineMessages } from '../../web/i18n.ts';

export const samlText = defineMessages(
  {
    postTitle: 'Weiterleitung zum Online-Dienst',
    postText: 'Sie werden jetzt zu „{portal}“ weitergeleitet. Falls das nicht von selbst geschieht, wählen Sie bitte „Weiter“.',
    postButton: 'Weiter zu „{portal}“',
    resumeTitle: 'Anmeldung wird fortgesetzt',
    resumeText: 'Ihre Anmeldung für einen Online-Dienst wird fortgesetzt. Falls das nicht von selbst geschieht, wählen Sie bitte „Weiter“.',
    resumeButton: 'Weiter',
    logoutTitle: 'Abmeldung',
    logoutText: 'Sie werden jetzt auch bei „{portal}“ abgemeldet. Falls das nicht von selbst geschieht, wählen Sie bitte „Weiter“.',
  },
  {
    postTitle: 'Redirecting to the online service',
    postText: 'You are now being taken to "{portal}". If this does not happen by itself, please choose "Continue".',
    postButton: 'Continue to "{portal}"',
    resumeTitle: 'Continuing your login',
    resumeText: 'Your login for an online service continues. If this does not happen by itself, please choose "Continue".',
    resumeButton: 'Continue',
    logoutTitle: 'Logging out',
    logoutText: 'You are now also being logged out of "{portal}". If this does not happen by itself, please choose "Continue".',
  },
);

import { defineMessages } from '../web/i18n.ts';

export const loginText = defineMessages(
  {
    title: 'Anmelden',
    intro: 'Melden Sie sich mit Ihrem Servicekonto an.',
    noAccount: 'Noch kein Servicekonto?',
    register: 'Registrieren',
    loggedOutTitle: 'Abgemeldet',
    loggedOutText: 'Sie wurden abgemeldet.',
    loginAgain: 'Erneut anmelden',
  },
  {
    title: 'Log in',
    intro: 'Log in with your Servicekonto.',
    noAccount: 'No Servicekonto yet?',
    register: 'Register',
    loggedOutTitle: 'Logged out',
    loggedOutText: 'You have been logged out.',
    loginAgain: 'Log in again',
  },
);

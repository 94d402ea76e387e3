import { defineMessages } from '../../web/i18n.ts';

export const passwordText = defineMessages(
  {
    title: 'Mit Benutzername und Passwort',
    username: 'Benutzername',
    password: 'Passwort',
    submit: 'Anmelden',
    forgotUsername: 'Benutzername vergessen?',
    forgotPassword: 'Passwort vergessen?',
    missing: 'Bitte geben Sie Benutzername und Passwort ein.',
    invalid: 'Benutzername oder Passwort ist falsch.',
    wait: 'Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie {wait}, bevor Sie es erneut versuchen.',
    locked:
      'Die Anmeldung ist nach zu vielen Fehlversuchen aus Sicherheitsgründen vorübergehend gesperrt. Bitte versuchen Sie es in {wait} erneut oder legen Sie über „Passwort vergessen“ ein neues Passwort fest.',
    pending:
      'Ihr Servicekonto ist noch nicht aktiviert. Bitte öffnen Sie den Link in der Bestätigungs-E-Mail, die wir Ihnen bei der Registrierung geschickt haben.',
    resend: 'Bestätigungs-E-Mail erneut senden',
    resent: 'Wenn Ihre Registrierung noch nicht abgelaufen ist, haben wir die Bestätigungs-E-Mail erneut gesendet.',
  },
  {
    title: 'With user name and password',
    username: 'User name',
    password: 'Password',
    submit: 'Log in',
    forgotUsername: 'Forgot user name?',
    forgotPassword: 'Forgot password?',
    missing: 'Please enter user name and password.',
    invalid: 'User name or password is wrong.',
    wait: 'Too many failed login attempts. Please wait {wait} before trying again.',
    locked:
      'After too many failed attempts, login is locked for a while for security reasons. Please try again in {wait} or set a new password with "Forgot password".',
    pending: 'Your Servicekonto is not activated yet. Please open the link in the confirmation e-mail we sent you when you registered.',
    resend: 'Send confirmation e-mail again',
    resent: 'If your registration has not expired, we have sent the confirmation e-mail again.',
  },
);

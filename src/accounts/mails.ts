import type { MailMessage } from '../mail/mailer.ts';
import type { Lang } from '../web/i18n.ts';
import { formatDateTime } from '../web/i18n.ts';

/** The texts of every mail the account module sends, in the account's language. */

export interface MailContext {
  readonly lang: Lang;
  readonly operatorName: string;
  readonly to: string;
}

function signature(c: MailContext): string {
  return c.lang === 'de'
    ? `\n\nMit freundlichen Grüßen\nIhr ${c.operatorName}\n\nDiese E-Mail wurde automatisch erstellt. Bitte antworten Sie nicht darauf.`
    : `\n\nKind regards\nYour ${c.operatorName}\n\nThis e-mail was generated automatically. Please do not reply.`;
}

function mail(c: MailContext, subject: string, body: string): MailMessage {
  return { to: c.to, subject: `${subject} – ${c.operatorName}`, text: body + signature(c) };
}

export function confirmRegistrationMail(c: MailContext, username: string, link: string, validUntil: number): MailMessage {
  return c.lang === 'de'
    ? mail(
        c,
        'Bitte bestätigen Sie Ihre Registrierung',
        `Guten Tag,\n\nSie haben sich mit dem Benutzernamen „${username}“ für das ${c.operatorName} registriert. Bitte bestätigen Sie Ihre E-Mail-Adresse mit diesem Link:\n\n${link}\n\nDer Link ist gültig bis ${formatDateTime('de', validUntil)} Uhr. Danach wird die Registrierung mit allen Daten gelöscht.\n\nWenn Sie sich nicht registriert haben, müssen Sie nichts tun.`,
      )
    : mail(
        c,
        'Please confirm your registration',
        `Hello,\n\nYou registered for the ${c.operatorName} with the user name "${username}". Please confirm your e-mail address with this link:\n\n${link}\n\nThe link is valid until ${formatDateTime('en', validUntil)}. After that the registration is deleted with all its data.\n\nIf you did not register, you need not do anything.`,
      );
}

export function usernameReminderMail(c: MailContext, usernames: readonly string[], loginLink: string): MailMessage {
  const list = usernames.map((u) => `  ${u}`).join('\n');
  return c.lang === 'de'
    ? mail(
        c,
        'Ihr Benutzername',
        `Guten Tag,\n\nSie haben Ihren Benutzernamen angefordert. Zu dieser E-Mail-Adresse gehört${usernames.length > 1 ? 'en die Benutzernamen' : ' der Benutzername'}:\n\n${list}\n\nAnmelden: ${loginLink}\n\nWenn Sie das nicht angefordert haben, müssen Sie nichts tun.`,
      )
    : mail(
        c,
        'Your user name',
        `Hello,\n\nYou asked for your user name. ${usernames.length > 1 ? 'These user names belong' : 'This user name belongs'} to this e-mail address:\n\n${list}\n\nLog in: ${loginLink}\n\nIf you did not ask for this, you need not do anything.`,
      );
}

export function passwordResetMail(c: MailContext, username: string, link: string, minutes: number): MailMessage {
  return c.lang === 'de'
    ? mail(
        c,
        'Neues Passwort festlegen',
        `Guten Tag,\n\nfür den Benutzernamen „${username}“ wurde ein neues Passwort angefordert. Mit diesem Link legen Sie es fest:\n\n${link}\n\nDer Link ist ${minutes} Minuten gültig und kann nur einmal verwendet werden.\n\nWenn Sie kein neues Passwort angefordert haben, ignorieren Sie diese E-Mail; Ihr bisheriges Passwort bleibt gültig.`,
      )
    : mail(
        c,
        'Set a new password',
        `Hello,\n\nA new password was requested for the user name "${username}". Use this link to set it:\n\n${link}\n\nThe link is valid for ${minutes} minutes and works only once.\n\nIf you did not request a new password, ignore this e-mail; your current password stays valid.`,
      );
}

export function passwordChangedMail(c: MailContext, username: string): MailMessage {
  return c.lang === 'de'
    ? mail(
        c,
        'Ihr Passwort wurde geändert',
        `Guten Tag,\n\ndas Passwort für den Benutzernamen „${username}“ wurde soeben geändert. Alle anderen Sitzungen wurden beendet.\n\nWaren Sie das nicht? Dann setzen Sie Ihr Passwort sofort über „Passwort vergessen“ zurück und wenden Sie sich an den Servicedesk.`,
      )
    : mail(
        c,
        'Your password was changed',
        `Hello,\n\nThe password for the user name "${username}" was just changed. All other sessions were ended.\n\nWas this not you? Then reset your password at once with "Forgot password" and contact the service desk.`,
      );
}

export function emailChangeConfirmMail(c: MailContext, username: string, link: string, validUntil: number): MailMessage {
  return c.lang === 'de'
    ? mail(
        c,
        'Bitte bestätigen Sie Ihre neue E-Mail-Adresse',
        `Guten Tag,\n\nfür den Benutzernamen „${username}“ soll diese E-Mail-Adresse künftig verwendet werden. Bitte bestätigen Sie das mit diesem Link:\n\n${link}\n\nDer Link ist gültig bis ${formatDateTime('de', validUntil)} Uhr. Bis dahin bleibt die bisherige Adresse in Gebrauch.`,
      )
    : mail(
        c,
        'Please confirm your new e-mail address',
        `Hello,\n\nThe user name "${username}" is to use this e-mail address from now on. Please confirm with this link:\n\n${link}\n\nThe link is valid until ${formatDateTime('en', validUntil)}. Until then the previous address stays in use.`,
      );
}

/** To the old address: someone asked to move the account's mail elsewhere. */
export function emailChangeNoticeMail(c: MailContext, username: string, maskedNewAddress: string): MailMessage {
  return c.lang === 'de'
    ? mail(
        c,
        'Änderung Ihrer E-Mail-Adresse',
        `Guten Tag,\n\nfür den Benutzernamen „${username}“ wurde eine neue E-Mail-Adresse angegeben (${maskedNewAddress}). Sie wird erst verwendet, wenn sie bestätigt ist.\n\nWaren Sie das nicht? Dann ändern Sie bitte sofort Ihr Passwort.`,
      )
    : mail(
        c,
        'Change of your e-mail address',
        `Hello,\n\nA new e-mail address was entered for the user name "${username}" (${maskedNewAddress}). It is used only once it has been confirmed.\n\nWas this not you? Then please change your password at once.`,
      );
}

export function accountDeletedMail(c: MailContext, username: string): MailMessage {
  return c.lang === 'de'
    ? mail(
        c,
        'Ihr Servicekonto wurde gelöscht',
        `Guten Tag,\n\ndas Servicekonto mit dem Benutzernamen „${username}“ und alle zugehörigen Daten wurden gelöscht.`,
      )
    : mail(
        c,
        'Your Servicekonto was deleted',
        `Hello,\n\nThe Servicekonto with the user name "${username}" and all its data were deleted.`,
      );
}

/** "m…@e…e.de": enough for the owner to recognise, too little to harvest. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${local.slice(0, 1)}…@${host.slice(0, 1)}…${tld}`;
}

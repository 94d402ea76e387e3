import { defineMessages } from '../web/i18n.ts';

/**
 * The eIDAS login method's texts. "Anmelden mit einem ausländischen eID-Mittel (eIDAS)" is a
 * method of its own on the login page, not an entry in the list of German states: a citizen of
 * another EU member state looks for their own ID card, not for a German Land.
 */
export const eidasText = defineMessages(
  {
    methodTitle: 'Anmelden mit einem ausländischen eID-Mittel (eIDAS)',
    methodIntro:
      'Sie haben einen elektronischen Ausweis (eID) eines anderen Mitgliedstaats der Europäischen Union, zum Beispiel einen spanischen oder österreichischen? Dann melden Sie sich über den deutschen eIDAS-Knoten mit dem Verfahren Ihres Landes an. Übermittelt werden Ihr Name, Ihr Geburtsdatum und eine Kennung; Geburtsname, Geburtsort, Anschrift und Geschlecht nur, wenn Ihr Land sie liefert.',
    methodButton: 'Weiter zur Anmeldung mit eIDAS',
    methodLimit: 'Anmelden mit einem ausländischen eID-Mittel (eIDAS) (erreicht höchstens „{level}“)',
    toPartnerTitle: 'Weiter zum eIDAS-Knoten',
    toPartnerText:
      'Sie werden zum deutschen eIDAS-Knoten ({partner}) weitergeleitet. Dort wählen Sie Ihr Land und melden sich mit Ihrem eID-Mittel an.',
    toPartnerButton: 'Weiter zum eIDAS-Knoten',
    linkedTitle: 'Angemeldet mit Ihrem ausländischen eID-Mittel (eIDAS)',
    linkedText:
      'Ihre Daten stammen aus dem eID-Mittel Ihres Landes und werden bei jeder Anmeldung über den eIDAS-Knoten ({partner}) übernommen. Ändern können Sie sie nur dort; hier können Sie dieses Konto löschen.',
    lockedTitle: 'Ihre Daten stammen aus Ihrem eID-Mittel',
    lockedText:
      'Dieses Servicekonto wird mit Ihrem ausländischen eID-Mittel über den eIDAS-Knoten ({partner}) genutzt. Ihre Daten und Ihre Anmeldung verwaltet Ihr Land; bei der nächsten Anmeldung werden die Daten übernommen.',
    incomplete:
      '{partner} hat Pflichtangaben nicht übermittelt: {missing}. Ohne sie ist eine Anmeldung nicht möglich; es wurde nichts gespeichert. Bitte versuchen Sie es erneut und geben Sie diese Angaben frei, oder wählen Sie ein anderes Verfahren.',
  },
  {
    methodTitle: 'Log in with a foreign eID (eIDAS)',
    methodIntro:
      'You have an electronic identity (eID) of another member state of the European Union, for example a Spanish or an Austrian one? Log in with your country’s scheme through the German eIDAS node. Your name, date of birth and an identifier are transferred; birth name, place of birth, address and gender only when your country provides them.',
    methodButton: 'Continue to the eIDAS login',
    methodLimit: 'Log in with a foreign eID (eIDAS) (reaches at most "{level}")',
    toPartnerTitle: 'On to the eIDAS node',
    toPartnerText: 'You are taken to the German eIDAS node ({partner}). Choose your country there and log in with your eID.',
    toPartnerButton: 'On to the eIDAS node',
    linkedTitle: 'Logged in with your foreign eID (eIDAS)',
    linkedText:
      'Your data come from your country’s eID and are taken over at each login through the eIDAS node ({partner}). You can change them only there; here you may delete this account.',
    lockedTitle: 'Your data come from your eID',
    lockedText:
      'This Servicekonto is used with your foreign eID through the eIDAS node ({partner}). Your data and your login are managed by your country; they are taken over at the next login.',
    incomplete:
      '{partner} did not send required data: {missing}. Without them a login is not possible; nothing was stored. Please try again and agree to release these data, or choose another method.',
  },
);

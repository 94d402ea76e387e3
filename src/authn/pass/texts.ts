import { defineMessages } from '../../web/i18n.ts';

/** Every text of the Servicekonto.Pass, German and English. */
export const passText = defineMessages(
  {
    // ---- login page
    methodTitle: 'Mit dem Servicekonto.Pass',
    methodIntro:
      'Mit einem Passkey auf Ihrem Smartphone oder Computer, entsperrt mit Fingerabdruck, Gesicht oder Geräte-PIN. Einen Benutzernamen brauchen Sie nicht.',
    methodLevel:
      'Vertrauensniveau „substanziell“, wenn Ihr Servicekonto mit Ihrem Ausweis verknüpft ist und der Passkey dabei eingerichtet wurde, sonst „niedrig“.',
    methodLevelLow: 'Vertrauensniveau „{level}“.',
    methodSubmit: 'Anmelden mit dem Servicekonto.Pass',
    methodSetup: 'Noch keinen Servicekonto.Pass? Melden Sie sich an und richten Sie ihn unter „Meine Authentifizierungsmittel“ ein.',
    describeLimit: 'Servicekonto.Pass (höchstens „substanziell“, und nur mit einem Servicekonto, das mit dem Ausweis verknüpft ist)',
    describeLimitLow: 'Servicekonto.Pass (höchstens „{level}“)',
    noScript:
      'Der Servicekonto.Pass braucht JavaScript: Ihr Browser spricht damit Ihr Gerät an. Bitte schalten Sie JavaScript für diese Seite ein oder wählen Sie eine andere Anmeldung.',
    // ---- what the script says (data attributes, read aloud through role=status)
    scriptWorking: 'Bitte bestätigen Sie jetzt auf Ihrem Gerät (Fingerabdruck, Gesicht oder Geräte-PIN).',
    scriptSending: 'Wird geprüft …',
    scriptCancelled: 'Der Vorgang wurde abgebrochen oder hat zu lange gedauert. Sie können es erneut versuchen.',
    scriptUnsupported:
      'Dieser Browser unterstützt keine Passkeys. Bitte verwenden Sie einen aktuellen Browser oder wählen Sie eine andere Anmeldung.',
    scriptFailed: 'Das hat nicht geklappt. Bitte laden Sie die Seite neu und versuchen Sie es erneut.',
    scriptDuplicate: 'Auf diesem Gerät ist für Ihr Servicekonto bereits ein Servicekonto.Pass eingerichtet.',
    // ---- login outcomes
    missingCredential:
      'Es kam keine Antwort Ihres Geräts an. Der Servicekonto.Pass braucht JavaScript; bitte schalten Sie es ein und versuchen Sie es erneut.',
    unreadable: 'Die Antwort Ihres Geräts konnte nicht gelesen werden. Bitte versuchen Sie es erneut.',
    challengeGone:
      'Die Anfrage war abgelaufen oder wurde bereits verwendet (jede gilt 5 Minuten und nur einmal). Bitte versuchen Sie es erneut.',
    unknownPasskey:
      'Dieser Passkey ist bei keinem Servicekonto registriert, zum Beispiel weil er entfernt wurde. Bitte melden Sie sich anders an und richten Sie gegebenenfalls einen neuen Servicekonto.Pass ein.',
    notVerified: 'Die Anmeldung mit dem Servicekonto.Pass konnte nicht bestätigt werden. Bitte versuchen Sie es erneut.',
    counterRegression:
      'Die Anmeldung wurde abgelehnt: Dieser Passkey hat einen Zählerstand gemeldet, der nicht zu den bisherigen Anmeldungen passt. Das kann bedeuten, dass er kopiert wurde. Der Vorfall wurde vermerkt, und der Inhaber des Servicekontos wurde per E-Mail informiert.',
    otherAccount:
      'Dieser Servicekonto.Pass gehört zu einem anderen Servicekonto als dem, mit dem Sie gerade angemeldet sind. Bitte melden Sie sich zuerst ab.',
    accountPending: 'Dieses Servicekonto ist noch nicht bestätigt. Bitte öffnen Sie zuerst den Link in der Bestätigungs-E-Mail.',

    // ---- Meine Authentifizierungsmittel
    sectionTitle: 'Servicekonto.Pass',
    sectionIntro:
      'Der Servicekonto.Pass ist ein Passkey: ein Schlüssel, den Ihr Smartphone oder Computer sicher speichert und mit Fingerabdruck, Gesicht oder Geräte-PIN freigibt. Damit melden Sie sich ohne Passwort an.',
    sectionRule:
      'Vertrauensniveau: „substanziell“ für einen Passkey, den Sie einrichten, während Ihr Servicekonto mit Ihrem Ausweis verknüpft ist und Ihre Sitzung mindestens „substanziell“ hat; sonst „niedrig“. Das Niveau wird beim Einrichten festgelegt.',
    sectionRuleLow: 'Vertrauensniveau: „{level}“.',
    summaryNone: 'Servicekonto.Pass: keiner eingerichtet',
    summaryOne: 'Servicekonto.Pass: 1 Passkey',
    summaryMany: 'Servicekonto.Pass: {count} Passkeys',
    none: 'Sie haben noch keinen Servicekonto.Pass eingerichtet.',
    listTitle: 'Ihre Passkeys',
    created: 'Eingerichtet',
    lastUsed: 'Zuletzt verwendet',
    neverUsed: 'noch nie',
    level: 'Vertrauensniveau',
    regressionWarning:
      'Achtung: Am {when} wurde eine Anmeldung mit einem unpassenden Zählerstand abgelehnt. Der Passkey wurde möglicherweise kopiert; entfernen Sie ihn, wenn Sie das nicht erklären können.',
    rename: 'Umbenennen',
    renameLabel: 'Neuer Name für „{name}“',
    remove: '„{name}“ entfernen',
    addTitle: 'Servicekonto.Pass hinzufügen',
    nameLabel: 'Name des Passkeys',
    nameHint: 'Damit Sie ihn später wiedererkennen, zum Beispiel „Mein Smartphone“.',
    addHere: 'Auf diesem Gerät einrichten',
    addHereText:
      'Ihr Browser fragt dann, wo der Passkey gespeichert werden soll: auf diesem Gerät, oder über den QR-Code Ihres Browsers auf Ihrem Smartphone.',
    addOtherTitle: 'Auf einem anderen Gerät einrichten',
    addOtherText:
      'Sie sind hier am Computer angemeldet und möchten den Servicekonto.Pass auf Ihrem Smartphone haben? Lassen Sie sich einen QR-Code anzeigen und scannen Sie ihn mit dem Smartphone. Dort müssen Sie sich nicht anmelden.',
    addOther: 'QR-Code für ein anderes Gerät anzeigen',
    gated:
      'Ihr Servicekonto ist mit Ihrem Ausweis verknüpft. Um einen Servicekonto.Pass hinzuzufügen oder zu entfernen, braucht Ihre Sitzung mindestens das Vertrauensniveau „substanziell“ (jetzt: „{level}“).',
    gatedEid: 'Mit Online-Ausweis bestätigen',
    gatedPass: 'Oder bestätigen Sie mit einem Servicekonto.Pass, der „substanziell“ gibt:',
    gatedPassSubmit: 'Mit Servicekonto.Pass bestätigen',
    added: 'Ihr Servicekonto.Pass „{name}“ wurde eingerichtet (Vertrauensniveau „{level}“).',
    renamed: 'Der Passkey heißt jetzt „{name}“.',
    removed: 'Der Servicekonto.Pass „{name}“ wurde entfernt.',
    removedSessions: 'Der Servicekonto.Pass „{name}“ wurde entfernt. {count} Sitzung(en), die mit ihm angemeldet waren, wurden beendet.',
    nameInvalid: 'Bitte geben Sie einen Namen mit höchstens 64 Zeichen an, ohne Steuerzeichen.',
    nameDefault: 'Servicekonto.Pass vom {date}',
    alreadyRegistered: 'Dieser Passkey ist bereits registriert. Es wurde nichts geändert.',
    registrationFailed:
      'Der Passkey konnte nicht eingerichtet werden: Die Antwort Ihres Geräts war nicht gültig. Es wurde nichts geändert.',
    notFound: 'Diesen Passkey gibt es nicht (mehr). Es wurde nichts geändert.',
    nothingChanged: 'Es wurde nichts geändert.',

    // ---- removal
    removeTitle: 'Servicekonto.Pass „{name}“ entfernen?',
    removeText:
      'Danach können Sie sich mit diesem Passkey nicht mehr anmelden. Sitzungen, die mit ihm angemeldet wurden, werden beendet (auch auf anderen Geräten), und Online-Dienste, bei denen Sie darüber angemeldet sind, werden benachrichtigt. Sie erhalten eine E-Mail.',
    removeDevice: 'Haben Sie das Gerät noch, löschen Sie den Passkey auch dort (in den Einstellungen des Geräts oder Passwort-Managers).',
    removeSubmit: 'Servicekonto.Pass entfernen',
    cancel: 'Abbrechen',

    // ---- QR enrolment (computer side)
    qrTitle: 'Servicekonto.Pass auf einem anderen Gerät einrichten',
    qrStep1: 'Scannen Sie den QR-Code mit der Kamera Ihres Smartphones.',
    qrStep2: 'Öffnen Sie den angezeigten Link.',
    qrStep3: 'Geben Sie dem Passkey einen Namen und bestätigen Sie mit Fingerabdruck, Gesicht oder Geräte-PIN.',
    qrImage: 'QR-Code mit dem Einrichtungslink',
    qrLinkText: 'Oder öffnen Sie diesen Link auf dem anderen Gerät:',
    qrValid:
      'Der Link ist bis {time} Uhr gültig (10 Minuten), funktioniert nur einmal und nur für Ihr Servicekonto. Geben Sie ihn nicht weiter.',
    qrDone: 'Fertig? Zurück zu Meine Authentifizierungsmittel',
    qrGone: 'Der Link wurde verwendet, ist abgelaufen oder wurde durch einen neueren ersetzt.',
    qrNew: 'Neuen QR-Code anzeigen',

    // ---- QR enrolment (phone side)
    enrolTitle: 'Servicekonto.Pass einrichten',
    enrolIntro:
      'Sie richten auf diesem Gerät einen Servicekonto.Pass für das Servicekonto „{username}“ ein. Eine Anmeldung ist dafür nicht nötig.',
    enrolValid: 'Dieser Einrichtungslink ist bis {time} Uhr gültig.',
    enrolSubmit: 'Servicekonto.Pass einrichten',
    enrolInvalidTitle: 'Einrichtungslink ungültig',
    enrolInvalidText:
      'Dieser Link ist ungültig oder wurde bereits verwendet. Jeder Einrichtungslink funktioniert nur einmal. Lassen Sie sich unter „Meine Authentifizierungsmittel“ einen neuen QR-Code anzeigen.',
    enrolExpiredTitle: 'Einrichtungslink abgelaufen',
    enrolExpiredText:
      'Dieser Link war 10 Minuten gültig und ist abgelaufen. Lassen Sie sich unter „Meine Authentifizierungsmittel“ einen neuen QR-Code anzeigen.',
    enrolDoneTitle: 'Ihr Servicekonto.Pass ist eingerichtet',
    enrolDoneText:
      'Der Passkey „{name}“ gehört jetzt zum Servicekonto „{username}“ (Vertrauensniveau „{level}“). Sie können sich auf diesem Gerät mit „Anmelden mit dem Servicekonto.Pass“ anmelden.',
    toLogin: 'Zur Anmeldung',

    // ---- mails
    mailAddedSubject: 'Servicekonto.Pass eingerichtet',
    mailAddedText:
      'Guten Tag,\n\nfür Ihr Servicekonto „{username}“ wurde am {when} Uhr ein Servicekonto.Pass (Passkey) eingerichtet: „{name}“, Vertrauensniveau „{level}“.\n\nWenn Sie das nicht waren, melden Sie sich sofort an, entfernen Sie den Passkey unter „Meine Authentifizierungsmittel“ und ändern Sie Ihr Passwort.',
    mailRemovedSubject: 'Servicekonto.Pass entfernt',
    mailRemovedText:
      'Guten Tag,\n\naus Ihrem Servicekonto „{username}“ wurde am {when} Uhr der Servicekonto.Pass „{name}“ entfernt. Sitzungen, die mit ihm angemeldet waren, wurden beendet.\n\nWenn Sie das nicht waren, melden Sie sich bitte sofort bei uns.',
    mailRegressionSubject: 'Warnung: Anmeldung mit Ihrem Servicekonto.Pass abgelehnt',
    mailRegressionText:
      'Guten Tag,\n\nam {when} Uhr wurde eine Anmeldung an Ihrem Servicekonto „{username}“ mit dem Servicekonto.Pass „{name}“ abgelehnt: Der Passkey hat einen Zählerstand gemeldet, der nicht zu den bisherigen Anmeldungen passt. Das kann bedeuten, dass er kopiert wurde.\n\nWenn Sie das nicht erklären können, entfernen Sie diesen Passkey unter „Meine Authentifizierungsmittel“ und richten Sie einen neuen ein.',
  },
  {
    methodTitle: 'With the Servicekonto.Pass',
    methodIntro: 'With a passkey on your smartphone or computer, unlocked with fingerprint, face or device PIN. You need no user name.',
    methodLevel:
      'Level of assurance "substantial" when your Servicekonto is linked to your ID card and the passkey was set up while it was, otherwise "low".',
    methodLevelLow: 'Level of assurance "{level}".',
    methodSubmit: 'Log in with the Servicekonto.Pass',
    methodSetup: 'No Servicekonto.Pass yet? Log in and set one up under "My means of authentication".',
    describeLimit: 'Servicekonto.Pass (at most "substantial", and only with a Servicekonto linked to the ID card)',
    describeLimitLow: 'Servicekonto.Pass (at most "{level}")',
    noScript:
      'The Servicekonto.Pass needs JavaScript: your browser uses it to talk to your device. Please enable JavaScript for this page or choose another way to log in.',
    scriptWorking: 'Please confirm on your device now (fingerprint, face or device PIN).',
    scriptSending: 'Checking …',
    scriptCancelled: 'This was cancelled or took too long. You can try again.',
    scriptUnsupported: 'This browser does not support passkeys. Please use a current browser or choose another way to log in.',
    scriptFailed: 'That did not work. Please reload the page and try again.',
    scriptDuplicate: 'A Servicekonto.Pass for your Servicekonto is already set up on this device.',
    missingCredential: 'No answer from your device arrived. The Servicekonto.Pass needs JavaScript; please enable it and try again.',
    unreadable: 'The answer from your device could not be read. Please try again.',
    challengeGone: 'The request had expired or was already used (each is valid for 5 minutes and once). Please try again.',
    unknownPasskey:
      'This passkey is not registered with any Servicekonto, for example because it was removed. Please log in another way and set up a new Servicekonto.Pass if needed.',
    notVerified: 'The login with the Servicekonto.Pass could not be confirmed. Please try again.',
    counterRegression:
      'The login was refused: this passkey reported a signature counter that does not fit the earlier logins. This can mean it was copied. The incident was recorded and the holder of the Servicekonto was informed by e-mail.',
    otherAccount: 'This Servicekonto.Pass belongs to another Servicekonto than the one you are logged in with. Please log out first.',
    accountPending: 'This Servicekonto is not confirmed yet. Please open the link in the confirmation e-mail first.',
    sectionTitle: 'Servicekonto.Pass',
    sectionIntro:
      'The Servicekonto.Pass is a passkey: a key your smartphone or computer keeps safe and releases with fingerprint, face or device PIN. With it you log in without a password.',
    sectionRule:
      'Level of assurance: "substantial" for a passkey you set up while your Servicekonto is linked to your ID card and your session has at least "substantial"; otherwise "low". The level is fixed when the passkey is set up.',
    sectionRuleLow: 'Level of assurance: "{level}".',
    summaryNone: 'Servicekonto.Pass: none set up',
    summaryOne: 'Servicekonto.Pass: 1 passkey',
    summaryMany: 'Servicekonto.Pass: {count} passkeys',
    none: 'You have not set up a Servicekonto.Pass yet.',
    listTitle: 'Your passkeys',
    created: 'Set up',
    lastUsed: 'Last used',
    neverUsed: 'never',
    level: 'Level of assurance',
    regressionWarning:
      'Warning: on {when} a login with an out-of-step signature counter was refused. The passkey may have been copied; remove it if you cannot explain this.',
    rename: 'Rename',
    renameLabel: 'New name for "{name}"',
    remove: 'Remove "{name}"',
    addTitle: 'Add a Servicekonto.Pass',
    nameLabel: 'Name of the passkey',
    nameHint: 'So that you recognise it later, for example "My smartphone".',
    addHere: 'Set up on this device',
    addHereText: "Your browser then asks where to keep the passkey: on this device, or on your smartphone through your browser's QR code.",
    addOtherTitle: 'Set up on another device',
    addOtherText:
      'You are logged in here on a computer and want the Servicekonto.Pass on your smartphone? Show a QR code and scan it with the smartphone. You do not need to log in there.',
    addOther: 'Show a QR code for another device',
    gated:
      'Your Servicekonto is linked to your ID card. To add or remove a Servicekonto.Pass your session needs at least the level of assurance "substantial" (now: "{level}").',
    gatedEid: 'Confirm with online ID',
    gatedPass: 'Or confirm with a Servicekonto.Pass that gives "substantial":',
    gatedPassSubmit: 'Confirm with Servicekonto.Pass',
    added: 'Your Servicekonto.Pass "{name}" was set up (level of assurance "{level}").',
    renamed: 'The passkey is now called "{name}".',
    removed: 'The Servicekonto.Pass "{name}" was removed.',
    removedSessions: 'The Servicekonto.Pass "{name}" was removed. {count} session(s) logged in with it were ended.',
    nameInvalid: 'Please give a name of at most 64 characters, without control characters.',
    nameDefault: 'Servicekonto.Pass of {date}',
    alreadyRegistered: 'This passkey is already registered. Nothing was changed.',
    registrationFailed: 'The passkey could not be set up: the answer from your device was not valid. Nothing was changed.',
    notFound: 'This passkey does not exist (any more). Nothing was changed.',
    nothingChanged: 'Nothing was changed.',
    removeTitle: 'Remove the Servicekonto.Pass "{name}"?',
    removeText:
      'Afterwards you can no longer log in with this passkey. Sessions logged in with it are ended (on other devices too), and online services you are logged in to through them are notified. You will receive an e-mail.',
    removeDevice: 'If you still have the device, delete the passkey there too (in the settings of the device or password manager).',
    removeSubmit: 'Remove Servicekonto.Pass',
    cancel: 'Cancel',
    qrTitle: 'Set up a Servicekonto.Pass on another device',
    qrStep1: "Scan the QR code with your smartphone's camera.",
    qrStep2: 'Open the link shown.',
    qrStep3: 'Give the passkey a name and confirm with fingerprint, face or device PIN.',
    qrImage: 'QR code with the set-up link',
    qrLinkText: 'Or open this link on the other device:',
    qrValid: 'The link is valid until {time} (10 minutes), works once and only for your Servicekonto. Do not pass it on.',
    qrDone: 'Done? Back to My means of authentication',
    qrGone: 'The link was used, has expired or was replaced by a newer one.',
    qrNew: 'Show a new QR code',
    enrolTitle: 'Set up a Servicekonto.Pass',
    enrolIntro:
      'You are setting up a Servicekonto.Pass on this device for the Servicekonto "{username}". You do not need to log in for this.',
    enrolValid: 'This set-up link is valid until {time}.',
    enrolSubmit: 'Set up Servicekonto.Pass',
    enrolInvalidTitle: 'Invalid set-up link',
    enrolInvalidText:
      'This link is invalid or has already been used. Each set-up link works only once. Show a new QR code under "My means of authentication".',
    enrolExpiredTitle: 'Set-up link expired',
    enrolExpiredText: 'This link was valid for 10 minutes and has expired. Show a new QR code under "My means of authentication".',
    enrolDoneTitle: 'Your Servicekonto.Pass is set up',
    enrolDoneText:
      'The passkey "{name}" now belongs to the Servicekonto "{username}" (level of assurance "{level}"). On this device you can log in with "Log in with the Servicekonto.Pass".',
    toLogin: 'To the login',
    mailAddedSubject: 'Servicekonto.Pass set up',
    mailAddedText:
      'Hello,\n\nOn {when} a Servicekonto.Pass (passkey) was set up for your Servicekonto "{username}": "{name}", level of assurance "{level}".\n\nIf this was not you, log in at once, remove the passkey under "My means of authentication" and change your password.',
    mailRemovedSubject: 'Servicekonto.Pass removed',
    mailRemovedText:
      'Hello,\n\nOn {when} the Servicekonto.Pass "{name}" was removed from your Servicekonto "{username}". Sessions logged in with it were ended.\n\nIf this was not you, please contact us at once.',
    mailRegressionSubject: 'Warning: login with your Servicekonto.Pass refused',
    mailRegressionText:
      'Hello,\n\nOn {when} a login to your Servicekonto "{username}" with the Servicekonto.Pass "{name}" was refused: the passkey reported a signature counter that does not fit the earlier logins. This can mean it was copied.\n\nIf you cannot explain this, remove this passkey under "My means of authentication" and set up a new one.',
  },
);

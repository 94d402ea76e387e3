import type { CalendarDate } from '../../../core/personal-data.ts';
import type { GeneralPlace } from '../soap-messages.ts';

/**
 * The test cards of the simulator. Values are written as a chip holds them (upper case, ICAO
 * country codes, the date of birth as YYYYMMDD with blanks for unknown parts). A field that is
 * `undefined` is not on the chip (NOTONCHIP); an empty string is a data group that exists but is
 * empty (as AcademicTitle on most cards). Dates that must stay in the past or future (the young
 * holder, the expired card) are computed from the simulator's clock.
 */

export interface TestCard {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  /** Cards with the same key give the same RestrictedID (one physical card, data changed by an authority). */
  readonly cardKey: string;
  /** The eID-Server rejects the document (expired or revoked): getResult#invalidDocument. */
  readonly invalid?: boolean;
  readonly documentType: string;
  readonly issuingState: string;
  /** YYYY-MM-DD */
  readonly dateOfExpiry: string;
  readonly givenNames: string;
  readonly familyNames: string;
  readonly artisticName?: string;
  readonly academicTitle?: string;
  /** YYYYMMDD, blanks for unknown parts */
  readonly dateOfBirth: string;
  readonly placeOfBirth?: GeneralPlace;
  readonly nationality: string;
  readonly birthName?: string;
  readonly placeOfResidence?: GeneralPlace;
}

function iso(d: CalendarDate): string {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

function shift(today: CalendarDate, years: number, days = 0): CalendarDate {
  const d = new Date(Date.UTC(today.year + years, today.month - 1, today.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function dateString(d: CalendarDate): string {
  return iso(d).replace(/-/g, '');
}

const KOELN: GeneralPlace = { kind: 'structured', street: 'HEIDESTRASSE 17', city: 'KÖLN', country: 'D', zipCode: '51147' };

export function testCards(today: CalendarDate): readonly TestCard[] {
  const valid = iso(shift(today, 5));
  const erika = {
    documentType: 'ID',
    issuingState: 'D',
    dateOfExpiry: valid,
    givenNames: 'ERIKA',
    familyNames: 'MUSTERMANN',
    artisticName: '',
    academicTitle: '',
    dateOfBirth: '19640812',
    placeOfBirth: { kind: 'freetext', text: 'BERLIN' },
    nationality: 'D',
    birthName: 'GABLER',
    placeOfResidence: KOELN,
  } as const;
  return [
    {
      id: 'erika',
      label: 'Erika Mustermann',
      description: 'Der Testausweis des BSI: geboren am 12.08.1964 in Berlin, Geburtsname Gabler, wohnhaft in Köln.',
      cardKey: 'erika-1',
      ...erika,
    },
    {
      id: 'erika-umzug',
      label: 'Erika Mustermann nach einem Umzug',
      description: 'Derselbe Ausweis (gleiches Pseudonym); die Meldebehörde hat die neue Anschrift in Bonn auf den Chip geschrieben.',
      cardKey: 'erika-1',
      ...erika,
      placeOfResidence: { kind: 'structured', street: 'SCHLOSSALLEE 3', city: 'BONN', country: 'D', zipCode: '53113' },
    },
    {
      id: 'erika-neu',
      label: 'Erika Mustermann mit neuem Ausweis',
      description: 'Ein neuer Ausweis derselben Person: gleiche Daten, neues Pseudonym.',
      cardKey: 'erika-2',
      ...erika,
      dateOfExpiry: iso(shift(today, 10)),
    },
    {
      id: 'geburtsname',
      label: 'Anna-Lena Bergmann, geb. Weber',
      description: 'Mit Geburtsname; geboren am 03.03.1990 in Hamburg.',
      cardKey: 'anna-lena',
      documentType: 'ID',
      issuingState: 'D',
      dateOfExpiry: valid,
      givenNames: 'ANNA-LENA',
      familyNames: 'BERGMANN',
      artisticName: '',
      academicTitle: '',
      dateOfBirth: '19900303',
      placeOfBirth: { kind: 'freetext', text: 'HAMBURG' },
      nationality: 'D',
      birthName: 'WEBER',
      placeOfResidence: { kind: 'structured', street: 'BERLINER TOR 5', city: 'HAMBURG', country: 'D', zipCode: '20099' },
    },
    {
      id: 'doktor',
      label: 'Dr. Klaus Peter Schulze',
      description: 'Mit Doktorgrad; der Geburtsname ist nicht auf dem Chip.',
      cardKey: 'klaus-peter',
      documentType: 'ID',
      issuingState: 'D',
      dateOfExpiry: valid,
      givenNames: 'KLAUS PETER',
      familyNames: 'SCHULZE',
      artisticName: '',
      academicTitle: 'DR.',
      dateOfBirth: '19581130',
      placeOfBirth: { kind: 'freetext', text: 'LEIPZIG' },
      nationality: 'D',
      placeOfResidence: { kind: 'structured', street: 'AUGUSTUSPLATZ 10', city: 'LEIPZIG', country: 'D', zipCode: '04109' },
    },
    {
      id: 'jugendlich',
      label: 'Leon Schneider (14 Jahre)',
      description: 'Jünger als 16 Jahre: die Altersprüfung schlägt fehl.',
      cardKey: 'leon',
      documentType: 'ID',
      issuingState: 'D',
      dateOfExpiry: valid,
      givenNames: 'LEON',
      familyNames: 'SCHNEIDER',
      artisticName: '',
      academicTitle: '',
      dateOfBirth: dateString(shift(today, -14, -30)),
      placeOfBirth: { kind: 'freetext', text: 'DRESDEN' },
      nationality: 'D',
      placeOfResidence: { kind: 'structured', street: 'PRAGER STRASSE 2', city: 'DRESDEN', country: 'D', zipCode: '01069' },
    },
    {
      id: 'abgelaufen',
      label: 'Frieda Hoffmann (abgelaufener Ausweis)',
      description: 'Der Ausweis ist seit einem Monat abgelaufen; der eID-Server weist ihn zurück.',
      cardKey: 'frieda',
      invalid: true,
      documentType: 'ID',
      issuingState: 'D',
      dateOfExpiry: iso(shift(today, 0, -30)),
      givenNames: 'FRIEDA',
      familyNames: 'HOFFMANN',
      artisticName: '',
      academicTitle: '',
      dateOfBirth: '19500101',
      placeOfBirth: { kind: 'freetext', text: 'KASSEL' },
      nationality: 'D',
      placeOfResidence: { kind: 'structured', street: 'KÖNIGSPLATZ 1', city: 'KASSEL', country: 'D', zipCode: '34117' },
    },
    {
      id: 'ausland',
      label: 'Jonas Becker (wohnt im Ausland)',
      description: 'Keine Hauptwohnung in Deutschland: der Chip enthält keine Anschrift.',
      cardKey: 'jonas',
      documentType: 'ID',
      issuingState: 'D',
      dateOfExpiry: valid,
      givenNames: 'JONAS',
      familyNames: 'BECKER',
      artisticName: '',
      academicTitle: '',
      dateOfBirth: '19850615',
      placeOfBirth: { kind: 'freetext', text: 'MÜNSTER' },
      nationality: 'D',
      placeOfResidence: { kind: 'none', text: 'keine Hauptwohnung in Deutschland' },
    },
    {
      id: 'unionsbuerger',
      label: 'Maria Rossi (eID-Karte für Unionsbürger)',
      description: 'Italienische Staatsangehörigkeit, Geburtsdatum nur mit Jahr bekannt, Künstlername.',
      cardKey: 'maria',
      documentType: 'UB',
      issuingState: 'D',
      dateOfExpiry: valid,
      givenNames: 'MARIA',
      familyNames: 'ROSSI',
      artisticName: 'MARIA DEL SOLE',
      academicTitle: '',
      dateOfBirth: '1979    ',
      placeOfBirth: { kind: 'freetext', text: 'NEAPEL/ITALIEN' },
      nationality: 'ITA',
      placeOfResidence: { kind: 'structured', street: 'LEOPOLDSTRASSE 20', city: 'MÜNCHEN', country: 'D', zipCode: '80802' },
    },
  ];
}

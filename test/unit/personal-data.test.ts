import test from 'ava';
import {
  MAX_EMAIL_LENGTH,
  MAX_TEXT_LENGTH,
  PERSONAL_FIELDS,
  ageOn,
  isDeMailAddress,
  isEmailAddress,
  isValidUsername,
  parseDate,
  usernameKey,
  validatePersonalData,
  type CalendarDate,
  type FieldProblem,
  type PersonalField,
} from '../../src/core/personal-data.ts';

const TODAY: CalendarDate = { year: 2024, month: 5, day: 10 };
const RULES = { today: TODAY, minimumAge: 16 };

/** A complete, valid form as Erika Mustermann would fill it in. */
const ERIKA: Readonly<Record<PersonalField, string>> = {
  givenName: 'Erika',
  familyName: 'Mustermann',
  dateOfBirth: '1964-08-12',
  placeOfBirth: 'Berlin',
  street: 'Heidestraße 17',
  postalCode: '51147',
  locality: 'Köln',
  email: 'erika@example.de',
  deMail: 'erika.mustermann@telekom.de-mail.de',
  birthName: 'Gabler',
  doctoralDegree: 'Dr.',
};

function validate(changes: Partial<Record<PersonalField, string>>, rules = RULES) {
  return validatePersonalData({ ...ERIKA, ...changes }, rules);
}

/** The problems of the form with `changes`, or `{}` when it is accepted. */
function problems(changes: Partial<Record<PersonalField, string>>, rules = RULES): Partial<Record<PersonalField, FieldProblem>> {
  const r = validate(changes, rules);
  return r.ok ? {} : r.errors;
}

/** The problem of one field given `value`, or undefined when it is accepted. */
function problemOf(field: PersonalField, value: string, rules = RULES): FieldProblem | undefined {
  return problems({ [field]: value }, rules)[field];
}

test('a complete, valid form is accepted with every value as typed', (t) => {
  const r = validatePersonalData(ERIKA, RULES);
  t.deepEqual(r, { ok: true, value: ERIKA });
});

test('an empty form names every required field and no optional one', (t) => {
  const r = validatePersonalData({}, RULES);
  t.false(r.ok);
  if (r.ok) return;
  t.deepEqual(r.errors, {
    givenName: 'required',
    familyName: 'required',
    dateOfBirth: 'required',
    street: 'required',
    postalCode: 'required',
    locality: 'required',
    email: 'required',
  });
});

test('a required field holding only blanks counts as empty', (t) => {
  t.deepEqual(problems({ givenName: ' \t\n ', email: '   ' }), { givenName: 'required', email: 'required' });
});

test('optional fields may be left empty or blank and are then absent from the result', (t) => {
  const r = validate({ placeOfBirth: '', deMail: '  ', birthName: undefined, doctoralDegree: '\t' });
  t.true(r.ok);
  if (!r.ok) return;
  for (const field of ['placeOfBirth', 'deMail', 'birthName', 'doctoralDegree'] as const) {
    t.false(field in r.value, `${field} is not stored as an empty string`);
  }
  t.is(r.value.givenName, 'Erika');
});

test('every problem of the form is reported at once', (t) => {
  t.deepEqual(
    problems({
      givenName: 'R2D2',
      familyName: '',
      dateOfBirth: '1964-02-30',
      street: 'Heidestraße',
      postalCode: '5114',
      email: 'erika@',
      deMail: 'erika@gmail.com',
    }),
    {
      givenName: 'name',
      familyName: 'required',
      dateOfBirth: 'date',
      street: 'streetNumber',
      postalCode: 'postalCode',
      email: 'email',
      deMail: 'deMail',
    },
  );
});

test('blanks are trimmed and runs of blanks, tabs and line breaks collapse to one space', (t) => {
  const r = validate({
    givenName: '  Anna   Maria\t',
    familyName: 'von\n\nder  Heide',
    street: ' Unter  den   Linden  1 ',
    locality: ' Köln ',
  });
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.value.givenName, 'Anna Maria');
  t.is(r.value.familyName, 'von der Heide');
  t.is(r.value.street, 'Unter den Linden 1');
  t.is(r.value.locality, 'Köln');
});

test('umlauts typed as letter plus combining mark are composed (NFC), so equal names compare equal', (t) => {
  const decomposed = 'Mu\u0308ller';
  t.not(decomposed, 'Müller');
  const r = validate({ familyName: decomposed, locality: 'Lo\u0308rrach' });
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.value.familyName, 'Müller');
  t.is(r.value.locality, 'Lörrach');
});

test(`a text field may hold ${MAX_TEXT_LENGTH} characters but not one more`, (t) => {
  for (const field of PERSONAL_FIELDS.filter((f) => !['email', 'deMail', 'dateOfBirth', 'postalCode', 'street'].includes(f))) {
    t.is(problemOf(field, 'a'.repeat(MAX_TEXT_LENGTH)), undefined, `${field} at the limit`);
    t.is(problemOf(field, 'a'.repeat(MAX_TEXT_LENGTH + 1)), 'tooLong', `${field} over the limit`);
  }
  t.is(problemOf('street', 'a'.repeat(MAX_TEXT_LENGTH - 2) + ' 1'), undefined);
  t.is(problemOf('street', 'a'.repeat(MAX_TEXT_LENGTH - 1) + ' 1'), 'tooLong');
});

test('the length limit counts characters after trimming and composing', (t) => {
  t.is(problemOf('familyName', `  ${'a'.repeat(MAX_TEXT_LENGTH)}  `), undefined, 'surrounding blanks do not count');
  t.is(problemOf('familyName', 'u\u0308'.repeat(MAX_TEXT_LENGTH)), undefined, '100 composed ü are 100 characters');
});

test('a too long value is reported as tooLong, not as a problem of its content', (t) => {
  t.is(problemOf('givenName', '1'.repeat(MAX_TEXT_LENGTH + 1)), 'tooLong');
  t.is(problemOf('postalCode', '1'.repeat(MAX_TEXT_LENGTH + 1)), 'tooLong');
});

test(`e-mail addresses may be ${MAX_EMAIL_LENGTH} characters long, not more`, (t) => {
  const local = 'l'.repeat(64);
  const labels = `${'d'.repeat(63)}.${'e'.repeat(63)}.`;
  const at254 = `${local}@${labels}${'f'.repeat(MAX_EMAIL_LENGTH - local.length - 1 - labels.length - 3)}.de`;
  t.is(at254.length, MAX_EMAIL_LENGTH);
  t.is(problemOf('email', at254), undefined);
  t.is(problemOf('email', 'l' + at254), 'tooLong');
  t.is(problemOf('deMail', 'x'.repeat(MAX_EMAIL_LENGTH + 1)), 'tooLong');
});

for (const name of [
  'Zoë',
  'Jürgen',
  'Øystein',
  'José-María',
  'Nguyễn',
  'Łukasz',
  'Ἀλέξανδρος',
  "O'Connor",
  'D’Angelo',
  'Müller-Lüdenscheidt',
  'Hans Peter',
  'St. Clair',
  'Jose\u0301',
]) {
  test(`the name ${JSON.stringify(name)} is accepted`, (t) => {
    t.deepEqual(problems({ givenName: name, familyName: name, birthName: name }), {});
  });
}

for (const name of [
  'R2D2',
  '<script>',
  'Anna_Maria',
  'Anna!',
  '-Anna',
  "'Anna",
  '.Anna',
  'Anna, Maria',
  'Anna (Maria)',
  'Anna/Maria',
  '@nna',
]) {
  test(`the name ${JSON.stringify(name)} is refused as not a name`, (t) => {
    t.deepEqual(problems({ givenName: name, familyName: name, birthName: name }), {
      givenName: 'name',
      familyName: 'name',
      birthName: 'name',
    });
  });
}

test('places may carry a river or region in brackets or after a slash, but no digits', (t) => {
  t.deepEqual(problems({ placeOfBirth: 'Frankfurt (Oder)', locality: 'Halle/Saale' }), {});
  t.deepEqual(problems({ placeOfBirth: 'Sankt Augustin', locality: 'Halle an der Saale', doctoralDegree: 'Dr.-Ing.' }), {});
  t.deepEqual(problems({ placeOfBirth: 'Berlin 10', locality: '51147', doctoralDegree: '2x Dr.' }), {
    placeOfBirth: 'place',
    locality: 'place',
    doctoralDegree: 'name',
  });
  t.is(problemOf('doctoralDegree', 'Prof. Dr. med.'), undefined);
});

test('dates are read as YYYY-MM-DD and as TT.MM.JJJJ, and stored as YYYY-MM-DD', (t) => {
  t.deepEqual(parseDate('1964-08-12'), { year: 1964, month: 8, day: 12 });
  t.deepEqual(parseDate('12.08.1964'), { year: 1964, month: 8, day: 12 });
  t.deepEqual(parseDate('3.2.1964'), { year: 1964, month: 2, day: 3 }, 'day and month without leading zero');
  for (const typed of ['12.08.1964', '12.8.1964', '1964-08-12']) {
    const r = validate({ dateOfBirth: typed });
    t.true(r.ok, typed);
    if (r.ok) t.is(r.value.dateOfBirth, '1964-08-12', typed);
  }
  const r = validate({ dateOfBirth: ' 3.2.1964 ' });
  t.true(r.ok);
  if (r.ok) t.is(r.value.dateOfBirth, '1964-02-03');
});

for (const text of [
  '1964-8-12',
  '64-08-12',
  '12.08.64',
  '12/08/1964',
  '1964.08.12',
  '12-08-1964',
  '12. 08. 1964',
  'gestern',
  '19640812',
  '1964-08-12T00:00',
]) {
  test(`the date ${JSON.stringify(text)} is not in a known format`, (t) => {
    t.is(parseDate(text), undefined);
    t.is(problemOf('dateOfBirth', text), 'date');
  });
}

for (const impossible of [
  '1964-02-30',
  '30.02.1964',
  '1990-04-31',
  '31.4.1990',
  '2023-02-29',
  '29.02.1900',
  '1964-13-01',
  '1964-00-10',
  '1964-01-00',
  '32.01.1964',
]) {
  test(`the impossible date ${impossible} is refused, not rolled over to another day`, (t) => {
    t.is(parseDate(impossible), undefined);
    t.is(problemOf('dateOfBirth', impossible), 'date');
  });
}

test('29 February exists in leap years only', (t) => {
  t.deepEqual(parseDate('2000-02-29'), { year: 2000, month: 2, day: 29 }, '2000 is a leap year');
  t.deepEqual(parseDate('29.02.2004'), { year: 2004, month: 2, day: 29 });
  t.is(parseDate('2100-02-29'), undefined, '2100 is not');
});

test('a date of birth after today is in the future; today itself is not', (t) => {
  t.is(problemOf('dateOfBirth', '2024-05-11'), 'dateInFuture');
  t.is(problemOf('dateOfBirth', '11.05.2024'), 'dateInFuture');
  t.is(problemOf('dateOfBirth', '2030-01-01'), 'dateInFuture');
  t.is(problemOf('dateOfBirth', '2024-05-10'), 'tooYoung', 'born today: not in the future, but too young');
});

test('one may register from the 16th birthday on, not the day before', (t) => {
  t.is(problemOf('dateOfBirth', '2008-05-10'), undefined, 'sixteenth birthday is today');
  t.is(problemOf('dateOfBirth', '2008-05-11'), 'tooYoung', 'sixteenth birthday is tomorrow');
  t.is(problemOf('dateOfBirth', '2008-05-11', { today: { year: 2024, month: 5, day: 11 }, minimumAge: 16 }), undefined);
});

test('the minimum age comes from the rules', (t) => {
  t.is(problemOf('dateOfBirth', '2008-05-10', { today: TODAY, minimumAge: 18 }), 'tooYoung');
  t.is(problemOf('dateOfBirth', '2006-05-10', { today: TODAY, minimumAge: 18 }), undefined);
  t.is(problemOf('dateOfBirth', '2024-05-10', { today: TODAY, minimumAge: 0 }), undefined);
});

test('someone born on 29 February is older on 29 February in leap years and on 1 March otherwise', (t) => {
  const birth = { year: 2004, month: 2, day: 29 };
  t.is(ageOn(birth, { year: 2020, month: 2, day: 28 }), 15);
  t.is(ageOn(birth, { year: 2020, month: 2, day: 29 }), 16, 'leap year: the birthday exists');
  t.is(ageOn(birth, { year: 2022, month: 2, day: 28 }), 17, 'non-leap year: not yet on 28 February');
  t.is(ageOn(birth, { year: 2022, month: 3, day: 1 }), 18, 'non-leap year: on 1 March');

  const adults = { minimumAge: 18 };
  t.is(problemOf('dateOfBirth', '29.02.2004', { ...adults, today: { year: 2022, month: 2, day: 28 } }), 'tooYoung');
  t.is(problemOf('dateOfBirth', '29.02.2004', { ...adults, today: { year: 2022, month: 3, day: 1 } }), undefined);
  t.is(problemOf('dateOfBirth', '2008-02-29', { today: { year: 2024, month: 2, day: 28 }, minimumAge: 16 }), 'tooYoung');
  t.is(problemOf('dateOfBirth', '2008-02-29', { today: { year: 2024, month: 2, day: 29 }, minimumAge: 16 }), undefined);
});

test('ageOn counts completed years', (t) => {
  const birth = { year: 1964, month: 8, day: 12 };
  t.is(ageOn(birth, { year: 1964, month: 8, day: 12 }), 0);
  t.is(ageOn(birth, { year: 2024, month: 8, day: 11 }), 59);
  t.is(ageOn(birth, { year: 2024, month: 8, day: 12 }), 60);
  t.is(ageOn(birth, { year: 2024, month: 7, day: 31 }), 59, 'an earlier month with a later day is still before');
  t.is(ageOn(birth, { year: 2024, month: 12, day: 1 }), 60);
});

test('an age of 130 is accepted, 131 is tooOld', (t) => {
  t.is(problemOf('dateOfBirth', '1893-05-11'), undefined, '130 until tomorrow');
  t.is(problemOf('dateOfBirth', '1893-05-10'), 'tooOld', '131 today');
  t.is(problemOf('dateOfBirth', '1000-01-01'), 'tooOld');
});

test('a street with a comma is refused with its own problem', (t) => {
  t.is(problemOf('street', 'Heidestraße 17, 2. OG'), 'streetComma');
  t.is(problemOf('street', 'Heidestraße, 17'), 'streetComma');
});

test('a street needs a house number and a name', (t) => {
  t.is(problemOf('street', 'Heidestraße'), 'streetNumber');
  t.is(problemOf('street', '17'), 'streetNumber', 'a number alone is no street');
  for (const ok of ['Heidestraße 17', 'Heidestraße 17a', 'Am Abdinghof 11', 'Straße des 17. Juni 112', 'Rue de l’Église 4', 'Q 7 23']) {
    t.is(problemOf('street', ok), undefined, ok);
  }
});

test('a postal code is exactly five digits', (t) => {
  t.is(problemOf('postalCode', '01067'), undefined, 'leading zero kept');
  const r = validate({ postalCode: ' 01067 ' });
  t.true(r.ok);
  if (r.ok) t.is(r.value.postalCode, '01067');
  for (const bad of ['1067', '010677', 'D-01067', '01 067', '0106a', '１２３４５']) {
    t.is(problemOf('postalCode', bad), 'postalCode', bad);
  }
});

for (const address of [
  'erika@example.de',
  'Erika.Mustermann@Example.DE',
  'erika+servicekonto@example.de',
  'e@sub.example.co.uk',
  "o'connor@example.de",
  'x-y_z@ex-ample.de',
  'jürgen@example.de',
]) {
  test(`the e-mail address ${JSON.stringify(address)} is accepted`, (t) => {
    t.true(isEmailAddress(address));
    t.is(problemOf('email', address), undefined);
  });
}

for (const address of [
  'erika',
  'erika@',
  '@example.de',
  'erika@example',
  'erika@@example.de',
  'erika@exa@mple.de',
  'erika mustermann@example.de',
  '.erika@example.de',
  'erika.@example.de',
  'eri..ka@example.de',
  'erika@.example.de',
  'erika@example.de.',
  'erika@example..de',
  'erika@-example.de',
  'erika@example-.de',
  'erika@exa_mple.de',
  'erika@müller.de',
  '"erika"@example.de',
  'erika<x>@example.de',
  'erika,x@example.de',
  'erika@[127.0.0.1]',
]) {
  test(`the e-mail address ${JSON.stringify(address)} is refused`, (t) => {
    t.false(isEmailAddress(address));
    t.is(problemOf('email', address), 'email');
  });
}

test('the part before @ may be 64 characters, not 65', (t) => {
  t.true(isEmailAddress(`${'a'.repeat(64)}@example.de`));
  t.false(isEmailAddress(`${'a'.repeat(65)}@example.de`));
});

test('a De-Mail address must be under a provider of .de-mail.de', (t) => {
  t.is(problemOf('deMail', 'erika@telekom.de-mail.de'), undefined);
  t.is(problemOf('deMail', 'Erika.Mustermann@Mentana.DE-Mail.de'), undefined, 'case does not matter');
  t.true(isDeMailAddress('erika@gmx.de-mail.de'));
  for (const bad of [
    'erika@example.de',
    'erika@de-mail.de',
    'erika@telekomde-mail.de',
    'erika@telekom.de-mail.de.evil.example',
    'telekom.de-mail.de',
  ]) {
    t.false(isDeMailAddress(bad), bad);
    t.is(problemOf('deMail', bad), 'deMail', bad);
  }
});

test('an ordinary e-mail field accepts a De-Mail address too', (t) => {
  t.is(problemOf('email', 'erika@telekom.de-mail.de'), undefined);
});

test('usernames compare case-insensitively and after composing umlauts', (t) => {
  t.is(usernameKey('Erika.Mustermann'), 'erika.mustermann');
  t.is(usernameKey('ERIKA'), usernameKey('erika'));
  t.is(usernameKey('Mu\u0308ller'), usernameKey('MÜLLER'));
});

test('a username has 3 to 64 characters of A-Z, a-z, 0-9 and . _ @ -, starting with a letter or digit', (t) => {
  for (const ok of ['abc', 'Erika', 'e.mustermann', 'erika_m', 'erika-m', 'erika@example.de', '1erika', 'a'.repeat(64)]) {
    t.true(isValidUsername(ok), ok);
  }
  for (const bad of ['ab', 'a'.repeat(65), '.erika', '_erika', '-erika', '@erika', 'erika mustermann', 'müller', 'erika!', 'erika+1', '']) {
    t.false(isValidUsername(bad), bad);
  }
});

import test from 'ava';
import { defineMessages, fmt, formatIsoDateForDisplay, isLang, negotiateLanguage } from '../../src/web/i18n.ts';

test('without an Accept-Language header the configured language is used', (t) => {
  t.is(negotiateLanguage(undefined, 'de'), 'de');
  t.is(negotiateLanguage(undefined, 'en'), 'en');
  t.is(negotiateLanguage('', 'en'), 'en');
});

test('the first supported language in header order wins when qualities are equal', (t) => {
  t.is(negotiateLanguage('en, de', 'de'), 'en');
  t.is(negotiateLanguage('de, en', 'en'), 'de');
  t.is(negotiateLanguage('en;q=0.8, de;q=0.8', 'de'), 'en');
});

test('a higher quality wins over header order', (t) => {
  t.is(negotiateLanguage('de;q=0.5, en;q=0.9', 'de'), 'en');
  t.is(negotiateLanguage('en;q=0.1, de', 'en'), 'de', 'no q means q=1');
  t.is(negotiateLanguage('en;q=0.8,de;q=0.81', 'en'), 'de');
});

test('region tags count as their language', (t) => {
  t.is(negotiateLanguage('en-GB,en;q=0.9', 'de'), 'en');
  t.is(negotiateLanguage('de-AT', 'en'), 'de');
  t.is(negotiateLanguage('EN-us', 'de'), 'en', 'tags are case-insensitive');
  t.is(negotiateLanguage('de-CH;q=0.7, en-US;q=0.3', 'en'), 'de');
});

test('unsupported languages are skipped, and the fallback is used when nothing is left', (t) => {
  t.is(negotiateLanguage('fr-FR, fr;q=0.9, en;q=0.5', 'de'), 'en');
  t.is(negotiateLanguage('tr, ar;q=0.9', 'de'), 'de');
  t.is(negotiateLanguage('tr, ar;q=0.9', 'en'), 'en');
  t.is(negotiateLanguage('*', 'de'), 'de');
  t.is(negotiateLanguage('german, english', 'de'), 'de', 'not a language tag');
});

test('a language with q=0 is refused, not chosen', (t) => {
  t.is(negotiateLanguage('en;q=0, de;q=0.1', 'en'), 'de');
  t.is(negotiateLanguage('de;q=0', 'en'), 'en');
  t.is(negotiateLanguage('de;q=0.000, en;q=0.001', 'de'), 'en');
  t.is(negotiateLanguage('en;q=0', 'en'), 'en', 'the fallback stays the fallback');
});

test('blanks around tags and parameters do not matter', (t) => {
  t.is(negotiateLanguage('  fr ;  q=0.9 ,  en ; q=0.8  ', 'de'), 'en');
  t.is(negotiateLanguage('de;q=0.5,en;level=1;q=0.9', 'de'), 'en', 'q after another parameter');
});

test('fmt fills the named placeholders', (t) => {
  t.is(fmt('Bitte warten Sie {seconds} Sekunden, {name}.', { seconds: 30, name: 'Erika' }), 'Bitte warten Sie 30 Sekunden, Erika.');
  t.is(fmt('{a}{a}{b}', { a: 1, b: 'x' }), '11x', 'a placeholder may appear twice');
  t.is(fmt('{0}', { 0: 'zero' }), 'zero');
});

test('fmt leaves placeholders without a value visible, so a missing value is noticed', (t) => {
  t.is(fmt('Hallo {name}', {}), 'Hallo {name}');
  t.is(fmt('{ name } and {na-me}', { name: 'x' }), '{ name } and {na-me}', 'only word characters name a placeholder');
});

test('fmt inserts values verbatim, without reading placeholders in them', (t) => {
  t.is(fmt('{a} {b}', { a: '{b}', b: 'B' }), '{b} B');
  t.is(fmt('{a}', { a: '$& $1' }), '$& $1', 'replacement patterns are not interpreted');
});

test('ISO dates are shown as citizens write them', (t) => {
  t.is(formatIsoDateForDisplay('de', '1964-08-12'), '12.08.1964');
  t.is(formatIsoDateForDisplay('en', '1964-08-12'), '12/08/1964');
});

test('anything that is not an ISO date is shown unchanged', (t) => {
  for (const text of ['12.08.1964', '1964-8-12', '1964-08-12T10:00:00Z', '', 'unbekannt']) {
    t.is(formatIsoDateForDisplay('de', text), text);
  }
});

test('de and en are the languages', (t) => {
  t.true(isLang('de'));
  t.true(isLang('en'));
  t.false(isLang('fr'));
  t.false(isLang('DE'));
  t.false(isLang(undefined));
});

test('a catalogue answers in the language asked for', (t) => {
  const text = defineMessages({ hello: 'Hallo' }, { hello: 'Hello' });
  t.is(text('de').hello, 'Hallo');
  t.is(text('en').hello, 'Hello');
});

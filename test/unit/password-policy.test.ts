import test from 'ava';
import { PASSWORD_SPECIAL_CHARACTERS, checkPassword } from '../../src/core/password-policy.ts';

const GOOD = 'Abcdef1!';

test('a password meeting every rule is accepted', (t) => {
  t.deepEqual(checkPassword(GOOD), { ok: true, broken: [], refusedCharacters: [] });
});

test('fewer than 8 characters breaks the length rule', (t) => {
  const r = checkPassword('Abcde1!');
  t.false(r.ok);
  t.deepEqual(r.broken, ['minLength']);
  t.true(checkPassword('Abcdef1!').ok, 'exactly 8 is enough');
});

test('more than 128 characters is refused', (t) => {
  t.deepEqual(checkPassword(GOOD + 'a'.repeat(121)).broken, ['maxLength']);
  t.true(checkPassword(GOOD + 'a'.repeat(120)).ok);
});

test('a missing upper-case letter breaks exactly that rule', (t) => {
  t.deepEqual(checkPassword('abcdef1!').broken, ['upper']);
});

test('a missing lower-case letter breaks exactly that rule', (t) => {
  t.deepEqual(checkPassword('ABCDEF1!').broken, ['lower']);
});

test('a missing digit breaks exactly that rule', (t) => {
  t.deepEqual(checkPassword('Abcdefg!').broken, ['digit']);
});

test('a missing special character breaks exactly that rule', (t) => {
  t.deepEqual(checkPassword('Abcdefg1').broken, ['special']);
});

test('the policy lists exactly the Servicekonto special characters and the space', (t) => {
  t.deepEqual([...PASSWORD_SPECIAL_CHARACTERS].sort(), [...'-+_[]()$#!?%&/*,.;:<>|@ '].sort());
});

for (const special of PASSWORD_SPECIAL_CHARACTERS) {
  test(`special character ${JSON.stringify(special)} satisfies the special rule`, (t) => {
    const r = checkPassword(`Abcdef1${special}`);
    t.true(r.ok, JSON.stringify(r));
  });
}

for (const refused of ['~', '€', '^', '"', "'", '=', '{', '\\', '\t', 'é']) {
  test(`character ${JSON.stringify(refused)} is refused and named`, (t) => {
    const r = checkPassword(`Abcdef1!${refused}`);
    t.false(r.ok);
    t.deepEqual(r.broken, ['allowedCharacters']);
    t.deepEqual(r.refusedCharacters, [refused]);
  });
}

test('a refused character does not count as the special character', (t) => {
  const r = checkPassword('Abcdefg1~');
  t.deepEqual(r.broken, ['special', 'allowedCharacters']);
});

test('German umlauts and ß count as letters', (t) => {
  t.true(checkPassword('Übermaß1!').ok);
  t.deepEqual(checkPassword('ÄÖÜABCD1!').broken, ['lower']);
});

test('every broken rule is reported at once', (t) => {
  t.deepEqual(checkPassword('abc').broken, ['minLength', 'upper', 'digit', 'special']);
});

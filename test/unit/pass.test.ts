import test from 'ava';
import { LOA_LEVELS, type Loa } from '../../src/core/loa.ts';
import { allowInCsp, cleanName } from '../../src/authn/pass/common.ts';
import { levelAtLogin, levelAtRegistration, mayChangeAuthenticators, passMaxLoa } from '../../src/authn/pass/level.ts';
import {
  CHALLENGE_MS,
  counterAcceptable,
  keepChallenge,
  parseAuthentication,
  parseRegistration,
  relyingParty,
  takeChallenge,
} from '../../src/authn/pass/webauthn.ts';
import { Session } from '../../src/web/session.ts';

/**
 * The Servicekonto.Pass rules as pure functions: the level of DECISIONS 14, the session that may
 * change authenticators, the signature counter, the challenge slots, the parsing of the browser's
 * answers and the names citizens give their passkeys.
 */

const SESSION_LEVELS: (Loa | undefined)[] = [undefined, ...LOA_LEVELS];

test('a passkey gets substanziell only when registered in a session of substanziell or higher on an account with a card', (t) => {
  for (const sessionLoa of SESSION_LEVELS) {
    for (const eidBound of [false, true]) {
      const expected =
        eidBound && (sessionLoa === 'substantial' || sessionLoa === 'high') ? 'substantial' : sessionLoa === 'basic' ? 'basic' : 'low';
      t.is(levelAtRegistration({ sessionLoa, eidBound }), expected, `${sessionLoa} ${eidBound}`);
    }
  }
});

test('without ID cards the Pass gives niedrig at most, and no more than passwords where they give Basisregistrierung', (t) => {
  t.is(passMaxLoa({ eidEnabled: true, passwordLoa: 'low' }), 'substantial');
  t.is(passMaxLoa({ eidEnabled: true, passwordLoa: 'basic' }), 'substantial');
  t.is(passMaxLoa({ eidEnabled: false, passwordLoa: 'low' }), 'low');
  t.is(passMaxLoa({ eidEnabled: false, passwordLoa: 'basic' }), 'basic');
});

test('a login yields the stored level, and substanziell only while the account still has its card', (t) => {
  t.is(levelAtLogin({ stored: 'substantial', eidBound: true }), 'substantial');
  t.is(levelAtLogin({ stored: 'substantial', eidBound: false }), 'low');
  t.is(levelAtLogin({ stored: 'low', eidBound: true }), 'low', 'a card bound later does not raise an old passkey');
  t.is(levelAtLogin({ stored: 'low', eidBound: false }), 'low');
  t.is(levelAtLogin({ stored: 'basic', eidBound: true }), 'basic', 'added in a Basisregistrierung session');
  t.is(levelAtLogin({ stored: 'high', eidBound: true }), 'low', 'nothing stored can give more than substanziell');
});

test('adding and removing need a login, and substanziell or higher once a card is bound', (t) => {
  t.false(mayChangeAuthenticators({ sessionLoa: undefined, eidBound: false }));
  t.true(mayChangeAuthenticators({ sessionLoa: 'basic', eidBound: false }));
  t.true(mayChangeAuthenticators({ sessionLoa: 'low', eidBound: false }));
  t.false(mayChangeAuthenticators({ sessionLoa: 'low', eidBound: true }));
  t.true(mayChangeAuthenticators({ sessionLoa: 'substantial', eidBound: true }));
  t.true(mayChangeAuthenticators({ sessionLoa: 'high', eidBound: true }));
});

test('a signature counter must increase unless the authenticator keeps none (0 and 0)', (t) => {
  t.true(counterAcceptable(0, 0));
  t.true(counterAcceptable(0, 1));
  t.true(counterAcceptable(5, 6));
  t.true(counterAcceptable(5, 1000));
  t.false(counterAcceptable(5, 5), 'equal is a replay or clone');
  t.false(counterAcceptable(5, 4));
  t.false(counterAcceptable(5, 0), 'a counter that drops to 0');
});

test('the relying party is the public URL: its host as RP ID, its origin as the one origin', (t) => {
  t.deepEqual(relyingParty('https://servicekonto.example.de/', 'Servicekonto'), {
    id: 'servicekonto.example.de',
    origin: 'https://servicekonto.example.de',
    name: 'Servicekonto',
  });
  t.deepEqual(relyingParty('http://localhost:8080', 'X'), { id: 'localhost', origin: 'http://localhost:8080', name: 'X' });
});

test('a challenge is taken once, per purpose, and not after its five minutes', (t) => {
  const now = Date.parse('2026-11-23T09:00:00Z');
  const session = new Session(now, undefined, undefined, undefined);
  keepChallenge(session, 'login', { challenge: 'abc', expiresAt: now + CHALLENGE_MS });
  keepChallenge(session, 'register', { challenge: 'def', expiresAt: now + CHALLENGE_MS, accountId: 'acc' });
  t.deepEqual(takeChallenge(session, 'login', now), { ok: true, challenge: 'abc' });
  t.deepEqual(takeChallenge(session, 'login', now), { ok: false }, 'used up');
  t.deepEqual(takeChallenge(session, 'enrol', now), { ok: false }, 'another purpose has its own slot');
  t.deepEqual(takeChallenge(session, 'register', now + CHALLENGE_MS - 1), { ok: true, challenge: 'def', accountId: 'acc' });
  keepChallenge(session, 'login', { challenge: 'ghi', expiresAt: now + CHALLENGE_MS });
  t.deepEqual(takeChallenge(session, 'login', now + CHALLENGE_MS), { ok: false }, 'expired');
  t.deepEqual(takeChallenge(session, 'login', now), { ok: false }, 'and gone');
  keepChallenge(session, 'login', { challenge: 'jkl', expiresAt: now + CHALLENGE_MS });
  keepChallenge(session, 'login', { challenge: 'mno', expiresAt: now + CHALLENGE_MS });
  t.deepEqual(takeChallenge(session, 'login', now), { ok: true, challenge: 'mno' }, 'a new challenge replaces the old one');
});

test('only answers shaped like a WebAuthn credential are parsed', (t) => {
  const registration = {
    id: 'AQID',
    rawId: 'AQID',
    type: 'public-key',
    response: { clientDataJSON: 'e30', attestationObject: 'o2Nm' },
  };
  t.truthy(parseRegistration(JSON.stringify(registration)));
  t.deepEqual(parseRegistration(JSON.stringify(registration))?.clientExtensionResults, {});
  t.is(parseRegistration(JSON.stringify({ ...registration, rawId: 'AQIE' })), undefined, 'id and rawId differ');
  t.is(parseRegistration(JSON.stringify({ ...registration, type: 'password' })), undefined);
  t.is(parseRegistration(JSON.stringify({ ...registration, id: 'a+b/', rawId: 'a+b/' })), undefined, 'not base64url');
  t.is(parseRegistration(JSON.stringify({ ...registration, response: { clientDataJSON: 'e30' } })), undefined);
  t.is(parseRegistration('null'), undefined);
  t.is(parseRegistration('{'), undefined);
  t.is(parseRegistration(''), undefined);
  const authentication = {
    id: 'AQID',
    rawId: 'AQID',
    type: 'public-key',
    response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA', userHandle: 'dXNlcg' },
  };
  t.truthy(parseAuthentication(JSON.stringify(authentication)));
  t.is(parseAuthentication(JSON.stringify({ ...authentication, response: { ...authentication.response, signature: 3 } })), undefined);
  t.is(parseAuthentication(JSON.stringify({ ...authentication, response: { ...authentication.response, userHandle: '<x>' } })), undefined);
  t.is(parseAuthentication(JSON.stringify(registration)), undefined, 'a registration is no login');
  t.is(parseAuthentication(JSON.stringify({ ...authentication, id: 'A'.repeat(1401), rawId: 'A'.repeat(1401) })), undefined, 'id too long');
});

test('passkey names are trimmed, blanks collapsed, at most 64 characters, no control characters', (t) => {
  t.is(cleanName('  Mein   Telefon '), 'Mein Telefon');
  t.is(cleanName('Ä'.repeat(64)), 'Ä'.repeat(64));
  t.is(cleanName('🙂'.repeat(64)), '🙂'.repeat(64), 'counted in characters, not UTF-16 units');
  t.is(cleanName('x'.repeat(65)), undefined);
  t.is(cleanName('   '), undefined);
  t.is(cleanName('a\u0000b'), undefined);
  t.is(cleanName('a\u202Eb'.replace('\u202E', '\u0085')), undefined);
  t.is(cleanName('<script>'), '<script>', 'markup is text; pages escape it');
});

test('the Pass widens a page’s CSP by its own scripts and requests only, keeping what others allowed', (t) => {
  t.is(
    allowInCsp(
      allowInCsp("default-src 'none'; form-action 'self' http://127.0.0.1:24727", 'script-src', "'self'"),
      'connect-src',
      "'self'",
    ),
    "default-src 'none'; form-action 'self' http://127.0.0.1:24727; script-src 'self'; connect-src 'self'",
  );
  t.is(allowInCsp("script-src 'none'; img-src 'self'", 'script-src', "'self'"), "script-src 'self'; img-src 'self'");
  t.is(allowInCsp("script-src 'self' https://x", 'script-src', "'self'"), "script-src 'self' https://x", 'nothing twice');
  t.is(allowInCsp(" ;img-src 'self'; ", 'script-src', "'self'"), "img-src 'self'; script-src 'self'");
});

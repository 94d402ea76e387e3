import test from 'ava';
import { safeLocalPath } from '../../src/web/app.ts';

for (const local of [
  '/',
  '/konto',
  '/konto/daten?tab=2&x=%2F%2Fevil',
  '/suche?q=a//b',
  '/a/b#c',
  '/interaction/abc/login',
  '/pfad/mit-ümlaut',
]) {
  test(`the local path ${JSON.stringify(local)} is kept`, (t) => {
    t.is(safeLocalPath(local), local);
  });
}

for (const foreign of [
  'https://evil.example/',
  'http://evil.example',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  '//evil.example',
  '//evil.example/konto',
  '///evil.example',
  '/\\evil.example',
  '\\\\evil.example',
  '/konto\\..\\..',
  'konto',
  './konto',
  '?next=/',
  ' /konto',
]) {
  test(`${JSON.stringify(foreign)} is refused in favour of the fallback`, (t) => {
    t.is(safeLocalPath(foreign), '/');
    t.is(safeLocalPath(foreign, '/konto'), '/konto');
  });
}

for (const control of ['\t', '\n', '\r', '\0', '\x1b', '\x1f']) {
  test(`a path with the control character ${JSON.stringify(control)} is refused`, (t) => {
    // Browsers drop tabs and line breaks: "/\t/evil.example" would become "//evil.example".
    t.is(safeLocalPath(`/${control}/evil.example`), '/');
    t.is(safeLocalPath(`/konto${control}`), '/');
  });
}

test('no path at all gives the fallback', (t) => {
  t.is(safeLocalPath(undefined), '/');
  t.is(safeLocalPath(''), '/');
  t.is(safeLocalPath(undefined, '/konto'), '/konto');
});

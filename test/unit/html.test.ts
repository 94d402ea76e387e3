import test from 'ava';
import fc from 'fast-check';
import { parse } from 'node-html-parser';
import { Html, escapeHtml, flag, html, trustedHtml } from '../../src/web/html.ts';

test('the five HTML special characters are escaped', (t) => {
  t.is(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  t.is(escapeHtml('Müller & Söhne'), 'Müller &amp; Söhne');
  t.is(escapeHtml('plain text, no markup'), 'plain text, no markup');
});

test('a script typed into a form comes out as text, not as a script', (t) => {
  const name = '<script>alert("xss")</script>';
  t.is(html`<p>${name}</p>`.value, '<p>&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;</p>');
});

// The templates below must stay exactly as written, so prettier (which formats html`` as HTML)
// is told to leave them alone.

test('a value cannot leave its quoted attribute', (t) => {
  // prettier-ignore
  t.is(html`<input value="${'" autofocus onfocus="alert(1)'}">`.value, '<input value="&quot; autofocus onfocus=&quot;alert(1)">');
  // prettier-ignore
  t.is(html`<input value='${"' onfocus='alert(1)"}'>`.value, "<input value='&#39; onfocus=&#39;alert(1)'>");
});

test('an ampersand that already looks like an entity is escaped again, so it shows as typed', (t) => {
  t.is(html`${'&amp; &lt; &#39;'}`.value, '&amp;amp; &amp;lt; &amp;#39;');
});

test('numbers and true are written as text', (t) => {
  t.is(html`${0} ${42} ${-1.5} ${true}`.value, '0 42 -1.5 true');
});

test('null, undefined and false render nothing', (t) => {
  t.is(html`[${null}][${undefined}][${false}]`.value, '[][][]');
  t.is(html`${'' as string}`.value, '');
});

test('Html values are inserted as they are, not escaped twice', (t) => {
  const inner = html`<em>${'a < b'}</em>`;
  t.is(html`<p>${inner}</p>`.value, '<p><em>a &lt; b</em></p>');
  t.is(html`<p>${trustedHtml('<b>Impressum</b>')}</p>`.value, '<p><b>Impressum</b></p>');
});

test('arrays are joined without separators, each item escaped by its own kind, nested arrays too', (t) => {
  // prettier-ignore
  const items = ['<a>', html`<li>${'&'}</li>`, ['x', ['<y>', null, false, html`<br>`]], 7, undefined];
  // prettier-ignore
  t.is(html`<ul>${items}</ul>`.value, '<ul>&lt;a&gt;<li>&amp;</li>x&lt;y&gt;<br>7</ul>');
  t.is(html`${[]}`.value, '');
});

test('the template text itself is kept as written', (t) => {
  t.is(html`<a href="/x?a=1&b=2">${'Link'}</a>`.value, '<a href="/x?a=1&b=2">Link</a>');
  t.is(html`no values`.value, 'no values');
  t.is(html``.value, '');
});

test('an Html value prints as its markup', (t) => {
  const h = html`<p>${'<'}</p>`;
  t.true(h instanceof Html);
  t.is(String(h), '<p>&lt;</p>');
  t.is(`${h}`, '<p>&lt;</p>');
});

test('flag writes a bare attribute only when on', (t) => {
  // prettier-ignore
  t.is(html`<input${flag('required', true)}${flag('checked', false)}>`.value, '<input required>');
});

const HOSTILE = ['<', '>', '&', '"', "'", '=', '/', ' ', '\n', '\t', '#', ';', 'amp', 'lt', 'x', '<!--', '-->', ']]>', '`', '\0'];

/** Strings rich in markup characters, plus any text at all. */
const anyText = fc.oneof(
  fc.string({ unit: fc.constantFrom(...HOSTILE), maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

test('any text placed in an attribute and in an element reads back unchanged and adds no markup', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(anyText, (s) => {
        // One attribute in double quotes, one in single quotes (prettier would make both double).
        // prettier-ignore
        const root = parse(html`<div><p title="${s}" data-x='${s}'>${s}</p><i></i></div>`.value);
        const p = root.querySelector('p');
        if (!p) return false;
        const attributeNames = Object.keys(p.attributes).sort();
        return (
          root.querySelectorAll('*').length === 3 &&
          attributeNames.join(' ') === 'data-x title' &&
          p.getAttribute('title') === s &&
          p.getAttribute('data-x') === s &&
          p.childNodes.every((c) => c.nodeType === 3) &&
          p.text === s
        );
      }),
      { numRuns: 2000 },
    ),
  );
});

test('escaped text never contains a markup character other than in an entity', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(anyText, (s) => {
        const out = escapeHtml(s);
        return !/[<>"']/.test(out) && !/&(?!amp;|lt;|gt;|quot;|#39;)/.test(out);
      }),
      { numRuns: 2000 },
    ),
  );
});

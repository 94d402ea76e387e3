import test from 'ava';
import fc from 'fast-check';
import { allowedType, base64Length, checkContent, contentDisposition, decodeBase64, sanitizeFileName } from '../../src/mailbox/content.ts';
import { isReleasable } from '../../src/core/attributes.ts';
import { pick, planRelease } from '../../src/login/release.ts';
import { samlAttributes } from '../../src/portals/saml/attributes.ts';
import { claimValues } from '../../src/portals/oidc/claims.ts';
import { executable, pdf, png } from '../mailbox/bed.ts';

/** Attachment checks of the Postkorb (type from the content, names, base64) and the handle's release. */

test('the type is checked from the content: PDF, PNG, JPEG, XML, text pass; an executable renamed to .pdf does not', async (t) => {
  t.like(await checkContent('application/pdf', pdf('x')), { ok: true, type: 'application/pdf' });
  t.like(await checkContent('image/png', png()), { ok: true, type: 'image/png' });
  const jpeg = Buffer.from([
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9,
  ]);
  t.like(await checkContent('image/jpg', jpeg), { ok: true, type: 'image/jpeg' });
  t.like(await checkContent('text/xml', Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<a>ä</a>')), {
    ok: true,
    type: 'application/xml',
  });
  t.like(await checkContent('application/xml', Buffer.from('\uFEFF<antrag/>')), { ok: true, type: 'application/xml' });
  t.like(await checkContent('text/plain; charset=utf-8', Buffer.from('Grüße\r\n\tTab\n')), { ok: true, type: 'text/plain' });
  t.like(await checkContent('text/plain', Buffer.from('<?xml version="1.0"?><a/>')), { ok: true, type: 'text/plain' });

  const exe = await checkContent('application/pdf', executable());
  t.false(exe.ok);
  t.regex((exe as { detail: string }).detail, /exe|msdownload|portable/i);
  t.false((await checkContent('application/pdf', Buffer.from('Hallo'))).ok, 'no PDF signature');
  t.false((await checkContent('image/png', pdf('x'))).ok, 'declared PNG, is PDF');
  t.false((await checkContent('text/plain', Buffer.from([0x48, 0x00, 0x49]))).ok, 'NUL is not text');
  t.false((await checkContent('text/plain', Buffer.from([0xc3, 0x28]))).ok, 'invalid UTF-8');
  t.false((await checkContent('application/xml', Buffer.from('kein xml'))).ok);
  t.false((await checkContent('application/zip', Buffer.from('PK\u0003\u0004'))).ok);
  t.false((await checkContent('text/html', Buffer.from('<script>alert(1)</script>'))).ok, 'HTML is not an allowed type');
  t.is(allowedType('IMAGE/JPEG; x=y'), 'image/jpeg');
  t.is(allowedType('application/octet-stream'), undefined);
});

test('file names: no path, no direction or control characters, no reserved names, an extension that fits, at most 120 characters', (t) => {
  t.is(sanitizeFileName('Bescheid.pdf', 'application/pdf', 0), 'Bescheid.pdf');
  t.is(sanitizeFileName('C:\\Users\\x\\..\\Bescheid.PDF', 'application/pdf', 0), 'Bescheid.pdf');
  t.is(sanitizeFileName('../../etc/passwd', 'text/plain', 0), 'passwd.txt');
  t.is(sanitizeFileName('rechnung\u202Efdp.exe', 'application/pdf', 0), 'rechnungfdp.exe.pdf');
  t.is(sanitizeFileName('a<b>c:d"e|f?g*h.png', 'image/png', 0), 'a_b_c_d_e_f_g_h.png');
  t.is(sanitizeFileName('...', 'application/pdf', 2), 'Anhang-3.pdf');
  t.is(sanitizeFileName('nul.txt', 'text/plain', 0), '_nul.txt');
  t.is(sanitizeFileName('foto.jpeg', 'image/jpeg', 0), 'foto.jpeg');
  t.is(sanitizeFileName('  Antrag   vom  1.1.  ', 'application/xml', 0), 'Antrag vom 1.1.xml');
  const long = sanitizeFileName(`${'ä'.repeat(300)}.pdf`, 'application/pdf', 0);
  t.is([...long].length, 120);
  t.true(long.endsWith('.pdf'));
  fc.assert(
    fc.property(
      fc.string({ maxLength: 300 }),
      fc.constantFrom('application/pdf', 'image/png', 'text/plain') as fc.Arbitrary<'application/pdf' | 'image/png' | 'text/plain'>,
      (raw, type) => {
        const name = sanitizeFileName(raw, type, 0);
        // eslint-disable-next-line no-control-regex
        return name.length > 0 && !/[/\\<>:"|?*\u0000-\u001f\u202a-\u202e]/.test(name) && [...name].length <= 120 && !name.startsWith('.');
      },
    ),
  );
});

test('Content-Disposition: attachment with an ASCII fallback and the UTF-8 name', (t) => {
  t.is(
    contentDisposition('Bescheid Müller.pdf'),
    `attachment; filename="Bescheid M_ller.pdf"; filename*=UTF-8''Bescheid%20M%C3%BCller.pdf`,
  );
  t.is(contentDisposition("O'Neil (1).txt"), `attachment; filename="O'Neil (1).txt"; filename*=UTF-8''O%27Neil%20%281%29.txt`);
});

test('base64 is read strictly: padded, no blanks, canonical', (t) => {
  t.is(base64Length('QUJD'), 3);
  t.is(base64Length('QUI='), 2);
  t.is(base64Length('QQ=='), 1);
  t.is(base64Length('QQ='), undefined);
  t.deepEqual(decodeBase64('QUJD'), Buffer.from('ABC'));
  t.is(decodeBase64('QU JD'), undefined);
  t.is(decodeBase64('QR=='), undefined, 'non-zero padding bits');
  t.is(decodeBase64('QUJD\n'), undefined);
});

test('the handle is released only as the hub assigned it, never a value from elsewhere', (t) => {
  const hub = { value: '0b8e7e4c-5c6a-4f8e-9d61-3f0f6a2b9c11', loa: 'basic', source: 'hub' } as const;
  const partner = { value: '11111111-2222-4333-8444-555555555555', loa: 'high', source: 'upstream:by' } as const;
  t.true(isReleasable('postkorbHandle', hub));
  t.false(isReleasable('postkorbHandle', partner));
  const request = {
    id: 'r',
    portalId: 'p',
    protocol: 'saml',
    minLoa: 'low',
    requestedAttributes: [{ name: 'postkorbHandle', required: true }],
    forceAuthn: false,
    isPassive: false,
    edge: {},
    createdAt: 0,
  } as const;
  t.deepEqual(planRelease(['postkorbHandle'], request, { postkorbHandle: partner }), { ok: false, missing: ['postkorbHandle'] });
  t.deepEqual(planRelease(['postkorbHandle'], request, { postkorbHandle: hub }), { ok: true, names: ['postkorbHandle'] });
  t.deepEqual(pick({ postkorbHandle: partner }, ['postkorbHandle']), {});
});

test('SAML sends the handle as urn:oid:2.5.4.18 with the session level; OIDC as the claim postkorb_handle', (t) => {
  const handle = '0b8e7e4c-5c6a-4f8e-9d61-3f0f6a2b9c11';
  const identity = {
    accountId: 'a',
    loa: 'substantial',
    methods: ['pass'],
    authnInstant: 0,
    attributes: { postkorbHandle: { value: handle, loa: 'basic', source: 'hub' } },
    pairwiseId: 'p',
    sessionIndex: 's',
  } as const;
  const attrs = samlAttributes(identity, new Set());
  t.deepEqual(attrs, [{ name: 'urn:oid:2.5.4.18', friendlyName: 'legacyPostkorbHandle', values: [handle], trustLevel: 'SUBSTANTIELL' }]);
  t.deepEqual(claimValues(identity.attributes), { postkorb_handle: handle });
});

import test from 'ava';
import { DOMParser } from '@xmldom/xmldom';
import type { ReleasedIdentity } from '../../../src/core/authn-request.ts';
import { readAkdb } from '../../../src/portals/saml/akdb.ts';
import { CATALOGUE, hubAttributeOf, OID, provedBy, samlAttributes } from '../../../src/portals/saml/attributes.ts';
import { classRef, planLevel, statedLevel, type LevelPlan } from '../../../src/portals/saml/requested-level.ts';

const ok = (plan: LevelPlan) => {
  if (!plan.ok) throw new Error(plan.reason);
  return plan;
};

test('minimum: the lowest class asked for, but never below the portal’s configured minimum', (t) => {
  t.is(ok(planLevel('low', { comparison: 'minimum', classRefs: ['STORK-QAA-Level-3'] })).minLoa, 'substantial');
  t.is(
    ok(
      planLevel('low', { comparison: 'minimum', classRefs: ['http://eidas.europa.eu/LoA/high', 'http://eidas.europa.eu/LoA/substantial'] }),
    ).minLoa,
    'substantial',
  );
  t.is(
    ok(planLevel('substantial', { comparison: 'minimum', classRefs: ['STORK-QAA-Level-1'] })).minLoa,
    'substantial',
    'a portal cannot ask for less',
  );
  t.is(ok(planLevel('low', { comparison: 'minimum', classRefs: ['http://bsi.bund.de/eID/LoA/hoch'] })).minLoa, 'high');
});

test('STORK values are read leniently (case, blanks); generic SAML classes ask for nothing; unknown ones cannot be met', (t) => {
  t.is(ok(planLevel('low', { comparison: 'minimum', classRefs: [' stork-qaa-level-4 '] })).minLoa, 'high');
  t.is(
    ok(planLevel('low', { comparison: 'minimum', classRefs: ['urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'] }))
      .minLoa,
    'low',
  );
  t.false(planLevel('low', { comparison: 'minimum', classRefs: ['urn:example:gold'] }).ok);
  t.is(ok(planLevel('low', undefined)).minLoa, 'low');
});

test('the answer speaks the request’s vocabulary: STORK in, STORK out; eIDAS otherwise; basic always STORK-QAA-Level-1', (t) => {
  t.is(ok(planLevel('low', { comparison: 'minimum', classRefs: ['STORK-QAA-Level-2'] })).vocabulary, 'stork');
  t.is(ok(planLevel('low', { comparison: 'minimum', classRefs: ['http://bsi.bund.de/eID/LoA/normal'] })).vocabulary, 'eidas');
  t.is(ok(planLevel('low', undefined)).vocabulary, 'eidas');
  t.is(classRef('stork', 'low'), 'STORK-QAA-Level-2');
  t.is(classRef('eidas', 'low'), 'http://eidas.europa.eu/LoA/low');
  t.is(classRef('eidas', 'basic'), 'STORK-QAA-Level-1');
  t.is(classRef('stork', 'high'), 'STORK-QAA-Level-4');
});

test('exact: one of the listed levels is stated, the highest the login reached', (t) => {
  const plan = ok(planLevel('basic', { comparison: 'exact', classRefs: ['STORK-QAA-Level-1', 'STORK-QAA-Level-3'] }));
  t.is(plan.minLoa, 'basic');
  t.is(statedLevel(plan, 'low'), 'basic');
  t.is(statedLevel(plan, 'high'), 'substantial');
  t.false(
    planLevel('substantial', { comparison: 'exact', classRefs: ['STORK-QAA-Level-2'] }).ok,
    'exactly below the portal minimum cannot be served',
  );
});

test('better and maximum follow SAML Core; the reached level is stated for minimum', (t) => {
  t.is(ok(planLevel('low', { comparison: 'better', classRefs: ['http://eidas.europa.eu/LoA/low'] })).minLoa, 'substantial');
  t.false(planLevel('low', { comparison: 'better', classRefs: ['http://eidas.europa.eu/LoA/high'] }).ok);
  const max = ok(planLevel('low', { comparison: 'maximum', classRefs: ['http://eidas.europa.eu/LoA/substantial'] }));
  t.is(max.minLoa, 'low');
  t.is(statedLevel(max, 'high'), 'substantial');
  t.is(statedLevel(ok(planLevel('low', undefined)), 'high'), 'high');
  t.is(statedLevel(ok(planLevel('substantial', undefined)), 'low'), undefined);
});

function akdbOf(inner: string) {
  const doc = new DOMParser().parseFromString(
    `<samlp:Extensions xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:akdb="https://www.akdb.de/request/2018/09" xmlns:ui="https://www.akdb.de/request/2018/09/classic-ui/v1">${inner}</samlp:Extensions>`,
    'text/xml',
  );
  return readAkdb(doc.documentElement!);
}

test('AKDB: methods map to the hub’s login methods; unknown and disabled ones are left out', (t) => {
  const r = akdbOf(`<akdb:AuthenticationRequest Version="2"><akdb:AuthnMethods>
      <akdb:Benutzername><akdb:Enabled>true</akdb:Enabled></akdb:Benutzername>
      <akdb:eID><akdb:Enabled>1</akdb:Enabled></akdb:eID>
      <akdb:eIDAS><akdb:Enabled>false</akdb:Enabled></akdb:eIDAS>
      <akdb:FINK><akdb:Enabled>true</akdb:Enabled></akdb:FINK>
      <akdb:Elster><akdb:Enabled>true</akdb:Enabled></akdb:Elster>
      <akdb:Diia><akdb:Enabled>true</akdb:Enabled></akdb:Diia>
    </akdb:AuthnMethods></akdb:AuthenticationRequest>`);
  t.deepEqual(r?.authnMethods, ['password', 'eid', 'upstream']);
  t.is(r?.version, '2');
  t.is(r?.requestedAttributes, undefined);
});

test('AKDB: requested attributes with RequiredAttribute (default false), display name trimmed and capped, CDATA read as text', (t) => {
  const r = akdbOf(`<akdb:AuthenticationRequest Version="2"><akdb:RequestedAttributes>
      <akdb:RequestedAttribute Name="urn:oid:2.5.4.42" RequiredAttribute="true"/>
      <akdb:RequestedAttribute Name="urn:oid:2.5.4.4"/>
    </akdb:RequestedAttributes>
    <akdb:DisplayInformation><ui:Version>
      <ui:OrganizationDisplayName><![CDATA[Stadt <Musterhausen>  ${'x'.repeat(100)}]]></ui:OrganizationDisplayName>
      <ui:BackURL>https://portal.example/zurueck</ui:BackURL>
      <ui:OnlineServiceId>svc-1</ui:OnlineServiceId>
    </ui:Version></akdb:DisplayInformation></akdb:AuthenticationRequest>`);
  t.deepEqual(r?.requestedAttributes, [
    { name: 'urn:oid:2.5.4.42', required: true },
    { name: 'urn:oid:2.5.4.4', required: false },
  ]);
  t.true(r!.organizationDisplayName!.startsWith('Stadt <Musterhausen> x'));
  t.is(r!.organizationDisplayName!.length, 80);
  t.is(r?.backUrl, 'https://portal.example/zurueck');
  t.is(r?.onlineServiceId, 'svc-1');
});

test('AKDB: no extension, another extension, or a RequestedAttribute without Name', (t) => {
  t.is(akdbOf(''), undefined);
  t.is(akdbOf('<x:Other xmlns:x="urn:x"/>'), undefined);
  t.throws(() =>
    akdbOf(
      '<akdb:AuthenticationRequest Version="2"><akdb:RequestedAttributes><akdb:RequestedAttribute/></akdb:RequestedAttributes></akdb:AuthenticationRequest>',
    ),
  );
});

const identity: ReleasedIdentity = {
  accountId: 'a',
  loa: 'low',
  methods: ['pwd'],
  authnInstant: 0,
  attributes: {
    givenName: { value: 'Erika', loa: 'basic', source: 'self' },
    familyName: { value: 'Mustermann', loa: 'high', source: 'eid' },
    country: { value: 'D', loa: 'high', source: 'eid' },
    gender: { value: 'female', loa: 'basic', source: 'self' },
    doctoralDegree: { value: 'Dr.', loa: 'basic', source: 'self' },
    artisticName: { value: 'Künstlerin', loa: 'basic', source: 'self' },
  },
  pairwiseId: 'p-123',
  sessionIndex: 's',
};

test('attributes go out under their urn:oid names with their own trust level; the computed ones describe the login', (t) => {
  const list = samlAttributes(identity, 'all');
  const byName = Object.fromEntries(list.map((a) => [a.name, a]));
  t.deepEqual(byName['urn:oid:2.5.4.42'], {
    name: 'urn:oid:2.5.4.42',
    friendlyName: 'givenName',
    values: ['Erika'],
    trustLevel: 'UNTERGEORDNET',
  });
  t.is(byName['urn:oid:2.5.4.4']?.trustLevel, 'HOCH');
  t.deepEqual(byName['urn:oid:1.2.40.0.10.2.1.1.225599']?.values, ['DE'], 'an ICAO D becomes DE');
  t.deepEqual(byName['urn:oid:1.3.6.1.4.1.33592.1.3.5']?.values, ['2'], 'gender as ISO 5218');
  t.deepEqual(byName['urn:oid:0.9.2342.19200300.100.1.40']?.values, ['Dr.'], 'the doctoral degree as personalTitle');
  t.deepEqual(byName[OID.qaaLevel]?.values, ['STORK-QAA-Level-2']);
  t.deepEqual(byName[OID.provedBy]?.values, ['Benutzername']);
  t.deepEqual(byName[OID.bpk2]?.values, ['p-123']);
  t.false(
    list.some((a) => a.values.includes('Künstlerin')),
    'no catalogue entry, not sent',
  );
});

test('with a list of requested attributes only the computed ones named in it are added', (t) => {
  const names = samlAttributes(identity, new Set([OID.bpk2])).map((a) => a.name);
  t.true(names.includes(OID.bpk2));
  t.false(names.includes(OID.qaaLevel));
  t.false(names.includes(OID.provedBy));
});

test('AssertionProvedBy names the strongest method; the catalogue maps by Name', (t) => {
  t.is(provedBy(['pwd', 'eid']), 'eID');
  t.is(provedBy(['pwd']), 'Benutzername');
  t.is(provedBy(['upstream']), 'FINK');
  t.is(provedBy([]), undefined);
  t.is(hubAttributeOf('urn:oid:2.5.4.42'), 'givenName');
  t.is(hubAttributeOf('givenName'), undefined, 'never by FriendlyName');
  t.is(new Set(CATALOGUE.map((e) => e.name)).size, CATALOGUE.length);
});

import type { AttributeName } from '../../core/attributes.ts';
import type { ReleasedIdentity } from '../../core/authn-request.ts';
import type { AuthnMethod } from '../../core/identity.ts';
import { formatLoa } from '../../core/loa.ts';
import { ATTRNAME_FORMAT_URI, type SamlAttribute } from '../../core/saml/protocol.ts';

/**
 * The hub's attributes under the urn:oid names of the German account catalogue (BundID
 * interface description section 6; ../shared/reference/specs.md 1.4), NameFormat uri. Portals
 * match by Name, never by FriendlyName (sent for readability only). Notes:
 *
 * - doctoralDegree travels as personalTitle (urn:oid:0.9.2342.19200300.100.1.40), which is where
 *   BundID puts the "Doktorgrad" of the ID card.
 * - country is ISO 3166-1 alpha-2; an ICAO `D` from an eID becomes `DE`. nationality stays ICAO.
 * - gender is ISO 5218 (0 unknown, 1 male, 2 female, 9 not applicable).
 * - artisticName and issuingState have no entry in the catalogue and are not sent over SAML.
 * - postkorbHandle travels as legacyPostkorbHandle (urn:oid:2.5.4.18), the address of the
 *   citizen's Postkorb, with the session's level as its TrustLevel (the hub assigned it).
 * - Three values describe the login rather than the citizen and are computed: the level as
 *   EID-CITIZEN-QAA-LEVEL (always STORK, DECISIONS 3), AssertionProvedBy (Benutzername, eID,
 *   eIDAS, FINK; a passkey is written `Passkey`), and the per-portal pseudonym in bPK2 style
 *   (the stable random pairwise identifier of the account for the portal's sector).
 */

export interface CatalogueEntry {
  readonly name: string;
  readonly friendlyName: string;
  readonly hub?: AttributeName;
}

export const OID = {
  bpk2: 'urn:oid:1.3.6.1.4.1.25484.494450.3',
  qaaLevel: 'urn:oid:1.2.40.0.10.2.1.1.261.94',
  provedBy: 'urn:oid:1.3.6.1.4.1.25484.494450.2',
} as const;

export const CATALOGUE: readonly CatalogueEntry[] = [
  { name: 'urn:oid:2.5.4.42', friendlyName: 'givenName', hub: 'givenName' },
  { name: 'urn:oid:2.5.4.4', friendlyName: 'surname', hub: 'familyName' },
  { name: 'urn:oid:1.2.40.0.10.2.1.1.225566', friendlyName: 'birthName', hub: 'birthName' },
  { name: 'urn:oid:1.2.40.0.10.2.1.1.55', friendlyName: 'birthdate', hub: 'dateOfBirth' },
  { name: 'urn:oid:1.3.6.1.5.5.7.9.2', friendlyName: 'placeOfBirth', hub: 'placeOfBirth' },
  { name: 'urn:oid:2.5.4.16', friendlyName: 'postalAddress', hub: 'street' },
  { name: 'urn:oid:2.5.4.17', friendlyName: 'postalCode', hub: 'postalCode' },
  { name: 'urn:oid:2.5.4.7', friendlyName: 'localityName', hub: 'locality' },
  { name: 'urn:oid:1.2.40.0.10.2.1.1.225599', friendlyName: 'country', hub: 'country' },
  { name: 'urn:oid:1.2.40.0.10.2.1.1.225577', friendlyName: 'nationality', hub: 'nationality' },
  { name: 'urn:oid:1.3.6.1.4.1.33592.1.3.5', friendlyName: 'gender', hub: 'gender' },
  { name: 'urn:oid:0.9.2342.19200300.100.1.3', friendlyName: 'mail', hub: 'email' },
  { name: 'urn:oid:1.3.6.1.4.1.55605.70737875.1.1.1.7.1', friendlyName: 'DeMail', hub: 'deMail' },
  { name: 'urn:oid:0.9.2342.19200300.100.1.40', friendlyName: 'personalTitle', hub: 'doctoralDegree' },
  { name: 'urn:oid:1.2.40.0.10.2.1.1.552255', friendlyName: 'documentType', hub: 'documentType' },
  // The address of the citizen's Postkorb (a UUID), not a key of the citizen (specs 1.4).
  { name: 'urn:oid:2.5.4.18', friendlyName: 'legacyPostkorbHandle', hub: 'postkorbHandle' },
  { name: OID.bpk2, friendlyName: 'bPK2' },
  { name: OID.qaaLevel, friendlyName: 'EID-CITIZEN-QAA-LEVEL' },
  { name: OID.provedBy, friendlyName: 'AssertionProvedBy' },
];

const BY_NAME = new Map(CATALOGUE.map((e) => [e.name, e]));
const BY_HUB = new Map(CATALOGUE.filter((e) => e.hub).map((e) => [e.hub!, e]));

/** The computed attribute that carries a persistent identifier of the citizen (bPK2): only an account has one. */
export function isPersistentIdentifier(oid: string): boolean {
  return oid === OID.bpk2;
}

/** The hub attribute behind a urn:oid name, or undefined (computed or unknown). */
export function hubAttributeOf(oid: string): AttributeName | undefined {
  return BY_NAME.get(oid)?.hub;
}

export function isComputed(oid: string): boolean {
  const entry = BY_NAME.get(oid);
  return entry !== undefined && entry.hub === undefined;
}

const GENDER: Readonly<Record<string, string>> = {
  '0': '0',
  '1': '1',
  '2': '2',
  '9': '9',
  male: '1',
  m: '1',
  female: '2',
  f: '2',
  w: '2',
  unknown: '0',
  unspecified: '9',
  diverse: '9',
  d: '9',
  x: '9',
};

function outgoingValue(name: AttributeName, value: string): string | undefined {
  if (name === 'country') return value === 'D' ? 'DE' : value;
  if (name === 'gender') return GENDER[value.trim().toLowerCase()];
  return value;
}

const PROVED_BY: readonly [AuthnMethod, string][] = [
  ['eid', 'eID'],
  ['eidas', 'eIDAS'],
  ['upstream', 'FINK'],
  ['pass', 'Passkey'],
  ['pwd', 'Benutzername'],
];

/** The strongest method of the session, as AssertionProvedBy words it. */
export function provedBy(methods: readonly AuthnMethod[]): string | undefined {
  return PROVED_BY.find(([m]) => methods.includes(m))?.[1];
}

/**
 * The AttributeStatement's attributes: every released attribute with its own trust level, then
 * the computed ones the portal may have (`computed`: the requested computed names, or all when
 * the request named no attributes).
 */
export function samlAttributes(identity: ReleasedIdentity, computed: ReadonlySet<string> | 'all'): SamlAttribute[] {
  const out: SamlAttribute[] = [];
  const want = (oid: string): boolean => computed === 'all' || computed.has(oid);
  for (const entry of CATALOGUE) {
    if (entry.hub) {
      const v = identity.attributes[entry.hub];
      const value = v && outgoingValue(entry.hub, v.value);
      if (v && value !== undefined && value !== '') {
        // A value this hub assigned (the Postkorb handle) is as sure as the login that found the account.
        const level = v.source === 'hub' ? identity.loa : v.loa;
        out.push({ name: entry.name, friendlyName: entry.friendlyName, values: [value], trustLevel: formatLoa('akdb', level) });
      }
      continue;
    }
    if (!want(entry.name)) continue;
    const level = formatLoa('akdb', identity.loa);
    // FINK (specs 1.6): after a login through another state's account, bPK2 is the identifier
    // there with the prefix naming that account, when the portal may have it (released foreignId).
    // A temporary login has no persistent identifier (issue 9): bPK2 is absent (a foreign one is passed on).
    if (entry.name === OID.bpk2 && (identity.temporary !== true || identity.attributes.foreignId !== undefined)) {
      const value = identity.attributes.foreignId?.value ?? identity.pairwiseId;
      out.push({ name: entry.name, friendlyName: entry.friendlyName, values: [value], trustLevel: level });
    }
    if (entry.name === OID.qaaLevel) {
      out.push({ name: entry.name, friendlyName: entry.friendlyName, values: [formatLoa('stork', identity.loa)], trustLevel: level });
    }
    if (entry.name === OID.provedBy) {
      const word = provedBy(identity.methods);
      if (word) out.push({ name: entry.name, friendlyName: entry.friendlyName, values: [word], trustLevel: level });
    }
  }
  return out;
}

/** What the metadata offers. */
export function offeredAttributes(): { name: string; friendlyName: string; nameFormat: string }[] {
  return CATALOGUE.map((e) => ({ name: e.name, friendlyName: e.friendlyName, nameFormat: ATTRNAME_FORMAT_URI }));
}

export function catalogueEntryOf(name: AttributeName): CatalogueEntry | undefined {
  return BY_HUB.get(name);
}

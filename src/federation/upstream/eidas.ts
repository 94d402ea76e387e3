import type { EidasSettings, PartnerConfig } from '../../config/trust.ts';
import type { AttributeName, AttributeValue } from '../../core/attributes.ts';
import { EIDAS_ATTRIBUTES, EIDAS_NATURAL_PERSON_NS, PERSON_IDENTIFIER, type EidasAttribute } from '../../core/eidas.ts';
import { minLoa, type Loa } from '../../core/loa.ts';
import { el, textEl, type Xml } from '../../core/saml/build.ts';
import { ATTRNAME_FORMAT_URI, NAMEID_FORMAT } from '../../core/saml/protocol.ts';
import { elementChildren, parseXml, textOf, XmlRefusal } from '../../core/xml-read.ts';
import { mapLevel, requestedClassRef, type AssertedAttribute, type Mapped } from '../mapping.ts';
import type { UpstreamProfile } from './profile-types.ts';

/**
 * The connector towards the German eIDAS node (`kind: eidas`), per the eIDAS SAML Message Format
 * and Attribute Profile v1.2 (specs.md section 2):
 *
 * - The AuthnRequest (sent signed, by HTTP-POST, ForceAuthn="true", IsPassive="false") carries
 *   `eidas:SPType` and `eidas:RequestedAttributes`: PersonIdentifier, FamilyName, FirstName and
 *   DateOfBirth with isRequired="true", the optional natural-person attributes of the entry
 *   (BirthName, PlaceOfBirth, CurrentAddress, Gender by default) with isRequired="false"; a
 *   NameIDPolicy; RequestedAuthnContext Comparison="minimum" with the eIDAS LoA URI of the lowest
 *   level (from the entry's map) that reaches what the portal needs.
 * - The answer is validated like every partner's (validate.ts), then mapped here: the level by
 *   the entry's map (only the eIDAS URIs, each for its own level; `hub trust check` says so) and
 *   capped; the attributes by their Name (never FriendlyName) onto the hub's; CurrentAddress is
 *   base64 of an XML fragment (eIDAS attribute profile), decoded into street, postal code, town
 *   and country; Gender (Male/Female/Unspecified) into the hub's words.
 * - The identifier rule, explicit: the PersonIdentifier (`XX/DE/id`: issuing state, Germany,
 *   opaque id) keys the local federated account and is kept as `foreignId` with the entry's
 *   prefix (`EIDAS:ES/DE/…`). It is never released as PersonIdentifier: the FINK filter
 *   (FILTERED_FOREIGN_ATTRIBUTES) keeps that name out of every partner's map, and portals get the
 *   prefixed value only where they may have the foreign identifier (bPK2 / foreign_id). The
 *   issuing state from the identifier becomes `issuingState`.
 * - An answer without a mandatory attribute (absent, empty or unreadable) is refused before
 *   anything is linked or stored, naming what is missing.
 */

const MAX_VALUE = 500;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_ADDRESS_XML = 8 * 1024;

export const EIDAS_DEFAULTS: EidasSettings = {
  spType: 'public',
  nameIdFormat: 'persistent',
  optionalAttributes: ['BirthName', 'PlaceOfBirth', 'CurrentAddress', 'Gender'],
};

function settingsOf(partner: PartnerConfig): EidasSettings {
  return partner.eidas ?? EIDAS_DEFAULTS;
}

/** The natural-person attributes an entry requests: the mandatory four, then its optional ones. */
export function requestedEidasAttributes(settings: EidasSettings): EidasAttribute[] {
  return EIDAS_ATTRIBUTES.filter((a) => a.mandatory || (settings.optionalAttributes as readonly string[]).includes(a.key));
}

/** `<eidas:SPType>` and `<eidas:RequestedAttributes>` (eIDAS Message Format 2.3.2–2.3.3). */
export function eidasExtensions(settings: EidasSettings): Xml[] {
  return [
    textEl('eidas:SPType', { xmlns: ['eidas'] }, settings.spType),
    el(
      'eidas:RequestedAttributes',
      { xmlns: ['eidas'] },
      requestedEidasAttributes(settings).map((a) =>
        el('eidas:RequestedAttribute', {
          FriendlyName: a.friendlyName,
          Name: a.name,
          NameFormat: ATTRNAME_FORMAT_URI,
          isRequired: String(a.mandatory),
        }),
      ),
    ),
  ];
}

function clean(value: string): string {
  return value.normalize('NFC').replace(/\s+/g, ' ').trim().slice(0, MAX_VALUE);
}

function rawValue(a: AssertedAttribute | undefined): string | undefined {
  return a?.values.map((v) => v.trim()).find((v) => v !== '');
}

function firstValue(a: AssertedAttribute | undefined): string | undefined {
  return a?.values.map(clean).find((v) => v !== '');
}

export interface EidasAddress {
  readonly street?: string;
  readonly postalCode?: string;
  readonly locality?: string;
  readonly country?: string;
}

/**
 * CurrentAddress: base64 of an XML fragment of `eidas:` elements (namespace
 * http://eidas.europa.eu/attributes/naturalperson): LocatorDesignator (house number),
 * LocatorName, Thoroughfare (street), PostName (town), PostCode, CvaddressArea, PoBox,
 * AdminunitFirstline (country), AdminunitSecondline, FullCvaddress. Parsed strictly (no DOCTYPE,
 * size cap); undefined when it cannot be read.
 */
export function decodeCurrentAddress(base64: string): EidasAddress | undefined {
  const compact = base64.replace(/\s+/g, '');
  if (compact === '' || compact.length > MAX_ADDRESS_XML || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  const fragment = Buffer.from(compact, 'base64').toString('utf8');
  let root;
  try {
    root = parseXml(`<address xmlns:eidas="${EIDAS_NATURAL_PERSON_NS}">${fragment}</address>`, MAX_ADDRESS_XML * 2).documentElement;
  } catch (err) {
    if (err instanceof XmlRefusal) return undefined;
    return undefined;
  }
  if (!root) return undefined;
  const parts = new Map<string, string>();
  for (const e of elementChildren(root)) {
    if (e.namespaceURI !== EIDAS_NATURAL_PERSON_NS || e.localName === null) continue;
    const value = clean(textOf(e));
    if (value !== '' && !parts.has(e.localName)) parts.set(e.localName, value);
  }
  const streetName = parts.get('Thoroughfare');
  const number = parts.get('LocatorDesignator');
  const street = streetName !== undefined ? [streetName, number].filter(Boolean).join(' ') : parts.get('PoBox');
  const locality = parts.get('PostName') ?? parts.get('CvaddressArea');
  const country = parts.get('AdminunitFirstline');
  const out: { street?: string; postalCode?: string; locality?: string; country?: string } = {};
  if (street !== undefined) out.street = street;
  const postalCode = parts.get('PostCode');
  if (postalCode !== undefined) out.postalCode = postalCode;
  if (locality !== undefined) out.locality = locality;
  if (country !== undefined && /^[A-Za-z]{2}$/.test(country)) out.country = country.toUpperCase();
  if (Object.keys(out).length === 0) {
    const full = parts.get('FullCvaddress');
    return full === undefined ? undefined : { street: full };
  }
  return out;
}

const GENDER: Readonly<Record<string, string>> = { male: 'male', female: 'female', unspecified: 'unspecified' };

export function mapEidasAssertion(
  partner: PartnerConfig,
  asserted: { readonly classRef: string; readonly attributes: readonly AssertedAttribute[] },
): Mapped {
  const claimed = mapLevel(partner, asserted.classRef);
  if (claimed === undefined) return { ok: false, reason: 'unknown-level', classRef: asserted.classRef };
  const loa = minLoa(claimed, partner.loa.cap) as Loa;
  const byName = new Map<string, AssertedAttribute>();
  for (const a of asserted.attributes) if (!byName.has(a.name)) byName.set(a.name, a);
  const known = new Set(EIDAS_ATTRIBUTES.map((a) => a.name));
  const dropped = asserted.attributes.filter((a) => !known.has(a.name)).map((a) => a.name);

  const out: Partial<Record<AttributeName, AttributeValue>> = {};
  const put = (name: AttributeName, value: string | undefined): void => {
    if (value !== undefined && value !== '' && out[name] === undefined) out[name] = { value, loa, source: 'eidas' };
  };
  const missing: string[] = [];
  let identifier: string | undefined;
  for (const spec of EIDAS_ATTRIBUTES) {
    // CurrentAddress is base64 (longer than a plain value may be); it is decoded, then cleaned.
    const value = spec.hub === 'address' ? rawValue(byName.get(spec.name)) : firstValue(byName.get(spec.name));
    let usable = value !== undefined;
    if (value !== undefined) {
      switch (spec.hub) {
        case 'identifier':
          usable = PERSON_IDENTIFIER.test(value);
          if (usable) identifier = value;
          break;
        case 'dateOfBirth':
          usable = ISO_DATE.test(value);
          if (usable) put('dateOfBirth', value);
          break;
        case 'address': {
          const address = decodeCurrentAddress(value);
          usable = address !== undefined;
          if (address) {
            put('street', address.street);
            put('postalCode', address.postalCode);
            put('locality', address.locality);
            put('country', address.country);
          }
          break;
        }
        case 'gender': {
          const word = GENDER[value.toLowerCase()];
          usable = word !== undefined;
          put('gender', word);
          break;
        }
        default:
          put(spec.hub, value);
      }
    }
    if (!usable) {
      if (spec.mandatory) missing.push(spec.friendlyName);
      else if (value !== undefined) dropped.push(spec.name);
    }
  }
  if (missing.length > 0 || identifier === undefined) return { ok: false, reason: 'missing-attributes', missing };
  const [, issuing] = PERSON_IDENTIFIER.exec(identifier) as RegExpExecArray;
  put('issuingState', issuing);
  out.foreignId = { value: `${partner.identifierPrefix}:${identifier}`, loa, source: 'eidas' };
  return { ok: true, claimed, loa, attributes: out, dropped, subject: identifier };
}

export const eidasProfile: UpstreamProfile = {
  kind: 'eidas',
  method: 'eidas',
  refusal(partner, loa) {
    return requestedClassRef(partner, loa) === undefined ? 'cap' : undefined;
  },
  plan(partner, ask) {
    const settings = settingsOf(partner);
    const classRef = requestedClassRef(partner, ask.loa);
    return {
      requestedAuthnContext: classRef === undefined ? undefined : { comparison: 'minimum', classRefs: [classRef] },
      nameIdFormat: NAMEID_FORMAT[settings.nameIdFormat],
      allowCreate: true,
      extensions: eidasExtensions(settings),
      forceAuthn: true,
      isPassive: false,
      binding: 'post',
    };
  },
  map(partner, assertion) {
    return mapEidasAssertion(partner, assertion);
  },
};

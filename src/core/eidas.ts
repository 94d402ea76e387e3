import type { AttributeName } from './attributes.ts';

/**
 * Facts of the eIDAS SAML profile the hub relies on (eIDAS SAML Message Format and Attribute
 * Profile v1.2; specs.md section 2), as data: the extension namespace, the natural-person
 * attributes with whether they belong to the mandatory minimum data set, and the hub attribute
 * each one becomes. Pure; the connector (src/federation/upstream/eidas.ts) and the trust schema
 * read it.
 */

export const EIDAS_EXTENSIONS_NS = 'http://eidas.europa.eu/saml-extensions';
/** The namespace of the CurrentAddress XML fragment (eIDAS attribute profile). */
export const EIDAS_NATURAL_PERSON_NS = 'http://eidas.europa.eu/attributes/naturalperson';
export const EIDAS_ATTRIBUTE_PREFIX = 'http://eidas.europa.eu/attributes/naturalperson/';

export type EidasAttributeKey =
  'PersonIdentifier' | 'FamilyName' | 'FirstName' | 'DateOfBirth' | 'BirthName' | 'PlaceOfBirth' | 'CurrentAddress' | 'Gender';

export interface EidasAttribute {
  readonly key: EidasAttributeKey;
  /** The attribute's Name (a URI); attributes are matched by it, never by FriendlyName. */
  readonly name: string;
  readonly friendlyName: string;
  /** Part of the minimum data set: requested with isRequired="true", and an answer without it is refused. */
  readonly mandatory: boolean;
  /** The hub attribute it becomes; CurrentAddress becomes street, postalCode, locality (and country), PersonIdentifier foreignId. */
  readonly hub: AttributeName | 'address' | 'identifier';
}

export const EIDAS_ATTRIBUTES: readonly EidasAttribute[] = [
  {
    key: 'PersonIdentifier',
    name: `${EIDAS_ATTRIBUTE_PREFIX}PersonIdentifier`,
    friendlyName: 'PersonIdentifier',
    mandatory: true,
    hub: 'identifier',
  },
  { key: 'FamilyName', name: `${EIDAS_ATTRIBUTE_PREFIX}CurrentFamilyName`, friendlyName: 'FamilyName', mandatory: true, hub: 'familyName' },
  { key: 'FirstName', name: `${EIDAS_ATTRIBUTE_PREFIX}CurrentGivenName`, friendlyName: 'FirstName', mandatory: true, hub: 'givenName' },
  { key: 'DateOfBirth', name: `${EIDAS_ATTRIBUTE_PREFIX}DateOfBirth`, friendlyName: 'DateOfBirth', mandatory: true, hub: 'dateOfBirth' },
  { key: 'BirthName', name: `${EIDAS_ATTRIBUTE_PREFIX}BirthName`, friendlyName: 'BirthName', mandatory: false, hub: 'birthName' },
  {
    key: 'PlaceOfBirth',
    name: `${EIDAS_ATTRIBUTE_PREFIX}PlaceOfBirth`,
    friendlyName: 'PlaceOfBirth',
    mandatory: false,
    hub: 'placeOfBirth',
  },
  {
    key: 'CurrentAddress',
    name: `${EIDAS_ATTRIBUTE_PREFIX}CurrentAddress`,
    friendlyName: 'CurrentAddress',
    mandatory: false,
    hub: 'address',
  },
  { key: 'Gender', name: `${EIDAS_ATTRIBUTE_PREFIX}Gender`, friendlyName: 'Gender', mandatory: false, hub: 'gender' },
];

export const EIDAS_OPTIONAL_KEYS = ['BirthName', 'PlaceOfBirth', 'CurrentAddress', 'Gender'] as const;
export type EidasOptionalKey = (typeof EIDAS_OPTIONAL_KEYS)[number];

export const EIDAS_SP_TYPES = ['public', 'private'] as const;

/**
 * A PersonIdentifier: `XX/YY/id`, the country that issued the eID, the country it is meant for,
 * and an opaque identifier (eIDAS Attribute Profile 2.2.3; e.g. `ES/DE/02635542Y`).
 */
export const PERSON_IDENTIFIER = /^([A-Z]{2})\/([A-Z]{2})\/([^\s/][^\s]{0,255})$/;

import type { Loa } from './loa.ts';

/**
 * The hub's own attribute names. Protocol edges map them to urn:oid names (SAML) or claims
 * (OIDC); nothing between the edges uses a foreign name. The address is kept as its four parts.
 */
export const ATTRIBUTE_NAMES = [
  'givenName',
  'familyName',
  'birthName',
  'dateOfBirth',
  'placeOfBirth',
  'street',
  'postalCode',
  'locality',
  'country',
  'nationality',
  'gender',
  'email',
  'deMail',
  'doctoralDegree',
  'artisticName',
  'documentType',
  'issuingState',
] as const;

export type AttributeName = (typeof ATTRIBUTE_NAMES)[number];

export function isAttributeName(value: string): value is AttributeName {
  return (ATTRIBUTE_NAMES as readonly string[]).includes(value);
}

/**
 * Where a value came from. Self-declared values stay `basic` whatever the session's level
 * (DECISIONS 2); values read from the ID card are `high`; a partner's values carry the level
 * the partner asserted, capped by its trust entry.
 */
export type AttributeSource = 'self' | 'eid' | 'eidas' | `upstream:${string}`;

export interface AttributeValue {
  readonly value: string;
  readonly loa: Loa;
  readonly source: AttributeSource;
}

export type Attributes = Readonly<Partial<Record<AttributeName, AttributeValue>>>;

/** A value the citizen typed in: always `basic`. */
export function selfDeclared(value: string): AttributeValue {
  return { value, loa: 'basic', source: 'self' };
}

/** The plain values, for forms and mails. */
export function attributeValues(attributes: Attributes): Partial<Record<AttributeName, string>> {
  const out: Partial<Record<AttributeName, string>> = {};
  for (const name of ATTRIBUTE_NAMES) {
    const v = attributes[name];
    if (v !== undefined) out[name] = v.value;
  }
  return out;
}

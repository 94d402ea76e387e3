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
  // The address of the account's Postkorb (src/mailbox), a random UUID; not personal data of the
  // citizen's, released to portals like an attribute (SAML legacyPostkorbHandle, urn:oid:2.5.4.18).
  'postkorbHandle',
  // The citizen's identifier in another state's account (FINK), prefixed with the name of that
  // account ("HH:…"); stored with a federated account and passed on as the foreign bPK2 is.
  'foreignId',
] as const;

export type AttributeName = (typeof ATTRIBUTE_NAMES)[number];

export function isAttributeName(value: string): value is AttributeName {
  return (ATTRIBUTE_NAMES as readonly string[]).includes(value);
}

/**
 * Where a value came from. Self-declared values stay `basic` whatever the session's level
 * (DECISIONS 2); values read from the ID card are `high`; a partner's values carry the level
 * the partner asserted, capped by its trust entry. `hub` values were assigned by this hub (the
 * Postkorb handle): they are as trustworthy as the login that identified the account, so they
 * travel with the level of the session that releases them (login.deliver).
 */
export type AttributeSource = 'self' | 'eid' | 'eidas' | 'hub' | `upstream:${string}`;

export interface AttributeValue {
  readonly value: string;
  readonly loa: Loa;
  readonly source: AttributeSource;
}

export type Attributes = Readonly<Partial<Record<AttributeName, AttributeValue>>>;

/**
 * Attributes only this hub assigns (the Postkorb handle of a local account). A value of one of
 * them from anywhere else (a partner's assertion) is never released: a federated account has no
 * handle here, and a partner's handle is not passed on.
 */
export const HUB_ASSIGNED_ATTRIBUTES: readonly AttributeName[] = ['postkorbHandle'];

/** Whether a value may be released under this name (see HUB_ASSIGNED_ATTRIBUTES). */
export function isReleasable(name: AttributeName, value: AttributeValue | undefined): value is AttributeValue {
  if (value === undefined) return false;
  return !HUB_ASSIGNED_ATTRIBUTES.includes(name) || value.source === 'hub';
}

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

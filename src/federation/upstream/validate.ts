import { createHash } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { SAML, SamlStatusError, ValidateInResponseTo, type CacheProvider, type Profile } from '@node-saml/node-saml';
import type { PartnerConfig } from '../../config/trust.ts';
import { HubError } from '../../core/errors.ts';
import { attr, childNamed, childrenNamed, elementChildren, is, parseDateTime, parseXml, textOf, XmlRefusal } from '../../core/xml-read.ts';
import type { IdpMetadata } from '../metadata/partner-metadata.ts';
import type { AssertedAttribute } from '../mapping.ts';
import { withPolicy, type PolicyScope } from './crypto-policy.ts';

/**
 * A partner's Response at the ACS. DECISIONS 9: @node-saml/node-saml validates it (signatures
 * with the keys from the partner's verified metadata, InResponseTo against the one request this
 * answer may belong to, the time windows with a small skew, the Audience, decryption with the
 * hub's keys); the hub's own checks then read only what node-saml returns and what it verified
 * (the profile, the assertion XML, the canonical XML of the signed Response), never the raw POST
 * again, beyond the guard before it (size, DOCTYPE and entities, comments and processing
 * instructions, which parsers disagree about).
 *
 * The hub's own checks: Issuer (response's and assertion's) is the partner; the signed Response
 * names this ACS as Destination; a bearer SubjectConfirmation with Recipient = this ACS,
 * InResponseTo = the request, NotOnOrAfter; Conditions with NotBefore/NotOnOrAfter and an
 * AudienceRestriction naming the hub; exactly one AuthnStatement (recent enough after a
 * ForceAuthn); a NameID (no EncryptedID); the partner's algorithm policy (crypto-policy.ts).
 */

export const MAX_RESPONSE_BASE64 = 1024 * 1024;
export const MAX_RESPONSE_XML = 768 * 1024;

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const AKDB = 'https://www.akdb.de/request/2018/09';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
export const CONSENT_EXPLICIT = 'urn:oasis:names:tc:SAML:2.0:consent:current-explicit';

export interface AcsSettings {
  readonly entityId: string;
  readonly acsUrl: string;
  readonly clockSkewMs: number;
  /** How long the request this answers may have been outstanding. */
  readonly requestLifetimeMs: number;
  /** The hub's decryption keys (PEM, PKCS#8): current first, then retired ones. */
  readonly decryptionKeys: readonly string[];
}

export interface PendingRequest {
  readonly id: string;
  readonly createdAt: number;
  readonly forceAuthn: boolean;
}

export interface ValidatedAssertion {
  readonly issuer: string;
  readonly assertionId: string;
  readonly nameId: string;
  readonly nameIdFormat: string | undefined;
  readonly nameQualifier: string | undefined;
  readonly spNameQualifier: string | undefined;
  readonly sessionIndex: string | undefined;
  readonly authnInstant: number;
  readonly classRef: string;
  readonly attributes: readonly AssertedAttribute[];
  /** When the assertion stops being usable (for the replay cache). */
  readonly notOnOrAfter: number;
  /** The signed Response said consent:current-explicit (DECISIONS 7). */
  readonly consentExplicit: boolean;
  /** Weak algorithms the partner's entry allowed and it used (to be logged as a warning). */
  readonly weakAlgorithms: readonly string[];
  readonly algorithms: { readonly signatures: readonly string[]; readonly encryption: readonly string[] };
}

/** The partner answered, but not with a login (a status other than Success): the citizen may try again. */
export class PartnerDeclined extends Error {
  constructor(readonly statusCode: string) {
    super(`the partner answered ${statusCode}`);
    this.name = 'PartnerDeclined';
  }
}

function invalid(partner: PartnerConfig, reason: string, detail?: string): never {
  throw new HubError('federation_response_invalid', `${partner.id}: ${detail ?? reason}`, { params: { partner: partner.name.de, reason } });
}

/** The guard before node-saml: size, and what parsers disagree about. It only ever refuses. */
export function guardResponse(base64: string): string {
  if (base64.length === 0) throw new HubError('federation_unsolicited', 'no SAMLResponse in the form');
  if (base64.length > MAX_RESPONSE_BASE64) throw new HubError('payload_too_large', 'SAMLResponse too large');
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(base64)) throw new HubError('bad_request', 'SAMLResponse is not base64');
  const xml = Buffer.from(base64.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (xml.length > MAX_RESPONSE_XML) throw new HubError('payload_too_large', 'SAMLResponse too large');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new HubError('bad_request', 'a SAMLResponse with a DOCTYPE is refused');
  if (xml.includes('<!--')) throw new HubError('bad_request', 'a SAMLResponse with an XML comment is refused');
  if (/<\?(?!xml[\s?])/i.test(xml)) throw new HubError('bad_request', 'a SAMLResponse with a processing instruction is refused');
  return xml;
}

/** node-saml's InResponseTo cache, knowing exactly one request: the one this answer may belong to. */
function oneRequest(request: PendingRequest): CacheProvider {
  return {
    saveAsync: async () => null,
    getAsync: async (key) => (key === request.id ? new Date(request.createdAt).toISOString() : null),
    // Single use is the store's business (the request row was consumed before this).
    removeAsync: async () => null,
  };
}

function reasonOf(err: unknown, scope: PolicyScope): { reason: string; unsolicited: boolean } {
  const message = (err as Error)?.message ?? String(err);
  if (scope.refusals.length > 0) return { reason: scope.refusals.join('; '), unsolicited: false };
  if (/InResponseTo/i.test(message)) return { reason: 'it answers no request of this browser (InResponseTo)', unsolicited: true };
  if (/signature/i.test(message))
    return { reason: 'the signature is missing or does not verify with a key from its metadata', unsolicited: false };
  if (/expired|not yet valid|NotOnOrAfter|NotBefore/i.test(message))
    return { reason: 'it is outside its validity period', unsolicited: false };
  // node-saml's words when no bearer SubjectConfirmationData is in time (NotOnOrAfter) or for this request.
  if (/subject confirmation/i.test(message))
    return {
      reason: 'no bearer confirmation names this endpoint and request in time (Recipient, InResponseTo, NotOnOrAfter)',
      unsolicited: false,
    };
  if (/audience/i.test(message)) return { reason: 'it is meant for another recipient (Audience)', unsolicited: false };
  if (/decrypt|encrypt|cipher|oaep/i.test(message) || scope.decryptFailed)
    return { reason: 'it cannot be decrypted with the keys of this hub', unsolicited: false };
  if (/multiple assertions|Missing SAML assertion|Invalid EncryptedAssertion/i.test(message))
    return { reason: 'it does not hold exactly one assertion', unsolicited: false };
  return { reason: 'it cannot be read', unsolicited: false };
}

function rootOf(xml: string): Element {
  return parseXml(xml, MAX_RESPONSE_XML * 2).documentElement!;
}

/** Runs node-saml with the partner's policy, trying the hub's decryption keys in turn. */
async function runNodeSaml(
  partner: PartnerConfig,
  metadata: IdpMetadata,
  settings: AcsSettings,
  request: PendingRequest,
  base64: string,
): Promise<{ profile: Profile; scope: PolicyScope }> {
  const keys = settings.decryptionKeys.length > 0 ? settings.decryptionKeys : [undefined];
  for (let i = 0; i < keys.length; i++) {
    const saml = new SAML({
      callbackUrl: settings.acsUrl,
      issuer: settings.entityId,
      audience: settings.entityId,
      idpCert: [...metadata.signingCertificates],
      ...(keys[i] !== undefined ? { decryptionPvk: keys[i] } : {}),
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: partner.requireSignedResponse,
      validateInResponseTo: ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: settings.requestLifetimeMs,
      cacheProvider: oneRequest(request),
      acceptedClockSkewMs: settings.clockSkewMs,
      disableRequestedAuthnContext: true,
    });
    const run = await withPolicy(partner.algorithms, () => saml.validatePostResponseAsync({ SAMLResponse: base64 }));
    if ('result' in run) {
      if (!run.result.profile) invalid(partner, 'it holds no login', 'no profile (NoPassive or a LogoutResponse)');
      return { profile: run.result.profile, scope: run.scope };
    }
    if (run.error instanceof SamlStatusError) {
      const code = /error: (\S+)/.exec(run.error.message)?.[1] ?? 'an error';
      throw new PartnerDeclined(code);
    }
    if (run.scope.decryptFailed && run.scope.refusals.length === 0 && i < keys.length - 1) continue; // a retired key may fit
    const { reason, unsolicited } = reasonOf(run.error, run.scope);
    if (unsolicited) throw new HubError('federation_unsolicited', `${partner.id}: ${(run.error as Error).message}`);
    invalid(partner, reason, (run.error as Error)?.message);
  }
  return invalid(partner, 'it cannot be decrypted with the keys of this hub');
}

function time(partner: PartnerConfig, value: string | undefined, what: string): number | undefined {
  try {
    return parseDateTime(value);
  } catch {
    return invalid(partner, `${what} is not a valid time`);
  }
}

/** Validates a Response and returns what the hub reads from it; HubError or PartnerDeclined otherwise. */
export async function validateResponse(
  partner: PartnerConfig,
  metadata: IdpMetadata,
  settings: AcsSettings,
  request: PendingRequest,
  base64: string,
  now: number,
): Promise<ValidatedAssertion> {
  const { profile, scope } = await runNodeSaml(partner, metadata, settings, request, base64);
  const skew = settings.clockSkewMs;
  try {
    // The signed Response, as node-saml verified it (absent when only the assertion is signed).
    let consentExplicit = false;
    const verifiedResponse = scope.signatures
      .flatMap((s) => s.signedXml)
      .map(rootOf)
      .find((r) => is(r, SAMLP, 'Response'));
    if (verifiedResponse) {
      if (attr(verifiedResponse, 'Destination') !== settings.acsUrl) {
        invalid(
          partner,
          'it is addressed to another endpoint (Destination)',
          `Destination ${attr(verifiedResponse, 'Destination') ?? '(none)'}`,
        );
      }
      if (attr(verifiedResponse, 'InResponseTo') !== request.id) invalid(partner, 'it answers another request (InResponseTo)');
      const issuer = childNamed(verifiedResponse, SAML_NS, 'Issuer');
      if (issuer && textOf(issuer).trim() !== metadata.entityId) invalid(partner, 'it was issued by someone else (Issuer)');
      consentExplicit = attr(verifiedResponse, 'Consent') === CONSENT_EXPLICIT;
    } else if (partner.requireSignedResponse) {
      invalid(partner, 'the Response is not signed');
    }

    const assertionXml = profile.getAssertionXml?.();
    if (assertionXml === undefined) invalid(partner, 'it does not hold an assertion');
    const assertion = rootOf(assertionXml);
    if (!is(assertion, SAML_NS, 'Assertion')) invalid(partner, 'it does not hold an assertion');
    const assertionId = attr(assertion, 'ID');
    if (!assertionId || assertionId.length > 256) invalid(partner, 'the assertion has no ID');
    const issuerEl = childNamed(assertion, SAML_NS, 'Issuer');
    if (!issuerEl || textOf(issuerEl).trim() !== metadata.entityId) invalid(partner, 'the assertion was issued by someone else (Issuer)');

    const subject = childNamed(assertion, SAML_NS, 'Subject');
    if (!subject) invalid(partner, 'the assertion names nobody (Subject)');
    if (childNamed(subject, SAML_NS, 'EncryptedID')) invalid(partner, 'an encrypted NameID is not supported');
    const nameIdEl = childNamed(subject, SAML_NS, 'NameID');
    const nameId = nameIdEl ? textOf(nameIdEl).trim() : '';
    if (nameId === '' || nameId.length > 1024) invalid(partner, 'the assertion has no usable NameID');

    const bearer = childrenNamed(subject, SAML_NS, 'SubjectConfirmation').filter((c) => attr(c, 'Method') === BEARER);
    const usable = bearer.filter((c) => {
      const data = childNamed(c, SAML_NS, 'SubjectConfirmationData');
      if (!data) return false;
      const notOnOrAfter = time(partner, attr(data, 'NotOnOrAfter'), 'SubjectConfirmationData/@NotOnOrAfter');
      const notBefore = time(partner, attr(data, 'NotBefore'), 'SubjectConfirmationData/@NotBefore');
      return (
        attr(data, 'Recipient') === settings.acsUrl &&
        attr(data, 'InResponseTo') === request.id &&
        notOnOrAfter !== undefined &&
        now < notOnOrAfter + skew &&
        (notBefore === undefined || notBefore <= now + skew)
      );
    });
    if (usable.length === 0) {
      invalid(partner, 'no bearer confirmation names this endpoint and request in time (Recipient, InResponseTo, NotOnOrAfter)');
    }
    const confirmationEnd = Math.max(
      ...usable.map((c) => time(partner, attr(childNamed(c, SAML_NS, 'SubjectConfirmationData')!, 'NotOnOrAfter'), 'NotOnOrAfter')!),
    );

    const conditions = childNamed(assertion, SAML_NS, 'Conditions');
    if (!conditions) invalid(partner, 'the assertion has no Conditions');
    const notBefore = time(partner, attr(conditions, 'NotBefore'), 'Conditions/@NotBefore');
    const notOnOrAfter = time(partner, attr(conditions, 'NotOnOrAfter'), 'Conditions/@NotOnOrAfter');
    if (notOnOrAfter === undefined) invalid(partner, 'the assertion has no end of validity (Conditions/@NotOnOrAfter)');
    if (now >= notOnOrAfter + skew) invalid(partner, 'it is outside its validity period');
    if (notBefore !== undefined && notBefore > now + skew) invalid(partner, 'it is outside its validity period');
    const restrictions = childrenNamed(conditions, SAML_NS, 'AudienceRestriction');
    if (restrictions.length === 0) invalid(partner, 'it is meant for no particular recipient (no AudienceRestriction)');
    for (const r of restrictions) {
      if (!childrenNamed(r, SAML_NS, 'Audience').some((a) => textOf(a).trim() === settings.entityId)) {
        invalid(partner, 'it is meant for another recipient (Audience)');
      }
    }

    const statements = childrenNamed(assertion, SAML_NS, 'AuthnStatement');
    if (statements.length !== 1) invalid(partner, 'it needs exactly one AuthnStatement');
    const statement = statements[0]!;
    const authnInstant = time(partner, attr(statement, 'AuthnInstant'), 'AuthnInstant');
    if (authnInstant === undefined) invalid(partner, 'the AuthnStatement has no AuthnInstant');
    if (request.forceAuthn && authnInstant < request.createdAt - skew)
      invalid(partner, 'the citizen was not authenticated anew (ForceAuthn)');
    const context = childNamed(statement, SAML_NS, 'AuthnContext');
    const classRefEl = context && childNamed(context, SAML_NS, 'AuthnContextClassRef');
    const classRef = classRefEl ? textOf(classRefEl).trim() : '';
    if (classRef === '') invalid(partner, 'the AuthnStatement names no level (AuthnContextClassRef)');

    const attributes: AssertedAttribute[] = [];
    for (const statement of childrenNamed(assertion, SAML_NS, 'AttributeStatement')) {
      for (const a of childrenNamed(statement, SAML_NS, 'Attribute')) {
        const name = attr(a, 'Name');
        if (!name) continue;
        const values: string[] = [];
        for (const v of childrenNamed(a, SAML_NS, 'AttributeValue')) {
          // A structured value (an element inside) is not a value the hub maps.
          if (elementChildren(v).length > 0) continue;
          // eIDAS: a non-Latin transliteration next to the Latin value is not taken.
          if (v.getAttribute('LatinScript') === 'false') continue;
          values.push(textOf(v));
        }
        const trust = a.getAttributeNS(AKDB, 'TrustLevel');
        attributes.push({ name, values, ...(trust ? { trustLevel: trust } : {}) });
      }
    }

    return {
      issuer: metadata.entityId,
      assertionId,
      nameId,
      nameIdFormat: nameIdEl ? attr(nameIdEl, 'Format') : undefined,
      nameQualifier: nameIdEl ? attr(nameIdEl, 'NameQualifier') : undefined,
      spNameQualifier: nameIdEl ? attr(nameIdEl, 'SPNameQualifier') : undefined,
      sessionIndex: attr(statement, 'SessionIndex') ?? profile.sessionIndex,
      authnInstant: Math.min(authnInstant, now),
      classRef,
      attributes,
      notOnOrAfter: Math.max(notOnOrAfter, confirmationEnd),
      consentExplicit,
      weakAlgorithms: [...new Set(scope.weakAllowed)],
      algorithms: {
        signatures: [...new Set(scope.signatures.map((s) => s.signatureAlgorithm))],
        encryption: [...new Set(scope.encryption)],
      },
    };
  } catch (err) {
    if (err instanceof XmlRefusal) invalid(partner, 'it cannot be read', err.message);
    throw err;
  }
}

/** The replay-cache key of an assertion (shared by all processes). */
export function assertionReplayKey(partnerEntityId: string, assertionId: string): string {
  return `saml:assertion:${createHash('sha256').update(`${partnerEntityId}\n${assertionId}`).digest('hex')}`;
}

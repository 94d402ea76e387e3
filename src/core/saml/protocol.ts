import { el, signable, textEl, type Child, type Signable, type Xml } from './build.ts';

/**
 * Builders for the SAML 2.0 protocol messages the hub sends (SAML Core sections 2 and 3), each in
 * exclusive canonical form and in schema order, ready for `signEnveloped()`: the signature goes
 * right after the Issuer. Times are epoch milliseconds, written as UTC xs:dateTime to the second.
 */

export const STATUS = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  requestDenied: 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied',
  noAuthnContext: 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext',
  noPassive: 'urn:oasis:names:tc:SAML:2.0:status:NoPassive',
  invalidNameIdPolicy: 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy',
  requestUnsupported: 'urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported',
  unsupportedBinding: 'urn:oasis:names:tc:SAML:2.0:status:UnsupportedBinding',
  partialLogout: 'urn:oasis:names:tc:SAML:2.0:status:PartialLogout',
  unknownPrincipal: 'urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal',
} as const;

export const NAMEID_FORMAT = {
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
} as const;

export const ATTRNAME_FORMAT_URI = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
export const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
export const CONSENT_CURRENT_EXPLICIT = 'urn:oasis:names:tc:SAML:2.0:consent:current-explicit';

export function samlTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export interface Status {
  readonly code: string;
  readonly subCode?: string | undefined;
  readonly message?: string | undefined;
}

export function status(s: Status): Xml {
  return el('samlp:Status', {}, [
    el('samlp:StatusCode', { Value: s.code }, [s.subCode !== undefined && el('samlp:StatusCode', { Value: s.subCode })]),
    s.message !== undefined && textEl('samlp:StatusMessage', {}, s.message),
  ]);
}

/** The Issuer of a protocol message declares `saml` (its parent only declares `samlp`). */
function messageIssuer(entityId: string): Xml {
  return textEl('saml:Issuer', { xmlns: ['saml'] }, entityId);
}

export interface NameIdSpec {
  readonly value: string;
  readonly format: string;
  readonly nameQualifier?: string | undefined;
  readonly spNameQualifier?: string | undefined;
}

function nameId(n: NameIdSpec, declare: boolean): Xml {
  return textEl(
    'saml:NameID',
    {
      ...(declare ? { xmlns: ['saml'] as const } : {}),
      Format: n.format,
      NameQualifier: n.nameQualifier,
      SPNameQualifier: n.spNameQualifier,
    },
    n.value,
  );
}

export interface SamlAttribute {
  readonly name: string;
  readonly friendlyName?: string | undefined;
  readonly values: readonly string[];
  /** akdb:TrustLevel of this attribute (BundID style). */
  readonly trustLevel?: string | undefined;
}

export function attribute(a: SamlAttribute): Xml {
  return el(
    'saml:Attribute',
    {
      ...(a.trustLevel !== undefined ? { xmlns: ['akdb'] as const } : {}),
      FriendlyName: a.friendlyName,
      Name: a.name,
      NameFormat: ATTRNAME_FORMAT_URI,
      'akdb:TrustLevel': a.trustLevel,
    },
    a.values.map((v) => textEl('saml:AttributeValue', {}, v.normalize('NFC'))),
  );
}

export interface AssertionSpec {
  readonly id: string;
  readonly issueInstant: number;
  readonly issuer: string;
  readonly nameId: NameIdSpec;
  readonly recipient: string;
  readonly inResponseTo?: string | undefined;
  readonly notBefore: number;
  readonly notOnOrAfter: number;
  readonly audience: string;
  readonly authnInstant: number;
  readonly sessionIndex: string;
  readonly authnContextClassRef: string;
  readonly attributes: readonly SamlAttribute[];
}

export function assertion(a: AssertionSpec): Signable {
  const confirmation = el('saml:SubjectConfirmation', { Method: BEARER }, [
    el('saml:SubjectConfirmationData', { InResponseTo: a.inResponseTo, NotOnOrAfter: samlTime(a.notOnOrAfter), Recipient: a.recipient }),
  ]);
  const after: Child[] = [
    el('saml:Subject', {}, [nameId(a.nameId, false), confirmation]),
    el('saml:Conditions', { NotBefore: samlTime(a.notBefore), NotOnOrAfter: samlTime(a.notOnOrAfter) }, [
      el('saml:AudienceRestriction', {}, [textEl('saml:Audience', {}, a.audience)]),
    ]),
    el('saml:AuthnStatement', { AuthnInstant: samlTime(a.authnInstant), SessionIndex: a.sessionIndex }, [
      el('saml:AuthnContext', {}, [textEl('saml:AuthnContextClassRef', {}, a.authnContextClassRef)]),
    ]),
    a.attributes.length > 0 && el('saml:AttributeStatement', {}, a.attributes.map(attribute)),
  ];
  return signable(
    'saml:Assertion',
    { xmlns: ['saml'], ID: a.id, IssueInstant: samlTime(a.issueInstant), Version: '2.0' },
    [textEl('saml:Issuer', {}, a.issuer)],
    after,
  );
}

export interface ResponseSpec {
  readonly id: string;
  readonly issueInstant: number;
  readonly issuer: string;
  readonly destination: string;
  readonly inResponseTo?: string | undefined;
  readonly consent?: string | undefined;
  readonly status: Status;
  /** A signed Assertion or an EncryptedAssertion. */
  readonly assertion?: Xml | undefined;
}

export function response(r: ResponseSpec): Signable {
  return signable(
    'samlp:Response',
    {
      xmlns: ['samlp'],
      Consent: r.consent,
      Destination: r.destination,
      ID: r.id,
      InResponseTo: r.inResponseTo,
      IssueInstant: samlTime(r.issueInstant),
      Version: '2.0',
    },
    [messageIssuer(r.issuer)],
    [status(r.status), r.assertion],
  );
}

export interface LogoutRequestSpec {
  readonly id: string;
  readonly issueInstant: number;
  readonly issuer: string;
  readonly destination: string;
  readonly notOnOrAfter?: number | undefined;
  readonly reason?: string | undefined;
  readonly nameId: NameIdSpec;
  readonly sessionIndexes: readonly string[];
}

export function logoutRequest(r: LogoutRequestSpec): Signable {
  return signable(
    'samlp:LogoutRequest',
    {
      xmlns: ['samlp'],
      Destination: r.destination,
      ID: r.id,
      IssueInstant: samlTime(r.issueInstant),
      NotOnOrAfter: r.notOnOrAfter === undefined ? undefined : samlTime(r.notOnOrAfter),
      Reason: r.reason,
      Version: '2.0',
    },
    [messageIssuer(r.issuer)],
    [nameId(r.nameId, true), ...r.sessionIndexes.map((s) => textEl('samlp:SessionIndex', {}, s))],
  );
}

export interface LogoutResponseSpec {
  readonly id: string;
  readonly issueInstant: number;
  readonly issuer: string;
  readonly destination: string;
  readonly inResponseTo: string;
  readonly status: Status;
}

export function logoutResponse(r: LogoutResponseSpec): Signable {
  return signable(
    'samlp:LogoutResponse',
    {
      xmlns: ['samlp'],
      Destination: r.destination,
      ID: r.id,
      InResponseTo: r.inResponseTo,
      IssueInstant: samlTime(r.issueInstant),
      Version: '2.0',
    },
    [messageIssuer(r.issuer)],
    [status(r.status)],
  );
}

export interface AuthnRequestSpec {
  readonly id: string;
  readonly issueInstant: number;
  readonly issuer: string;
  readonly destination: string;
  readonly assertionConsumerServiceUrl: string;
  readonly providerName?: string | undefined;
  readonly forceAuthn?: boolean | undefined;
  readonly isPassive?: boolean | undefined;
  /** Already built in canonical form (e.g. the AKDB extension). */
  readonly extensions?: readonly Xml[] | undefined;
  readonly nameIdFormat?: string | undefined;
  readonly allowCreate?: boolean | undefined;
  readonly requestedAuthnContext?: {
    readonly comparison: 'exact' | 'minimum' | 'better' | 'maximum';
    readonly classRefs: readonly string[];
  };
  /** Scoping/RequesterID: on whose behalf the request is made (the end portal, DECISIONS 7). */
  readonly requesterIds?: readonly string[] | undefined;
}

/**
 * An AuthnRequest (SAML Core 3.4.1) in schema order: Issuer, (Signature), Extensions,
 * NameIDPolicy, RequestedAuthnContext, Scoping. The response is asked for by HTTP-POST.
 */
export function authnRequest(r: AuthnRequestSpec): Signable {
  const after: Child[] = [
    r.extensions !== undefined && r.extensions.length > 0 && el('samlp:Extensions', {}, r.extensions),
    r.nameIdFormat !== undefined &&
      el('samlp:NameIDPolicy', { AllowCreate: r.allowCreate === undefined ? undefined : String(r.allowCreate), Format: r.nameIdFormat }),
    r.requestedAuthnContext !== undefined &&
      el(
        'samlp:RequestedAuthnContext',
        { Comparison: r.requestedAuthnContext.comparison },
        r.requestedAuthnContext.classRefs.map((c) => textEl('saml:AuthnContextClassRef', { xmlns: ['saml'] }, c)),
      ),
    r.requesterIds !== undefined &&
      r.requesterIds.length > 0 &&
      el(
        'samlp:Scoping',
        {},
        r.requesterIds.map((id) => textEl('samlp:RequesterID', {}, id)),
      ),
  ];
  return signable(
    'samlp:AuthnRequest',
    {
      xmlns: ['samlp'],
      AssertionConsumerServiceURL: r.assertionConsumerServiceUrl,
      Destination: r.destination,
      ForceAuthn: r.forceAuthn === undefined ? undefined : String(r.forceAuthn),
      ID: r.id,
      IsPassive: r.isPassive === undefined ? undefined : String(r.isPassive),
      IssueInstant: samlTime(r.issueInstant),
      ProtocolBinding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
      ProviderName: r.providerName,
      Version: '2.0',
    },
    [messageIssuer(r.issuer)],
    after,
  );
}

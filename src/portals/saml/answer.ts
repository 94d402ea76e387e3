import { randomBytes } from 'node:crypto';
import type { PortalConfig } from '../../config/portals.ts';
import type { LoginFailure, LoginOutcome } from '../../core/authn-request.ts';
import type { Loa } from '../../core/loa.ts';
import { samlAttributes } from './attributes.ts';
import { classRef, statedLevel } from './requested-level.ts';
import type { ServiceProvider } from './sp-metadata.ts';
import type { SamlRequestEdge } from './sso.ts';
import { newMessageId } from './sso.ts';
import { encryptAssertion } from './xml/encrypt.ts';
import { assertion, CONSENT_CURRENT_EXPLICIT, NAMEID_FORMAT, response, STATUS, type Status } from '../../core/saml/protocol.ts';
import { signEnveloped, type SigningKey } from '../../core/saml/sign.ts';
import { unsigned, type Xml } from '../../core/saml/build.ts';

/**
 * The Response to a portal: on success a signed Assertion (encrypted when the portal's metadata
 * has an encryption key and its entry asks for it) inside a Response signed per `signResponse`;
 * on failure a signed Response with the status that says why.
 */

export interface AnswerSettings {
  readonly entityId: string;
  readonly assertionLifetimeMs: number;
  readonly clockSkewMs: number;
  readonly signingKey: SigningKey;
}

const FAILURE_STATUS: Readonly<Record<LoginFailure, Status>> = {
  access_denied: { code: STATUS.responder, subCode: STATUS.requestDenied, message: 'The citizen did not consent or cancelled.' },
  attribute_unavailable: { code: STATUS.responder, subCode: STATUS.requestDenied, message: 'A required attribute is not available.' },
  unmet_authentication_requirements: {
    code: STATUS.responder,
    subCode: STATUS.noAuthnContext,
    message: 'The requested level of assurance cannot be reached.',
  },
  login_required: {
    code: STATUS.responder,
    subCode: STATUS.noPassive,
    message: 'The citizen is not logged in and the request was passive.',
  },
};

export interface Answer {
  /** The signed Response XML (base64 goes into the form). */
  readonly xml: Xml;
  /** What single logout needs later (success only). */
  readonly participation?: { readonly sp: string; readonly nameId: string; readonly nameIdFormat: string };
}

export function errorResponse(settings: AnswerSettings, edge: SamlRequestEdge, status: Status, now: number): Xml {
  const r = response({
    id: newMessageId(),
    issueInstant: now,
    issuer: settings.entityId,
    destination: edge.acs,
    inResponseTo: edge.inResponseTo,
    status,
  });
  return signEnveloped(r, settings.signingKey);
}

export function buildAnswer(
  settings: AnswerSettings,
  portal: PortalConfig,
  sp: ServiceProvider,
  edge: SamlRequestEdge,
  outcome: LoginOutcome,
  now: number,
): Answer {
  if (!outcome.ok) return { xml: errorResponse(settings, edge, FAILURE_STATUS[outcome.error], now) };
  const identity = outcome.identity;
  const stated: Loa | undefined = statedLevel({ ok: true, ...edge.level }, identity.loa);
  if (stated === undefined) return { xml: errorResponse(settings, edge, FAILURE_STATUS.unmet_authentication_requirements, now) };

  // A temporary login (issue 9) has no identifier that outlives it: always a transient NameID.
  const transient = edge.nameIdFormat === 'transient' || identity.temporary === true;
  const nameId = {
    value: transient ? `_${randomBytes(20).toString('hex')}` : identity.pairwiseId,
    format: transient ? NAMEID_FORMAT.transient : NAMEID_FORMAT.persistent,
    nameQualifier: settings.entityId,
    spNameQualifier: sp.entityId,
  };
  const notOnOrAfter = now + settings.assertionLifetimeMs;
  const signedAssertion = signEnveloped(
    assertion({
      id: newMessageId(),
      issueInstant: now,
      issuer: settings.entityId,
      nameId,
      recipient: edge.acs,
      inResponseTo: edge.inResponseTo,
      // A little room for a portal whose clock runs behind.
      notBefore: now - Math.min(settings.clockSkewMs, 60_000),
      notOnOrAfter,
      audience: sp.entityId,
      authnInstant: identity.authnInstant,
      sessionIndex: identity.sessionIndex,
      authnContextClassRef: classRef(edge.level.vocabulary, stated),
      attributes: samlAttributes(identity, edge.computed === 'all' ? 'all' : new Set(edge.computed)),
    }),
    settings.signingKey,
  );
  const encrypt = portal.saml?.encryptAssertion !== false && sp.encryption !== undefined;
  const r = response({
    id: newMessageId(),
    issueInstant: now,
    issuer: settings.entityId,
    destination: edge.acs,
    inResponseTo: edge.inResponseTo,
    consent: CONSENT_CURRENT_EXPLICIT,
    status: { code: STATUS.success },
    assertion: encrypt ? encryptAssertion(signedAssertion, sp.encryption!) : signedAssertion,
  });
  const xml = portal.saml?.signResponse === false ? unsigned(r) : signEnveloped(r, settings.signingKey);
  return { xml, participation: { sp: sp.entityId, nameId: nameId.value, nameIdFormat: nameId.format } };
}

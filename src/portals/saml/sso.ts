import { createHash, randomBytes } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import type { PortalConfig, PortalRegistry } from '../../config/portals.ts';
import type { AttributeName } from '../../core/attributes.ts';
import type { AuthnRequestContext, RequestedAttribute } from '../../core/authn-request.ts';
import { HubError } from '../../core/errors.ts';
import { newRequestId } from '../../login/requests.ts';
import type { Queryable } from '../../store/db.ts';
import { remember } from '../../store/replay.ts';
import { readAkdb } from './akdb.ts';
import { hubAttributeOf, isComputed, isPersistentIdentifier } from './attributes.ts';
import { verifyRedirectSignature, type RedirectMessage } from '../../core/saml/redirect-binding.ts';
import { isComparison, planLevel, type AnswerVocabulary, type Comparison } from './requested-level.ts';
import type { ServiceProvider, SpIndex } from './sp-metadata.ts';
import { NS } from '../../core/saml/build.ts';
import { BINDING } from '../../core/saml/metadata.ts';
import { attr, childNamed, childrenNamed, is, parseBoolean, parseDateTime, parseXml, textOf, XmlRefusal } from '../../core/xml-read.ts';
import { NAMEID_FORMAT, STATUS, type Status } from '../../core/saml/protocol.ts';
import { verifyRootSignature } from '../../core/saml/verify.ts';
import type { Loa } from '../../core/loa.ts';

/**
 * Single sign-on: reading an AuthnRequest (either binding) in two stages.
 *
 * `acceptMessage` decides whether the request can be trusted at all: one parse (size cap, no
 * DOCTYPE), Issuer = an enabled portal with unexpired metadata, the signature (required when the
 * portal or its metadata says so) against the portal's pinned keys only, Version, ID,
 * Destination, IssueInstant within the allowed age and skew, the ACS (by URL or index) from the
 * metadata, and last the request ID in the shared replay cache. Any failure there is a HubError
 * (an error page) and changes nothing.
 *
 * `interpret` then reads what the portal asks for (NameIDPolicy, RequestedAuthnContext,
 * ForceAuthn/IsPassive, the AKDB extension when signed). Problems from here on are answered to
 * the trusted ACS as a SAML error Response.
 */

export const MAX_REQUEST_XML_CHARS = 48 * 1024;

export interface SsoSettings {
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly clockSkewMs: number;
  readonly maxAgeMs: number;
}

export interface SsoDeps {
  readonly index: () => SpIndex;
  readonly portals: () => PortalRegistry;
  readonly db: Queryable;
  readonly settings: SsoSettings;
}

export type IncomingRequest =
  | { readonly binding: 'redirect'; readonly message: RedirectMessage }
  | { readonly binding: 'post'; readonly xml: string; readonly relayState: string | undefined };

export interface TrustedRequest {
  readonly sp: ServiceProvider;
  readonly portal: PortalConfig;
  readonly root: Element;
  readonly id: string;
  readonly acs: string;
  readonly relayState: string | undefined;
  readonly signed: boolean;
  readonly issuedAt: number;
}

/** What the SAML edge keeps in `AuthnRequestContext.edge` (JSON). */
export interface SamlRequestEdge {
  readonly sp: string;
  readonly acs: string;
  readonly inResponseTo: string;
  readonly relayState?: string;
  readonly nameIdFormat: 'persistent' | 'transient';
  readonly level: { readonly minLoa: Loa; readonly vocabulary: AnswerVocabulary; readonly allowed?: readonly Loa[]; readonly cap?: Loa };
  /** Computed attributes (pseudonym, level, method) to send: 'all' or the requested urn:oid names. */
  readonly computed: readonly string[] | 'all';
  readonly [key: string]: unknown;
}

function invalid(detail: string): never {
  throw new HubError('saml_request_invalid', detail);
}

/** Runs XML reading, mapping its refusals to error pages. */
export function readingXml<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof XmlRefusal) {
      if (err.kind === 'too-large') throw new HubError('payload_too_large', err.message);
      throw new HubError('saml_request_invalid', err.message);
    }
    throw err;
  }
}

export function replayKey(kind: string, issuer: string, id: string): string {
  return `saml:${kind}:${createHash('sha256').update(`${issuer}\n${id}`).digest('hex')}`;
}

/** Checks common to every incoming protocol message before its content is read. */
export function checkEnvelope(
  root: Element,
  options: { destination: string; now: number; clockSkewMs: number; maxAgeMs: number; signed: boolean },
): { id: string; issuedAt: number } {
  if (attr(root, 'Version') !== '2.0') invalid(`Version ${attr(root, 'Version') ?? '(none)'} is not 2.0`);
  const id = attr(root, 'ID');
  if (!id || id.length > 256 || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(id)) invalid('ID is missing or not an xs:ID');
  const destination = attr(root, 'Destination');
  if (destination === undefined && options.signed) invalid('a signed message must name its Destination');
  if (destination !== undefined && destination !== options.destination) invalid(`Destination ${destination} is not ${options.destination}`);
  const issuedAt = parseDateTime(attr(root, 'IssueInstant'));
  if (issuedAt === undefined) invalid('IssueInstant is missing');
  if (issuedAt > options.now + options.clockSkewMs) invalid('IssueInstant lies in the future');
  if (issuedAt < options.now - options.maxAgeMs - options.clockSkewMs) invalid('IssueInstant is too old');
  return { id, issuedAt };
}

/** The Issuer's portal, when it is known, enabled and its metadata valid. */
export function senderOf(
  root: Element,
  deps: Pick<SsoDeps, 'index' | 'portals'>,
  now: number,
): { sp: ServiceProvider; portal: PortalConfig } {
  const issuerEl = childNamed(root, NS.saml, 'Issuer');
  if (!issuerEl) invalid('the message has no Issuer');
  const format = attr(issuerEl, 'Format');
  if (format !== undefined && format !== 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity') invalid(`Issuer Format ${format}`);
  const issuer = textOf(issuerEl).trim();
  const sp = deps.index().byEntityId(issuer);
  const portal = sp && deps.portals().byId(sp.portalId);
  if (!sp || !portal || !portal.saml) throw new HubError('saml_unknown_sp', `no SAML portal has the entityID ${issuer.slice(0, 200)}`);
  if (!portal.enabled) throw new HubError('saml_unknown_sp', `portal ${portal.id} is disabled`);
  if (sp.validUntil !== undefined && sp.validUntil <= now)
    throw new HubError('saml_unknown_sp', `the metadata of portal ${portal.id} has expired`);
  return { sp, portal };
}

function assertionConsumer(root: Element, sp: ServiceProvider): string {
  const url = attr(root, 'AssertionConsumerServiceURL');
  const index = attr(root, 'AssertionConsumerServiceIndex');
  const binding = attr(root, 'ProtocolBinding');
  function refuse(detail: string): never {
    throw new HubError('saml_acs_not_registered', detail);
  }
  if (url !== undefined && index !== undefined) refuse('AssertionConsumerServiceURL and AssertionConsumerServiceIndex together');
  if (binding !== undefined && binding !== BINDING.post) refuse(`ProtocolBinding ${binding}: the hub answers by HTTP-POST only`);
  const post = sp.assertionConsumers.filter((a) => a.binding === BINDING.post);
  if (url !== undefined) {
    if (!post.some((a) => a.location === url)) refuse(`${url} is not an HTTP-POST AssertionConsumerService of ${sp.entityId}`);
    return url;
  }
  if (index !== undefined) {
    const found = /^\d{1,5}$/.test(index) ? sp.assertionConsumers.find((a) => a.index === Number(index)) : undefined;
    if (!found || found.binding !== BINDING.post)
      refuse(`AssertionConsumerServiceIndex ${index} is not an HTTP-POST endpoint of ${sp.entityId}`);
    return found.location;
  }
  const chosen = post.find((a) => a.isDefault === true) ?? post.find((a) => a.isDefault !== false) ?? post[0];
  if (!chosen) refuse(`${sp.entityId} has no HTTP-POST AssertionConsumerService`);
  return chosen.location;
}

/** Stage one: may this request be answered at all? Records its ID as used when it may. */
export async function acceptAuthnRequest(deps: SsoDeps, incoming: IncomingRequest, now: number): Promise<TrustedRequest> {
  const s = deps.settings;
  const xml = incoming.binding === 'redirect' ? incoming.message.xml : incoming.xml;
  const checked = readingXml(() => {
    const root = parseXml(xml, MAX_REQUEST_XML_CHARS).documentElement!;
    if (!is(root, NS.samlp, 'AuthnRequest')) invalid(`expected an AuthnRequest, got ${root.localName}`);
    const { sp, portal } = senderOf(root, deps, now);
    const state =
      incoming.binding === 'redirect'
        ? verifyRedirectSignature(incoming.message, sp.signingKeys)
        : verifyRootSignature(root, sp.signingKeys);
    if (state === 'unsigned' && sp.requireSignedRequests) {
      throw new HubError('saml_signature_invalid', `portal ${portal.id} requires signed AuthnRequests; this one is unsigned`);
    }
    const signed = state === 'valid';
    const { id, issuedAt } = checkEnvelope(root, { destination: s.ssoUrl, now, clockSkewMs: s.clockSkewMs, maxAgeMs: s.maxAgeMs, signed });
    const acs = assertionConsumer(root, sp);
    return { sp, portal, root, id, acs, signed, issuedAt };
  });
  const relayState = incoming.binding === 'redirect' ? incoming.message.relayState : incoming.relayState;
  const fresh = await remember(
    deps.db,
    replayKey('authn', checked.sp.entityId, checked.id),
    checked.issuedAt + s.maxAgeMs + 2 * s.clockSkewMs,
    now,
  );
  if (!fresh) throw new HubError('saml_replay', `AuthnRequest ${checked.id} of ${checked.sp.entityId} was already used`);
  return { ...checked, relayState };
}

export type Interpretation =
  { readonly ok: true; readonly context: AuthnRequestContext } | { readonly ok: false; readonly status: Status; readonly detail: string };

function failure(code: string, subCode: string, message: string): Interpretation {
  return { ok: false, status: { code, subCode, message }, detail: message };
}

/** Stage two: what the trusted request asks for, as the hub's AuthnRequestContext. */
export function interpretAuthnRequest(t: TrustedRequest, now: number): Interpretation {
  try {
    return interpret(t, now);
  } catch (err) {
    if (err instanceof XmlRefusal) return failure(STATUS.requester, STATUS.requestUnsupported, err.message);
    throw err;
  }
}

function interpret(t: TrustedRequest, now: number): Interpretation {
  const { root, sp, portal } = t;
  const saml = portal.saml!;

  let nameIdFormat: 'persistent' | 'transient' = saml.nameIdFormat;
  const policy = childNamed(root, NS.samlp, 'NameIDPolicy');
  if (policy) {
    const format = attr(policy, 'Format');
    if (format === NAMEID_FORMAT.persistent) nameIdFormat = 'persistent';
    else if (format === NAMEID_FORMAT.transient) nameIdFormat = 'transient';
    else if (format !== undefined && format !== NAMEID_FORMAT.unspecified) {
      return failure(STATUS.requester, STATUS.invalidNameIdPolicy, `NameID format ${format} is not offered (persistent, transient)`);
    }
    const qualifier = attr(policy, 'SPNameQualifier');
    if (qualifier !== undefined && qualifier !== sp.entityId) {
      return failure(STATUS.requester, STATUS.invalidNameIdPolicy, 'SPNameQualifier other than the requester is not supported');
    }
  }

  const forceAuthn = parseBoolean(attr(root, 'ForceAuthn'), false);
  const isPassive = parseBoolean(attr(root, 'IsPassive'), false);

  let request: { comparison: Comparison; classRefs: string[] } | undefined;
  const requested = childNamed(root, NS.samlp, 'RequestedAuthnContext');
  if (requested) {
    const comparison = attr(requested, 'Comparison') ?? 'exact';
    if (!isComparison(comparison)) return failure(STATUS.requester, STATUS.requestUnsupported, `Comparison ${comparison}`);
    if (childrenNamed(requested, NS.saml, 'AuthnContextDeclRef').length > 0) {
      return failure(STATUS.responder, STATUS.noAuthnContext, 'AuthnContextDeclRef is not supported');
    }
    request = { comparison, classRefs: childrenNamed(requested, NS.saml, 'AuthnContextClassRef').map(textOf) };
  }
  const plan = planLevel(portal.minLoa, request);
  if (!plan.ok) return failure(STATUS.responder, STATUS.noAuthnContext, plan.reason);

  let requestedAttributes: RequestedAttribute[] | undefined;
  let computed: string[] | 'all' = 'all';
  let allowedMethods: readonly string[] | undefined;
  let organizationDisplayName: string | undefined;
  let needsAccount = false;
  // The AKDB extension counts only in a signed request (BundID interface description 9).
  const akdb = t.signed ? readAkdb(childNamed(root, NS.samlp, 'Extensions')) : undefined;
  if (akdb && akdb.version === '2') {
    if (akdb.requestedAttributes) {
      const hub = new Map<AttributeName, boolean>();
      computed = [];
      for (const a of akdb.requestedAttributes) {
        const name = hubAttributeOf(a.name);
        if (name) hub.set(name, (hub.get(name) ?? false) || a.required);
        else if (isComputed(a.name)) {
          computed.push(a.name);
          // A persistent identifier asked for as required needs an account: no temporary login (issue 9).
          if (a.required && isPersistentIdentifier(a.name)) needsAccount = true;
        } else if (a.required)
          return failure(STATUS.responder, STATUS.requestDenied, `the required attribute ${a.name} is not available here`);
      }
      requestedAttributes = [...hub].map(([name, required]) => ({ name, required }));
    }
    allowedMethods = akdb.authnMethods;
    organizationDisplayName = akdb.organizationDisplayName;
    if (akdb.backUrl !== undefined) {
      let origin: string | undefined;
      try {
        origin = new URL(akdb.backUrl).origin;
      } catch {
        origin = undefined;
      }
      if (origin === undefined || !sp.origins.has(origin)) {
        return failure(STATUS.requester, STATUS.requestDenied, 'BackURL is not at an origin of a registered AssertionConsumerService');
      }
    }
  }

  const edge: SamlRequestEdge = {
    sp: sp.entityId,
    acs: t.acs,
    inResponseTo: t.id,
    ...(t.relayState !== undefined ? { relayState: t.relayState } : {}),
    nameIdFormat,
    level: {
      minLoa: plan.minLoa,
      vocabulary: plan.vocabulary,
      ...(plan.allowed ? { allowed: plan.allowed } : {}),
      ...(plan.cap ? { cap: plan.cap } : {}),
    },
    computed,
  };
  return {
    ok: true,
    context: {
      id: newRequestId(),
      portalId: portal.id,
      protocol: 'saml',
      minLoa: plan.minLoa,
      requestedAttributes,
      forceAuthn,
      isPassive,
      ...(organizationDisplayName !== undefined ? { organizationDisplayName } : {}),
      ...(allowedMethods !== undefined ? { allowedMethods } : {}),
      ...(needsAccount ? { needsAccount: true } : {}),
      edge,
      createdAt: now,
    },
  };
}

export function newMessageId(): string {
  return `_${randomBytes(20).toString('hex')}`;
}

import { inflateRawSync } from 'node:zlib';
import type { Logger } from 'pino';
import type { HubKeys } from '../../config/keys.ts';
import type { PortalRegistry, TrustReloadParticipant } from '../../config/portals.ts';
import type { HubConfig } from '../../config/schema.ts';
import type { AuthnRequestContext, LoginOutcome } from '../../core/authn-request.ts';
import type { Clock } from '../../core/clock.ts';
import { SECOND } from '../../core/clock.ts';
import { HubError } from '../../core/errors.ts';
import type { Login, LogoutInitiator, LogoutNotice, Participation, PortalEdge } from '../../login/login.ts';
import type { Db } from '../../store/db.ts';
import { remember } from '../../store/replay.ts';
import type { HubRouter } from '../../web/app.ts';
import type { HubContext } from '../../web/context.ts';
import { fmt } from '../../web/i18n.ts';
import { buildAnswer, errorResponse, type AnswerSettings } from './answer.ts';
import { samlText } from './messages.ts';
import { MetadataPublisher, metadataSettings, type IdpEndpoints } from './metadata-publisher.ts';
import { renderAutoPost, renderContinue } from './post-form.ts';
import {
  decodeUtf8,
  MAX_RELAY_STATE_BYTES,
  readRedirect,
  redirectUrl,
  verifyRedirectSignature,
  type MessageKind,
  type RedirectMessage,
} from '../../core/saml/redirect-binding.ts';
import { SpIndex, type ServiceProvider } from './sp-metadata.ts';
import {
  acceptAuthnRequest,
  checkEnvelope,
  interpretAuthnRequest,
  MAX_REQUEST_XML_CHARS,
  newMessageId,
  readingXml,
  replayKey,
  senderOf,
  type IncomingRequest,
  type SamlRequestEdge,
  type SsoDeps,
} from './sso.ts';
import { NS } from '../../core/saml/build.ts';
import { BINDING } from '../../core/saml/metadata.ts';
import { attr, childNamed, childrenNamed, is, parseDateTime, parseXml, textOf } from '../../core/xml-read.ts';
import { logoutRequest, logoutResponse, STATUS, type Status } from '../../core/saml/protocol.ts';
import { unsigned, type Signable } from '../../core/saml/build.ts';
import { signEnveloped } from '../../core/saml/sign.ts';

/**
 * The SAML 2.0 IdP edge for portals: metadata, single sign-on (HTTP-Redirect and HTTP-POST in,
 * HTTP-POST out) and single logout (HTTP-Redirect both ways). It turns requests into
 * `AuthnRequestContext`s for the one login path and answers through the `PortalEdge` interface
 * that `login` calls; it imports no other edge.
 *
 *   GET  /saml/metadata   signed EntityDescriptor (cached, re-signed before it expires)
 *   GET  /saml/sso        AuthnRequest by HTTP-Redirect
 *   POST /saml/sso        AuthnRequest by HTTP-POST
 *   GET  /saml/slo        LogoutRequest from a portal, or a portal's LogoutResponse
 */

export interface SamlEdgeOptions {
  readonly login: Login;
  readonly portals: () => PortalRegistry;
  readonly db: Db;
  readonly clock: Clock;
  readonly keys: HubKeys;
  readonly log: Logger;
  readonly config: HubConfig;
  readonly production: boolean;
  /** The broker's SP endpoints (src/federation), published in the same metadata (DECISIONS 12). */
  readonly sp?: { readonly acsUrl: string; readonly sloUrl: string } | undefined;
}

/** Session key of a LogoutRequest the hub sent to a portal and awaits the answer to. */
const PENDING_LOGOUT = 'samlLogoutPending';

interface PendingLogout {
  readonly id: string;
  readonly sp: string;
  readonly at: number;
  /** The LogoutRequest went by HTTP-POST: the portal's answer arrives in a navigation a form started. */
  readonly byForm?: boolean;
}

/** Session key of a logout message waiting for /saml/slo/weiter: a form to post, or a URL to go on to. */
const PENDING_POST = 'samlLogoutPost';

interface StoredPost {
  readonly action: string;
  readonly fields: Readonly<Record<string, string | undefined>>;
  readonly portalId: string;
}

/** An HTTP-Redirect logout message that must leave the hub from a page (see `leavesByPage`). */
interface StoredRedirect {
  readonly url: string;
  readonly portalId: string;
}

interface LogoutEndpoint {
  readonly binding: 'redirect' | 'post';
  readonly location: string;
  readonly responseLocation: string;
}

type Outgoing = { readonly url: string; readonly post?: undefined } | { readonly url?: undefined; readonly post: StoredPost };

interface ParticipationData {
  readonly sp?: string;
  readonly nameId?: string;
  readonly nameIdFormat?: string;
}

type InitiatorData = {
  readonly sp: string;
  readonly inResponseTo: string;
  readonly relayState?: string;
};

/**
 * The XML of an HTTP-POST SAMLRequest: base64 of the XML (SAML Bindings 3.5.4). Some SP
 * libraries (node-saml by default) DEFLATE it as for HTTP-Redirect; that is inflated under the
 * same cap rather than refused.
 */
function postedXml(encoded: string): string {
  const bytes = Buffer.from(encoded.replace(/\s+/g, ''), 'base64');
  const first = bytes.find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0xef && b !== 0xbb && b !== 0xbf);
  if (first === 0x3c) return decodeUtf8(bytes);
  try {
    return decodeUtf8(inflateRawSync(bytes, { maxOutputLength: MAX_REQUEST_XML_CHARS * 3 }));
  } catch (err) {
    if (err instanceof HubError) throw err;
    if (err instanceof RangeError) throw new HubError('payload_too_large', 'SAMLRequest inflates beyond the cap');
    throw new HubError('saml_request_invalid', 'SAMLRequest is neither XML nor DEFLATE-compressed XML');
  }
}

export class SamlEdge implements PortalEdge {
  readonly protocol = 'saml' as const;
  readonly endpoints: IdpEndpoints;
  readonly metadata: MetadataPublisher;
  private spIndex: SpIndex;
  private readonly answerSettings: AnswerSettings;
  private readonly sso: SsoDeps;
  private readonly clockSkewMs: number;
  private readonly maxAgeMs: number;
  /** Requests that carry a portal's answer to a LogoutRequest the hub posted by a form. */
  private readonly formChains = new WeakSet<HubContext>();

  constructor(private readonly o: SamlEdgeOptions) {
    const c = o.config.saml;
    const settings = metadataSettings(o.config, o.sp);
    this.endpoints = settings;
    this.spIndex = SpIndex.load(o.portals(), { production: o.production });
    this.clockSkewMs = c.clockSkewSeconds * SECOND;
    this.maxAgeMs = c.requestMaxAgeSeconds * SECOND;
    this.metadata = new MetadataPublisher(settings, o.keys.saml, o.clock, o.log);
    const signing = o.keys.saml.signing;
    this.answerSettings = {
      entityId: this.endpoints.entityId,
      assertionLifetimeMs: c.assertionLifetimeSeconds * SECOND,
      clockSkewMs: this.clockSkewMs,
      signingKey: { privateKey: signing.privateKey, certificateDer: signing.certificateDer },
    };
    this.sso = {
      index: () => this.spIndex,
      portals: o.portals,
      db: o.db,
      settings: {
        entityId: this.endpoints.entityId,
        ssoUrl: this.endpoints.ssoUrl,
        clockSkewMs: this.clockSkewMs,
        maxAgeMs: this.maxAgeMs,
      },
    };
  }

  /** The portals' SP metadata now in use. */
  get index(): SpIndex {
    return this.spIndex;
  }

  /** Takes part in `hub trust reload`: the new metadata is read and checked before anything switches. */
  readonly reload: TrustReloadParticipant = {
    prepare: async (next) => {
      const index = SpIndex.load(next, { production: this.o.production });
      return () => {
        this.spIndex = index;
      };
    },
  };

  registerRoutes(router: HubRouter): void {
    router.get('/saml/metadata', (ctx) => {
      const doc = this.metadata.current();
      ctx.type = 'application/samlmetadata+xml';
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
      ctx.etag = doc.id;
      ctx.body = doc.xml;
    });

    router.get('/saml/sso', async (ctx) => {
      const message = readRedirect(ctx.querystring);
      if (message.kind !== 'SAMLRequest') throw new HubError('saml_request_invalid', 'a SAMLResponse was sent to the SSO endpoint');
      await this.handleAuthnRequest(ctx, { binding: 'redirect', message });
    });

    router.post('/saml/sso', async (ctx) => {
      const form = ctx.state.form;
      // A portal's POST is cross-site: the SameSite=Lax session cookie stays behind. One
      // same-site re-submission brings it along, so an existing login is used, not replaced.
      if (ctx.state.session.idHash === undefined && form.get('weiter') !== '1') return this.resume(ctx);
      const encoded = form.get('SAMLRequest');
      if (encoded === '') throw new HubError('saml_request_invalid', 'no SAMLRequest in the form');
      if (encoded.length > Math.ceil((MAX_REQUEST_XML_CHARS * 4) / 3) + 4) throw new HubError('payload_too_large', 'SAMLRequest too large');
      if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(encoded)) throw new HubError('saml_request_invalid', 'SAMLRequest is not base64');
      const relayState = form.has('RelayState') ? form.get('RelayState') : undefined;
      if (relayState !== undefined && Buffer.byteLength(relayState) > MAX_RELAY_STATE_BYTES) {
        throw new HubError('saml_request_invalid', 'RelayState is too long');
      }
      await this.handleAuthnRequest(ctx, { binding: 'post', xml: postedXml(encoded), relayState });
    });

    router.get('/saml/slo/weiter', (ctx) => {
      const next = ctx.state.session.take<StoredPost | StoredRedirect>(PENDING_POST);
      if (!next) throw new HubError('saml_request_invalid', 'no logout message waits to be sent');
      if ('url' in next) this.renderLogoutContinue(ctx, next);
      else this.renderLogoutPost(ctx, next);
    });

    router.get('/saml/slo', async (ctx) => {
      const message = readRedirect(ctx.querystring);
      if (message.kind === 'SAMLRequest') await this.handleLogoutRequest(ctx, message);
      else await this.handleLogoutResponse(ctx, message);
    });
  }

  // ---- single sign-on ------------------------------------------------------------------

  private resume(ctx: HubContext): void {
    const t = samlText(ctx.state.lang);
    const form = ctx.state.form;
    renderAutoPost(ctx, {
      action: this.endpoints.ssoUrl,
      fields: {
        SAMLRequest: form.get('SAMLRequest'),
        RelayState: form.has('RelayState') ? form.get('RelayState') : undefined,
        weiter: '1',
      },
      title: t.resumeTitle,
      text: t.resumeText,
      button: t.resumeButton,
    });
  }

  private async handleAuthnRequest(ctx: HubContext, incoming: IncomingRequest): Promise<void> {
    const now = this.o.clock.now();
    const trusted = await acceptAuthnRequest(this.sso, incoming, now);
    const meaning = interpretAuthnRequest(trusted, now);
    if (!meaning.ok) {
      ctx.state.log.info(
        { portal: trusted.portal.id, status: meaning.status.subCode, detail: meaning.detail },
        'SAML request answered with an error',
      );
      const edge = { acs: trusted.acs, inResponseTo: trusted.id } as SamlRequestEdge;
      this.post(ctx, trusted.portal.id, trusted.acs, errorResponse(this.answerSettings, edge, meaning.status, now), trusted.relayState);
      return;
    }
    ctx.state.log.info({ portal: trusted.portal.id, signed: trusted.signed, binding: incoming.binding }, 'SAML AuthnRequest accepted');
    await this.o.login.start(ctx, meaning.context);
  }

  async answer(ctx: HubContext, request: AuthnRequestContext, outcome: LoginOutcome): Promise<Readonly<Record<string, unknown>> | void> {
    const edge = request.edge as SamlRequestEdge;
    const sp = this.index.byEntityId(edge.sp);
    const portal = this.o.login.portal(request.portalId);
    if (!sp || !portal) throw new HubError('saml_unknown_sp', `portal ${request.portalId} is no longer configured for SAML`);
    const answer = buildAnswer(this.answerSettings, portal, sp, edge, outcome, this.o.clock.now());
    ctx.state.log.info({ portal: portal.id, ok: outcome.ok, ...(outcome.ok ? {} : { error: outcome.error }) }, 'SAML Response sent');
    this.post(ctx, portal.id, edge.acs, answer.xml, edge.relayState, request.organizationDisplayName);
    return answer.participation;
  }

  private post(ctx: HubContext, portalId: string, acs: string, xml: string, relayState: string | undefined, displayName?: string): void {
    const t = samlText(ctx.state.lang);
    const portal = displayName ?? this.o.login.portalName(portalId, ctx.state.lang);
    renderAutoPost(ctx, {
      action: acs,
      fields: { SAMLResponse: Buffer.from(xml, 'utf8').toString('base64'), RelayState: relayState },
      title: t.postTitle,
      text: fmt(t.postText, { portal }),
      button: fmt(t.postButton, { portal }),
    });
  }

  // ---- single logout -------------------------------------------------------------------

  /** The portal's SingleLogoutService: HTTP-Redirect preferred, HTTP-POST otherwise. */
  private logoutEndpoint(sp: ServiceProvider): LogoutEndpoint | undefined {
    const endpoint = sp.singleLogout.find((e) => e.binding === BINDING.redirect) ?? sp.singleLogout.find((e) => e.binding === BINDING.post);
    return (
      endpoint && {
        binding: endpoint.binding === BINDING.redirect ? 'redirect' : 'post',
        location: endpoint.location,
        responseLocation: endpoint.responseLocation ?? endpoint.location,
      }
    );
  }

  /** A logout message to a portal: a signed redirect URL, or a form holding the XML-signed message. */
  private outgoing(
    endpoint: LogoutEndpoint,
    kind: MessageKind,
    message: Signable,
    relayState: string | undefined,
    portalId: string,
  ): Outgoing {
    const target = kind === 'SAMLRequest' ? endpoint.location : endpoint.responseLocation;
    if (endpoint.binding === 'redirect') {
      return { url: redirectUrl(target, kind, unsigned(message), relayState, this.o.keys.saml.signing.privateKey) };
    }
    const xml = signEnveloped(message, this.answerSettings.signingKey);
    return { post: { action: target, fields: { [kind]: Buffer.from(xml, 'utf8').toString('base64'), RelayState: relayState }, portalId } };
  }

  /**
   * Whether a redirect off the hub in this request would be blocked: Chromium holds every
   * redirect of a navigation that a form started to that form page's CSP `form-action 'self'`.
   * That is so for a POST (Abmelden, an OIDC logout confirmation) and for a portal's answer to a
   * LogoutRequest the hub posted by a form.
   */
  private leavesByPage(ctx: HubContext): boolean {
    return ctx.method === 'POST' || this.formChains.has(ctx);
  }

  private renderLogoutContinue(ctx: HubContext, next: StoredRedirect): void {
    const t = samlText(ctx.state.lang);
    const portal = this.o.login.portalName(next.portalId, ctx.state.lang);
    renderContinue(ctx, {
      url: next.url,
      title: t.logoutTitle,
      text: fmt(t.logoutText, { portal }),
      button: fmt(t.postButton, { portal }),
    });
  }

  private renderLogoutPost(ctx: HubContext, post: StoredPost): void {
    const t = samlText(ctx.state.lang);
    const portal = this.o.login.portalName(post.portalId, ctx.state.lang);
    renderAutoPost(ctx, {
      action: post.action,
      fields: post.fields,
      title: t.logoutTitle,
      text: fmt(t.logoutText, { portal }),
      button: fmt(t.postButton, { portal }),
    });
  }

  private respondToLogout(
    ctx: HubContext,
    sp: ServiceProvider,
    portalId: string,
    inResponseTo: string,
    relayState: string | undefined,
    status: Status,
  ): void {
    const endpoint = this.logoutEndpoint(sp);
    if (!endpoint) throw new HubError('saml_request_invalid', `${sp.entityId} has no SingleLogoutService`);
    const message = logoutResponse({
      id: newMessageId(),
      issueInstant: this.o.clock.now(),
      issuer: this.endpoints.entityId,
      destination: endpoint.responseLocation,
      inResponseTo,
      status,
    });
    const out = this.outgoing(endpoint, 'SAMLResponse', message, relayState, portalId);
    if (out.url === undefined) this.renderLogoutPost(ctx, out.post);
    else if (this.leavesByPage(ctx)) this.renderLogoutContinue(ctx, { url: out.url, portalId });
    else ctx.redirect(out.url);
  }

  /** A portal asks to end the session (SP-initiated single logout). */
  private async handleLogoutRequest(ctx: HubContext, message: RedirectMessage): Promise<void> {
    const now = this.o.clock.now();
    const read = readingXml(() => {
      const root = parseXml(message.xml, MAX_REQUEST_XML_CHARS).documentElement!;
      if (!is(root, NS.samlp, 'LogoutRequest'))
        throw new HubError('saml_request_invalid', `expected a LogoutRequest, got ${root.localName}`);
      const { sp, portal } = senderOf(root, this.sso, now);
      if (verifyRedirectSignature(message, sp.signingKeys) !== 'valid') {
        throw new HubError('saml_signature_invalid', 'a LogoutRequest must be signed');
      }
      const { id, issuedAt } = checkEnvelope(root, {
        destination: this.endpoints.sloUrl,
        now,
        clockSkewMs: this.clockSkewMs,
        maxAgeMs: this.maxAgeMs,
        signed: true,
      });
      const notOnOrAfter = parseDateTime(attr(root, 'NotOnOrAfter'));
      if (notOnOrAfter !== undefined && notOnOrAfter <= now - this.clockSkewMs)
        throw new HubError('saml_request_invalid', 'the LogoutRequest has expired');
      const nameIdEl = childNamed(root, NS.saml, 'NameID');
      if (!nameIdEl) throw new HubError('saml_request_invalid', 'a LogoutRequest needs a NameID (EncryptedID is not supported)');
      if (!this.logoutEndpoint(sp)) throw new HubError('saml_request_invalid', `${sp.entityId} has no SingleLogoutService`);
      return {
        sp,
        portal,
        id,
        issuedAt,
        nameId: textOf(nameIdEl).trim(),
        sessionIndexes: childrenNamed(root, NS.samlp, 'SessionIndex').map((e) => textOf(e).trim()),
      };
    });
    const fresh = await remember(
      this.o.db,
      replayKey('logout', read.sp.entityId, read.id),
      read.issuedAt + this.maxAgeMs + 2 * this.clockSkewMs,
      now,
    );
    if (!fresh) throw new HubError('saml_replay', `LogoutRequest ${read.id} of ${read.sp.entityId} was already used`);

    const session = ctx.state.session;
    if (session.loa === undefined) {
      // Nobody is logged in in this browser (any more): nothing to end.
      return this.respondToLogout(ctx, read.sp, read.portal.id, read.id, message.relayState, { code: STATUS.success });
    }
    const participation = this.o.login.participations(session).find((p) => p.portalId === read.portal.id && p.protocol === 'saml');
    const data = (participation?.data ?? {}) as ParticipationData;
    const matches =
      participation !== undefined &&
      data.nameId === read.nameId &&
      (read.sessionIndexes.length === 0 || read.sessionIndexes.includes(participation.sessionIndex));
    if (!matches) {
      ctx.state.log.info({ portal: read.portal.id }, 'SAML LogoutRequest names another principal or session; nothing ended');
      return this.respondToLogout(ctx, read.sp, read.portal.id, read.id, message.relayState, {
        code: STATUS.requester,
        subCode: STATUS.unknownPrincipal,
        message: 'No such session here.',
      });
    }
    const initiator: InitiatorData = {
      sp: read.sp.entityId,
      inResponseTo: read.id,
      ...(message.relayState !== undefined ? { relayState: message.relayState } : {}),
    };
    ctx.state.log.info({ portal: read.portal.id }, 'SAML single logout started by a portal');
    await this.o.login.logout(ctx, { portalId: read.portal.id, protocol: 'saml', edge: initiator });
  }

  async finishLogout(ctx: HubContext, initiator: LogoutInitiator, unreachable: readonly string[]): Promise<void> {
    const data = initiator.edge as unknown as InitiatorData;
    const sp = this.index.byEntityId(data.sp);
    if (!sp || !this.logoutEndpoint(sp)) return this.o.login.renderLoggedOut(ctx, unreachable);
    this.respondToLogout(ctx, sp, sp.portalId, data.inResponseTo, data.relayState, {
      code: STATUS.success,
      ...(unreachable.length > 0 ? { subCode: STATUS.partialLogout, message: `Not reached: ${unreachable.length}` } : {}),
    });
  }

  /** Tells a portal the session ended: a LogoutRequest by redirect (front channel only). */
  async notifyLogout(ctx: HubContext | undefined, participation: Participation): Promise<LogoutNotice> {
    if (!ctx) return { kind: 'done', reached: false };
    const data = participation.data as ParticipationData;
    const sp = this.index.byPortalId(participation.portalId);
    const endpoint = sp && this.logoutEndpoint(sp);
    if (!sp || !endpoint || !data.nameId || !data.nameIdFormat) return { kind: 'done', reached: false };
    const now = this.o.clock.now();
    const id = newMessageId();
    const message = logoutRequest({
      id,
      issueInstant: now,
      issuer: this.endpoints.entityId,
      destination: endpoint.location,
      notOnOrAfter: now + this.maxAgeMs,
      reason: 'urn:oasis:names:tc:SAML:2.0:logout:user',
      nameId: { value: data.nameId, format: data.nameIdFormat, nameQualifier: this.endpoints.entityId, spNameQualifier: sp.entityId },
      sessionIndexes: [participation.sessionIndex],
    });
    const pending: PendingLogout = { id, sp: sp.entityId, at: now, ...(endpoint.binding === 'post' ? { byForm: true } : {}) };
    ctx.state.session.set(PENDING_LOGOUT, pending);
    const out = this.outgoing(endpoint, 'SAMLRequest', message, undefined, participation.portalId);
    if (out.url !== undefined && !this.leavesByPage(ctx)) return { kind: 'redirect', url: out.url };
    // login expects a URL: an HTTP-POST form, or a redirect that must not follow a form, is
    // shown by a page of the hub's own.
    const next: StoredPost | StoredRedirect = out.url !== undefined ? { url: out.url, portalId: participation.portalId } : out.post;
    ctx.state.session.set(PENDING_POST, next);
    return { kind: 'redirect', url: '/saml/slo/weiter' };
  }

  /** A portal answers the hub's LogoutRequest. */
  private async handleLogoutResponse(ctx: HubContext, message: RedirectMessage): Promise<void> {
    const now = this.o.clock.now();
    const session = ctx.state.session;
    const pending = session.get<PendingLogout>(PENDING_LOGOUT);
    const { success } = readingXml(() => {
      const root = parseXml(message.xml, MAX_REQUEST_XML_CHARS).documentElement!;
      if (!is(root, NS.samlp, 'LogoutResponse'))
        throw new HubError('saml_request_invalid', `expected a LogoutResponse, got ${root.localName}`);
      const { sp } = senderOf(root, this.sso, now);
      const state = verifyRedirectSignature(message, sp.signingKeys);
      if (state === 'unsigned' && sp.signingKeys.length > 0) throw new HubError('saml_signature_invalid', 'the LogoutResponse is unsigned');
      checkEnvelope(root, {
        destination: this.endpoints.sloUrl,
        now,
        clockSkewMs: this.clockSkewMs,
        maxAgeMs: this.maxAgeMs,
        signed: state === 'valid',
      });
      if (!pending || pending.id !== attr(root, 'InResponseTo') || pending.sp !== sp.entityId) {
        throw new HubError('saml_request_invalid', 'a LogoutResponse to no LogoutRequest of this session');
      }
      const status = childNamed(root, NS.samlp, 'Status');
      const code = status && childNamed(status, NS.samlp, 'StatusCode');
      return { success: code !== undefined && attr(code, 'Value') === STATUS.success };
    });
    session.delete(PENDING_LOGOUT);
    if (pending?.byForm) this.formChains.add(ctx);
    await this.o.login.logoutStepDone(ctx, success);
  }
}

export function createSamlEdge(options: SamlEdgeOptions): SamlEdge {
  return new SamlEdge(options);
}

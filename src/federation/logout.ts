import { createHash, randomBytes } from 'node:crypto';
import type { HubKeys } from '../config/keys.ts';
import type { PartnerConfig } from '../config/trust.ts';
import type { Clock } from '../core/clock.ts';
import { MINUTE } from '../core/clock.ts';
import { HubError } from '../core/errors.ts';
import { NS, unsigned, type Signable } from '../core/saml/build.ts';
import { logoutRequest, logoutResponse, STATUS, type Status } from '../core/saml/protocol.ts';
import { readRedirect, redirectUrl, verifyRedirectSignature, type RedirectMessage } from '../core/saml/redirect-binding.ts';
import { signEnveloped } from '../core/saml/sign.ts';
import { attr, childNamed, childrenNamed, is, parseDateTime, parseXml, textOf, XmlRefusal } from '../core/xml-read.ts';
import type { Login, LogoutInitiator, LogoutNotice, UpstreamLogin, UpstreamLogout } from '../login/login.ts';
import type { Db } from '../store/db.ts';
import { remember } from '../store/replay.ts';
import type { HubRouter } from '../web/app.ts';
import { renderAutoPost } from '../web/auto-post.ts';
import type { HubContext } from '../web/context.ts';
import { fmt, type Lang } from '../web/i18n.ts';
import { renderContinue } from '../web/layout.ts';
import type { Endpoint } from './metadata/partner-metadata.ts';
import type { MetadataService } from './metadata/service.ts';
import { federationText } from './messages.ts';

/**
 * Single logout with the partner a session rests on (DECISIONS 5), at `<publicUrl>/saml/sp/slo`
 * (the SingleLogoutService of the hub's SP role, HTTP-Redirect):
 *
 * - Logging out here sends the partner a signed LogoutRequest (its metadata's SLO endpoint,
 *   HTTP-Redirect preferred, else HTTP-POST), after the portals; its LogoutResponse comes back
 *   here. A partner without an SLO endpoint is listed as not reached.
 * - A partner's own LogoutRequest (the citizen logged out there) ends this session when its
 *   NameID and SessionIndex match the login it gave, tells the portals, and is answered.
 *
 * Messages leave the hub from a page of its own (a redirect after the "Abmelden" form would be
 * held to that page's CSP `form-action 'self'`, see src/portals/saml/README.md).
 */

export const SP_SLO_PATH = '/saml/sp/slo';
const CONTINUE_PATH = '/saml/sp/slo/weiter';
const PENDING = 'federationLogoutPending';
const OUTGOING = 'federationLogoutOut';
const MAX_XML = 48 * 1024;

interface UpstreamData {
  readonly nameId?: string;
  readonly nameIdFormat?: string;
  readonly nameQualifier?: string;
  readonly spNameQualifier?: string;
  readonly sessionIndex?: string;
}

type Outgoing =
  | { readonly kind: 'redirect'; readonly url: string; readonly partnerId: string }
  | {
      readonly kind: 'post';
      readonly action: string;
      readonly fields: Readonly<Record<string, string | undefined>>;
      readonly partnerId: string;
    };

export interface UpstreamLogoutDeps {
  readonly login: Login;
  readonly metadata: MetadataService;
  readonly db: Db;
  readonly clock: Clock;
  readonly keys: HubKeys;
  readonly entityId: string;
  readonly sloUrl: string;
  readonly clockSkewMs: number;
}

function invalid(detail: string): never {
  throw new HubError('saml_request_invalid', detail);
}

export class PartnerLogout implements UpstreamLogout {
  constructor(private readonly d: UpstreamLogoutDeps) {}

  partnerName(partnerId: string, lang: Lang): string {
    return this.d.metadata.trust.byId(partnerId)?.name[lang] ?? partnerId;
  }

  private endpoint(partner: PartnerConfig): { binding: 'redirect' | 'post'; endpoint: Endpoint } | undefined {
    const slo = this.d.metadata.current(partner.id)?.singleLogout;
    if (!slo) return undefined;
    if (slo.redirect) return { binding: 'redirect', endpoint: slo.redirect };
    if (slo.post) return { binding: 'post', endpoint: slo.post };
    return undefined;
  }

  private outgoing(
    binding: 'redirect' | 'post',
    target: string,
    kind: 'SAMLRequest' | 'SAMLResponse',
    message: Signable,
    relayState: string | undefined,
    partnerId: string,
  ): Outgoing {
    const signing = this.d.keys.saml.signing;
    if (binding === 'redirect')
      return { kind: 'redirect', url: redirectUrl(target, kind, unsigned(message), relayState, signing.privateKey), partnerId };
    const xml = signEnveloped(message, { privateKey: signing.privateKey, certificateDer: signing.certificateDer });
    return {
      kind: 'post',
      action: target,
      fields: { [kind]: Buffer.from(xml, 'utf8').toString('base64'), RelayState: relayState },
      partnerId,
    };
  }

  async notifyLogout(ctx: HubContext | undefined, upstream: UpstreamLogin): Promise<LogoutNotice> {
    const partner = this.d.metadata.trust.byId(upstream.partnerId);
    const data = upstream.data as UpstreamData;
    // Without a browser (a reset, a deletion) there is no front channel to the partner.
    if (!ctx || !partner || !partner.singleLogout || !data.nameId) return { kind: 'done', reached: false };
    const target = this.endpoint(partner);
    if (!target) return { kind: 'done', reached: false };
    const now = this.d.clock.now();
    const id = `_${randomBytes(20).toString('hex')}`;
    const message = logoutRequest({
      id,
      issueInstant: now,
      issuer: this.d.entityId,
      destination: target.endpoint.location,
      notOnOrAfter: now + 5 * MINUTE,
      reason: 'urn:oasis:names:tc:SAML:2.0:logout:user',
      nameId: {
        value: data.nameId,
        format: data.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
        nameQualifier: data.nameQualifier,
        spNameQualifier: data.spNameQualifier,
      },
      sessionIndexes: data.sessionIndex ? [data.sessionIndex] : [],
    });
    ctx.state.session.set(PENDING, { id, partnerId: partner.id, at: now });
    ctx.state.session.set(OUTGOING, this.outgoing(target.binding, target.endpoint.location, 'SAMLRequest', message, undefined, partner.id));
    return { kind: 'redirect', url: CONTINUE_PATH };
  }

  async finishLogout(ctx: HubContext, initiator: LogoutInitiator, unreachable: readonly string[]): Promise<void> {
    const partner = this.d.metadata.trust.byId(initiator.portalId);
    const target = partner && this.endpoint(partner);
    if (!partner || !target) return this.d.login.renderLoggedOut(ctx, unreachable);
    const status: Status = {
      code: STATUS.success,
      ...(unreachable.length > 0 ? { subCode: STATUS.partialLogout, message: `Not reached: ${unreachable.length}` } : {}),
    };
    this.respond(
      ctx,
      partner,
      target,
      String(initiator.edge.inResponseTo),
      typeof initiator.edge.relayState === 'string' ? initiator.edge.relayState : undefined,
      status,
    );
  }

  private respond(
    ctx: HubContext,
    partner: PartnerConfig,
    target: { binding: 'redirect' | 'post'; endpoint: Endpoint },
    inResponseTo: string,
    relayState: string | undefined,
    status: Status,
  ): void {
    const message = logoutResponse({
      id: `_${randomBytes(20).toString('hex')}`,
      issueInstant: this.d.clock.now(),
      issuer: this.d.entityId,
      destination: target.endpoint.responseLocation,
      inResponseTo,
      status,
    });
    this.send(ctx, this.outgoing(target.binding, target.endpoint.responseLocation, 'SAMLResponse', message, relayState, partner.id));
  }

  private send(ctx: HubContext, out: Outgoing): void {
    const t = federationText(ctx.state.lang);
    const name = this.partnerName(out.partnerId, ctx.state.lang);
    if (out.kind === 'redirect') {
      renderContinue(ctx, {
        url: out.url,
        title: fmt(t.logoutTitle, { partner: name }),
        text: fmt(t.logoutText, { partner: name }),
        button: fmt(t.logoutButton, { partner: name }),
      });
      return;
    }
    renderAutoPost(ctx, {
      action: out.action,
      fields: out.fields,
      title: fmt(t.logoutTitle, { partner: name }),
      text: fmt(t.logoutText, { partner: name }),
      button: fmt(t.logoutButton, { partner: name }),
    });
  }

  /** The partner's message: its answer to our LogoutRequest, or its own LogoutRequest. */
  private read(message: RedirectMessage, expected: 'LogoutRequest' | 'LogoutResponse') {
    const now = this.d.clock.now();
    try {
      const root = parseXml(message.xml, MAX_XML).documentElement!;
      if (!is(root, NS.samlp, expected)) invalid(`expected a ${expected}, got ${root.localName}`);
      const issuerEl = childNamed(root, NS.saml, 'Issuer');
      const issuer = issuerEl ? textOf(issuerEl).trim() : '';
      const partner = this.d.metadata.trust.partners.find((p) => p.metadata.entityId === issuer);
      const metadata = partner && this.d.metadata.current(partner.id);
      if (!partner || !metadata) throw new HubError('federation_partner_unavailable', `no partner with entityID ${issuer.slice(0, 200)}`);
      if (verifyRedirectSignature(message, metadata.signingKeys) !== 'valid')
        throw new HubError('saml_signature_invalid', `the ${expected} of ${partner.id} is not signed`);
      if (attr(root, 'Version') !== '2.0') invalid('Version is not 2.0');
      const id = attr(root, 'ID');
      if (!id || !/^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/.test(id)) invalid('ID is missing or not an xs:ID');
      const destination = attr(root, 'Destination');
      if (destination !== this.d.sloUrl) invalid(`Destination ${destination ?? '(none)'} is not ${this.d.sloUrl}`);
      const issued = parseDateTime(attr(root, 'IssueInstant'));
      if (issued === undefined || issued > now + this.d.clockSkewMs || issued < now - 10 * MINUTE - this.d.clockSkewMs)
        invalid('IssueInstant is missing or out of range');
      return { root, partner, id, issued };
    } catch (err) {
      if (err instanceof XmlRefusal) invalid(err.message);
      throw err;
    }
  }

  registerRoutes(router: HubRouter): void {
    router.get(CONTINUE_PATH, (ctx) => {
      const out = ctx.state.session.take<Outgoing>(OUTGOING);
      if (!out) throw new HubError('saml_request_invalid', 'no logout message waits to be sent');
      this.send(ctx, out);
    });

    router.get(SP_SLO_PATH, async (ctx) => {
      const message = readRedirect(ctx.querystring);
      if (message.kind === 'SAMLResponse') {
        const { root, partner } = this.read(message, 'LogoutResponse');
        const pending = ctx.state.session.get<{ id: string; partnerId: string }>(PENDING);
        if (!pending || pending.id !== attr(root, 'InResponseTo') || pending.partnerId !== partner.id) {
          throw new HubError('saml_request_invalid', 'a LogoutResponse to no LogoutRequest of this session');
        }
        ctx.state.session.delete(PENDING);
        const status = childNamed(root, NS.samlp, 'Status');
        const code = status && childNamed(status, NS.samlp, 'StatusCode');
        await this.d.login.logoutStepDone(ctx, code !== undefined && attr(code, 'Value') === STATUS.success);
        return;
      }
      // The citizen logged out at the partner: end this session if it rests on that login.
      const { root, partner, id, issued } = this.read(message, 'LogoutRequest');
      const fresh = await remember(
        this.d.db,
        `saml:partner-logout:${createHash('sha256').update(`${partner.id}\n${id}`).digest('hex')}`,
        issued + 20 * MINUTE,
        this.d.clock.now(),
      );
      if (!fresh) throw new HubError('saml_replay', `LogoutRequest ${id} of ${partner.id} was already used`);
      const target = this.endpoint(partner);
      if (!target) invalid(`${partner.id} has no SingleLogoutService`);
      const session = ctx.state.session;
      if (session.loa === undefined) return this.respond(ctx, partner, target, id, message.relayState, { code: STATUS.success });
      const upstream = this.d.login.upstreamLogin(session);
      const data = (upstream?.data ?? {}) as UpstreamData;
      const nameIdEl = childNamed(root, NS.saml, 'NameID');
      const indexes = childrenNamed(root, NS.samlp, 'SessionIndex').map((e) => textOf(e).trim());
      const matches =
        upstream !== undefined &&
        upstream.partnerId === partner.id &&
        nameIdEl !== undefined &&
        textOf(nameIdEl).trim() === data.nameId &&
        (indexes.length === 0 || (data.sessionIndex !== undefined && indexes.includes(data.sessionIndex)));
      if (!matches) {
        ctx.state.log.info({ partner: partner.id }, 'a partner LogoutRequest names another login; nothing ended');
        return this.respond(ctx, partner, target, id, message.relayState, {
          code: STATUS.requester,
          subCode: STATUS.unknownPrincipal,
          message: 'No such session here.',
        });
      }
      ctx.state.log.info({ partner: partner.id }, 'single logout started by a partner');
      await this.d.login.logout(ctx, {
        portalId: partner.id,
        protocol: 'upstream',
        edge: { inResponseTo: id, ...(message.relayState !== undefined ? { relayState: message.relayState } : {}) },
      });
    });
  }
}

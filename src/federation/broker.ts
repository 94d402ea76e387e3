import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { FederatedAccounts } from '../accounts/federated.ts';
import type { HubKeys } from '../config/keys.ts';
import type { PartnerConfig } from '../config/trust.ts';
import type { Attributes } from '../core/attributes.ts';
import type { AuthnRequestContext, RequestedAttribute } from '../core/authn-request.ts';
import type { Clock } from '../core/clock.ts';
import { MINUTE } from '../core/clock.ts';
import { HubError } from '../core/errors.ts';
import type { Identity } from '../core/identity.ts';
import { loaSatisfies, type Loa } from '../core/loa.ts';
import { unsigned } from '../core/saml/build.ts';
import { redirectUrl } from '../core/saml/redirect-binding.ts';
import { authnRequest } from '../core/saml/protocol.ts';
import { signEnveloped } from '../core/saml/sign.ts';
import type { Login } from '../login/login.ts';
import type { Db } from '../store/db.ts';
import { consumeResult, consumeUpstreamRequest, insertResult, insertUpstreamRequest } from '../store/federation.ts';
import { remember } from '../store/replay.ts';
import { renderAutoPost } from '../web/auto-post.ts';
import type { HubContext } from '../web/context.ts';
import { fmt } from '../web/i18n.ts';
import { renderContinue } from '../web/layout.ts';
import { levelWord } from '../web/messages.ts';
import type { MetadataService } from './metadata/service.ts';
import type { IdpMetadata } from './metadata/partner-metadata.ts';
import { eidasText } from './eidas-messages.ts';
import { federationText } from './messages.ts';
import { profileOf } from './upstream/profile.ts';
import { assertionReplayKey, guardResponse, PartnerDeclined, validateResponse, type AcsSettings } from './upstream/validate.ts';

/**
 * The broker's login path towards a partner:
 *
 *   GET  /anmelden/anderes-konto/<partner>   a signed AuthnRequest (HTTP-Redirect or HTTP-POST,
 *                                            per the partner's metadata and entry) asking for the
 *                                            portal's level; the request is stored, single-use
 *   POST /saml/acs                           the partner's Response (a cross-site POST without the
 *                                            session cookie): found by RelayState, consumed,
 *                                            validated (validate.ts), its assertion ID recorded,
 *                                            mapped; then 303 to …
 *   GET  /saml/acs/weiter                    … where the browser's own session proves the request
 *                                            was sent from it; only now is anything linked or
 *                                            created, and the login goes on like a local one
 *
 * STYLE ("What we do differently"): the outstanding requests live in the store, shared by every
 * process and single-use; nothing of the flow rides in a cookie.
 */

const BROWSER = 'federationBrowser';
const RESULT_LIFETIME_MS = 5 * MINUTE;

export interface BrokerDeps {
  readonly login: Login;
  readonly federated: FederatedAccounts;
  readonly metadata: MetadataService;
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  readonly keys: HubKeys;
  readonly entityId: string;
  readonly acsUrl: string;
  readonly operatorName: string;
  readonly clockSkewMs: number;
  readonly requestLifetimeMs: number;
  readonly choiceCookie: { readonly name: string; readonly secure: boolean };
}

/** What the request row carries (no personal data). */
interface RequestPayload {
  readonly auftrag?: string;
  readonly loa: Loa;
  readonly forceAuthn: boolean;
  readonly lang: 'de' | 'en';
}

/** What travels sealed from the ACS to the browser's GET. */
type SealedResult =
  | {
      readonly kind: 'login';
      readonly partnerId: string;
      readonly auftrag?: string;
      readonly nameId: string;
      /** What the federated account is keyed by when not the NameID (eIDAS: the PersonIdentifier). */
      readonly subject?: string;
      readonly nameIdFormat?: string;
      readonly nameQualifier?: string;
      readonly spNameQualifier?: string;
      readonly sessionIndex?: string;
      readonly loa: Loa;
      readonly attributes: Attributes;
      readonly authnInstant: number;
      readonly consentExplicit: boolean;
    }
  | { readonly kind: 'declined'; readonly partnerId: string; readonly auftrag?: string; readonly status: string }
  | { readonly kind: 'incomplete'; readonly partnerId: string; readonly auftrag?: string; readonly missing: readonly string[] }
  | { readonly kind: 'too-low'; readonly partnerId: string; readonly auftrag?: string; readonly reached: Loa; readonly needed: Loa };

const sha256 = (v: string): string => createHash('sha256').update(v).digest('hex');

function sealKey(token: string): Buffer {
  return createHash('sha256').update(`servicekonto-federation-result\n${token}`).digest();
}

function seal(token: string, value: SealedResult): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(token), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
}

function unseal(token: string, sealed: string): SealedResult {
  const raw = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', sealKey(token), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return JSON.parse(Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8')) as SealedResult;
}

export type Availability =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'cap'; readonly cap: Loa; readonly needed: Loa }
  | { readonly ok: false; readonly reason: 'unavailable' };

export class Broker {
  constructor(private readonly d: BrokerDeps) {}

  /** Whether a partner can serve a login that needs `needed` now. */
  availability(partner: PartnerConfig, needed: Loa): Availability {
    if (!partner.enabled || !this.d.metadata.current(partner.id)) return { ok: false, reason: 'unavailable' };
    if (profileOf(partner).refusal(partner, needed) === 'cap') return { ok: false, reason: 'cap', cap: partner.loa.cap, needed };
    return { ok: true };
  }

  /** The random value that ties requests to this browser's session. */
  private browserHash(ctx: HubContext, create: boolean): string | undefined {
    let value = ctx.state.session.get<string>(BROWSER);
    if (value === undefined && create) {
      value = randomBytes(24).toString('base64url');
      ctx.state.session.set(BROWSER, value);
    }
    return value === undefined ? undefined : sha256(value);
  }

  rememberChoice(ctx: HubContext, partnerId: string): void {
    ctx.cookies.set(this.d.choiceCookie.name, partnerId, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.d.choiceCookie.secure,
      maxAge: 365 * 24 * 3600 * 1000,
      overwrite: true,
    });
  }

  lastChoice(ctx: HubContext): string | undefined {
    const v = ctx.cookies.get(this.d.choiceCookie.name);
    return v !== undefined && /^[a-z0-9-]{1,63}$/.test(v) ? v : undefined;
  }

  /** Sends the citizen to the partner with a signed AuthnRequest. */
  async start(ctx: HubContext, partner: PartnerConfig, request: AuthnRequestContext | undefined): Promise<void> {
    const now = this.d.clock.now();
    const needed: Loa = request?.minLoa ?? 'basic';
    const metadata = this.d.metadata.current(partner.id);
    const available = this.availability(partner, needed);
    if (!metadata || !available.ok) {
      throw new HubError('federation_partner_unavailable', `${partner.id}: ${available.ok ? 'no metadata' : available.reason}`);
    }
    // The last choice is offered first in the list of states; the eIDAS node is not in it.
    if (partner.kind === 'state') this.rememberChoice(ctx, partner.id);
    const lang = ctx.state.lang;
    const portal = request ? this.d.login.portal(request.portalId) : undefined;
    const attributes: readonly RequestedAttribute[] | undefined = request
      ? (request.requestedAttributes ?? portal?.attributes.map((name) => ({ name, required: false })))
      : undefined;
    const plan = profileOf(partner).plan(partner, {
      loa: needed,
      portalName: request ? (request.organizationDisplayName ?? portal?.name[lang]) : undefined,
      attributes,
      lang,
    });
    const id = `_${randomBytes(20).toString('hex')}`;
    const relayState = randomBytes(24).toString('base64url');
    const binding = plan.binding !== undefined && metadata.singleSignOn[plan.binding] ? plan.binding : this.binding(partner, metadata);
    const forceAuthn = plan.forceAuthn ?? request?.forceAuthn ?? false;
    const destination = (binding === 'redirect' ? metadata.singleSignOn.redirect : metadata.singleSignOn.post) as string;
    const payload: RequestPayload = {
      ...(request ? { auftrag: request.id } : {}),
      loa: needed,
      forceAuthn,
      lang,
    };
    await insertUpstreamRequest(this.d.db, {
      relayHash: sha256(relayState),
      requestId: id,
      partnerId: partner.id,
      browserHash: this.browserHash(ctx, true) as string,
      payload: { ...payload },
      createdAt: now,
      expiresAt: now + this.d.requestLifetimeMs,
    });
    const message = authnRequest({
      id,
      issueInstant: now,
      issuer: this.d.entityId,
      destination,
      assertionConsumerServiceUrl: this.d.acsUrl,
      providerName: this.d.operatorName,
      ...(plan.forceAuthn !== undefined ? { forceAuthn: plan.forceAuthn } : request?.forceAuthn ? { forceAuthn: true } : {}),
      ...(plan.isPassive !== undefined ? { isPassive: plan.isPassive } : {}),
      extensions: plan.extensions,
      nameIdFormat: plan.nameIdFormat,
      allowCreate: plan.allowCreate,
      ...(plan.requestedAuthnContext ? { requestedAuthnContext: plan.requestedAuthnContext } : {}),
    });
    ctx.state.log.info({ partner: partner.id, binding, loa: needed }, 'AuthnRequest sent to a partner');
    const t = partner.kind === 'eidas' ? eidasText(lang) : federationText(lang);
    const name = partner.name[lang];
    if (binding === 'redirect') {
      const url = redirectUrl(destination, 'SAMLRequest', unsigned(message), relayState, this.d.keys.saml.signing.privateKey);
      // From a link (GET) a redirect may leave the hub; after a form it must go through a page.
      if (ctx.method === 'GET') {
        ctx.status = 303;
        ctx.redirect(url);
        return;
      }
      renderContinue(ctx, {
        url,
        title: fmt(t.toPartnerTitle, { partner: name }),
        text: fmt(t.toPartnerText, { partner: name }),
        button: fmt(t.toPartnerButton, { partner: name }),
      });
      return;
    }
    const signed = signEnveloped(message, {
      privateKey: this.d.keys.saml.signing.privateKey,
      certificateDer: this.d.keys.saml.signing.certificateDer,
    });
    renderAutoPost(ctx, {
      action: destination,
      fields: { SAMLRequest: Buffer.from(signed, 'utf8').toString('base64'), RelayState: relayState },
      title: fmt(t.toPartnerTitle, { partner: name }),
      text: fmt(t.toPartnerText, { partner: name }),
      button: fmt(t.toPartnerButton, { partner: name }),
    });
  }

  private binding(partner: PartnerConfig, metadata: IdpMetadata): 'redirect' | 'post' {
    if (partner.binding === 'redirect' && metadata.singleSignOn.redirect) return 'redirect';
    if (partner.binding === 'post' && metadata.singleSignOn.post) return 'post';
    return metadata.singleSignOn.redirect ? 'redirect' : 'post';
  }

  private acsSettings(): AcsSettings {
    const saml = this.d.keys.saml;
    return {
      entityId: this.d.entityId,
      acsUrl: this.d.acsUrl,
      clockSkewMs: this.d.clockSkewMs,
      requestLifetimeMs: this.d.requestLifetimeMs,
      decryptionKeys: saml.encryption.map((k) => k.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
    };
  }

  /** POST /saml/acs: validates the partner's answer and hands it to this browser's GET. */
  async acs(ctx: HubContext): Promise<void> {
    const now = this.d.clock.now();
    const form = ctx.state.form;
    const base64 = form.get('SAMLResponse');
    // Before node-saml: size, DOCTYPE, comments (DECISIONS 9).
    guardResponse(base64);
    const relayState = form.has('RelayState') ? form.get('RelayState') : '';
    if (relayState === '' || relayState.length > 200)
      throw new HubError('federation_unsolicited', 'a Response without the RelayState of a request (unsolicited)');
    const row = await consumeUpstreamRequest(this.d.db, sha256(relayState), now);
    if (!row) throw new HubError('federation_unsolicited', 'no outstanding request has this RelayState (unknown, used or expired)');
    const payload = row.payload as unknown as RequestPayload;
    const partner = this.d.metadata.trust.byId(row.partnerId);
    if (!partner || !partner.enabled) throw new HubError('federation_partner_unavailable', `${row.partnerId} is no longer enabled`);
    const metadata = this.d.metadata.current(partner.id);
    if (!metadata) throw new HubError('federation_partner_unavailable', `${partner.id} has no valid metadata`);

    let result: SealedResult;
    try {
      const validated = await validateResponse(
        partner,
        metadata,
        this.acsSettings(),
        { id: row.requestId, createdAt: row.createdAt, forceAuthn: payload.forceAuthn === true },
        base64,
        now,
      );
      if (validated.weakAlgorithms.length > 0) {
        ctx.state.log.warn(
          { partner: partner.id, algorithms: validated.weakAlgorithms },
          'a partner used weak algorithms its trust entry allows',
        );
      }
      const fresh = await remember(
        this.d.db,
        assertionReplayKey(metadata.entityId, validated.assertionId),
        validated.notOnOrAfter + this.d.clockSkewMs,
        now,
      );
      if (!fresh) {
        throw new HubError('federation_response_invalid', `${partner.id}: assertion ${validated.assertionId} replayed`, {
          params: { partner: partner.name.de, reason: 'the assertion was used before (replay)' },
        });
      }
      const mapped = profileOf(partner).map(partner, validated);
      if (!mapped.ok && mapped.reason === 'missing-attributes') {
        // Mandatory attributes absent: refused before anything is linked or stored.
        ctx.state.log.info({ partner: partner.id, missing: mapped.missing }, 'partner Response without mandatory attributes');
        const incomplete: SealedResult = {
          kind: 'incomplete',
          partnerId: partner.id,
          ...(payload.auftrag ? { auftrag: payload.auftrag } : {}),
          missing: mapped.missing,
        };
        return this.handOver(ctx, row.browserHash, incomplete, now);
      }
      if (!mapped.ok) {
        throw new HubError('federation_level_unknown', `${partner.id}: unknown AuthnContextClassRef ${mapped.classRef}`, {
          params: { partner: partner.name.de, level: mapped.classRef.slice(0, 200) },
        });
      }
      if (!loaSatisfies(mapped.loa, payload.loa)) {
        // Capped below what the portal needs: refused before anything is linked or stored.
        ctx.state.log.info(
          { partner: partner.id, claimed: mapped.claimed, loa: mapped.loa, needed: payload.loa },
          'partner login below the level needed',
        );
        const low: SealedResult = {
          kind: 'too-low',
          partnerId: partner.id,
          ...(payload.auftrag ? { auftrag: payload.auftrag } : {}),
          reached: mapped.loa,
          needed: payload.loa,
        };
        return this.handOver(ctx, row.browserHash, low, now);
      }
      ctx.state.log.info(
        {
          partner: partner.id,
          claimed: mapped.claimed,
          loa: mapped.loa,
          capped: mapped.claimed !== mapped.loa,
          attributes: Object.keys(mapped.attributes),
          dropped: mapped.dropped,
          algorithms: validated.algorithms,
        },
        'partner Response accepted',
      );
      result = {
        kind: 'login',
        partnerId: partner.id,
        ...(payload.auftrag ? { auftrag: payload.auftrag } : {}),
        nameId: validated.nameId,
        ...(mapped.subject !== undefined ? { subject: mapped.subject } : {}),
        ...(validated.nameIdFormat ? { nameIdFormat: validated.nameIdFormat } : {}),
        ...(validated.nameQualifier ? { nameQualifier: validated.nameQualifier } : {}),
        ...(validated.spNameQualifier ? { spNameQualifier: validated.spNameQualifier } : {}),
        ...(validated.sessionIndex ? { sessionIndex: validated.sessionIndex } : {}),
        loa: mapped.loa,
        attributes: mapped.attributes,
        authnInstant: validated.authnInstant,
        consentExplicit: validated.consentExplicit,
      };
    } catch (err) {
      if (!(err instanceof PartnerDeclined)) throw err;
      ctx.state.log.info({ partner: partner.id, status: err.statusCode }, 'the partner did not log the citizen in');
      result = {
        kind: 'declined',
        partnerId: partner.id,
        ...(payload.auftrag ? { auftrag: payload.auftrag } : {}),
        status: err.statusCode,
      };
    }
    await this.handOver(ctx, row.browserHash, result, now);
  }

  /**
   * The ACS keeps the result sealed under a one-time token and sends the browser on to
   * /saml/acs/weiter, where the session cookie (SameSite=Lax, absent on the partner's cross-site
   * POST) is sent again and `resume` continues.
   */
  private async handOver(ctx: HubContext, browserHash: string, result: SealedResult, now: number): Promise<void> {
    const token = randomBytes(32).toString('base64url');
    await insertResult(this.d.db, {
      tokenHash: sha256(token),
      browserHash,
      sealed: seal(token, result),
      expiresAt: now + RESULT_LIFETIME_MS,
    });
    ctx.status = 303;
    ctx.redirect(`/saml/acs/weiter?t=${token}`);
  }

  /** GET /saml/acs/weiter: the browser the request was sent from continues its login. */
  async resume(ctx: HubContext): Promise<void> {
    // This GET is the 303 after the partner's form posted to /saml/acs.
    ctx.state.fromForeignForm = true;
    const token = typeof ctx.query.t === 'string' ? ctx.query.t : '';
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) throw new HubError('federation_unsolicited', 'no result token');
    const row = await consumeResult(this.d.db, sha256(token), this.d.clock.now());
    if (!row) throw new HubError('federation_unsolicited', 'the result is unknown, used or expired');
    if (this.browserHash(ctx, false) !== row.browserHash) {
      throw new HubError('federation_unsolicited', 'the request was sent from another browser');
    }
    const result = unseal(token, row.sealed);
    const partner = this.d.metadata.trust.byId(result.partnerId);
    if (!partner || !partner.enabled) throw new HubError('federation_partner_unavailable', `${result.partnerId} is no longer enabled`);
    const request = this.d.login.findOpenRequest(ctx, result.auftrag);
    const lang = ctx.state.lang;
    if (result.kind === 'declined') {
      const problem = fmt(federationText(lang).declined, { partner: partner.name[lang], status: result.status });
      return this.d.login.renderPage(ctx, {}, 200, request, problem);
    }
    if (result.kind === 'too-low') {
      const problem = fmt(federationText(lang).tooLow, {
        partner: partner.name[lang],
        reached: levelWord(lang, result.reached),
        needed: levelWord(lang, result.needed),
      });
      return this.d.login.renderPage(ctx, {}, 403, request, problem);
    }
    if (result.kind === 'incomplete') {
      const problem = fmt(eidasText(lang).incomplete, { partner: partner.name[lang], missing: result.missing.join(', ') });
      return this.d.login.renderPage(ctx, {}, 403, request, problem);
    }
    const consentByPartner = partner.consent === 'partner' && result.consentExplicit;
    const method = profileOf(partner).method;
    const subject = result.subject ?? result.nameId;
    const base = {
      source: method === 'eidas' ? ('eidas' as const) : (`upstream:${partner.id}` as const),
      loa: result.loa,
      methods: [method] as const,
      authnInstant: result.authnInstant,
      attributes: result.attributes,
      ...(consentByPartner ? { consentByPartner: true } : {}),
    };
    let identity: Identity;
    if (this.d.login.isTemporary(ctx, request?.id)) {
      // "Temporär anmelden" (issue 9), through any upstream (a state, the eIDAS node): nothing is
      // linked or created, whatever link_accounts says; the portal gets transient identifiers.
      identity = { ...base, accountId: undefined, temporary: true, federatedSubject: { partnerId: partner.id, nameId: subject } };
    } else if (partner.linkAccounts) {
      const linked = await this.d.federated.linkOrCreate({
        partnerId: partner.id,
        nameId: subject,
        attributes: result.attributes,
        lang,
      });
      identity = { ...base, accountId: linked.accountId };
    } else {
      identity = { ...base, accountId: undefined, federatedSubject: { partnerId: partner.id, nameId: subject } };
    }
    await this.d.login.complete(ctx, identity, request?.id);
    // A temporary login whose answer already went to the portal has ended: nothing to record.
    if (ctx.state.session.principalId === undefined) return;
    this.d.login.recordUpstreamLogin(ctx.state.session, {
      partnerId: partner.id,
      data: {
        nameId: result.nameId,
        ...(result.nameIdFormat ? { nameIdFormat: result.nameIdFormat } : {}),
        ...(result.nameQualifier ? { nameQualifier: result.nameQualifier } : {}),
        ...(result.spNameQualifier ? { spNameQualifier: result.spNameQualifier } : {}),
        ...(result.sessionIndex ? { sessionIndex: result.sessionIndex } : {}),
      },
    });
  }
}

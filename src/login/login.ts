import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { AccountService } from '../accounts/service.ts';
import type { PortalConfig, PortalRegistry } from '../config/portals.ts';
import type { AuthnRequestContext, LoginFailure, LoginOutcome, PortalProtocol, ReleasedIdentity } from '../core/authn-request.ts';
import type { Clock } from '../core/clock.ts';
import { HubError } from '../core/errors.ts';
import type { Attributes } from '../core/attributes.ts';
import { HUB_ASSIGNED_ATTRIBUTES } from '../core/attributes.ts';
import type { AuthnMethod, FederatedSubject, Identity, IdentitySource } from '../core/identity.ts';
import { loaSatisfies, type Loa } from '../core/loa.ts';
import { currentLevel } from '../core/session-levels.ts';
import { recordAudit } from '../store/audit.ts';
import { findConsent, hasConsent, saveConsent } from '../store/consents.ts';
import type { Db } from '../store/db.ts';
import { countPortalLogin } from '../store/login-counts.ts';
import { pairwiseId } from '../store/pairwise.ts';
import { deleteSession, loadAccountSessions, loadSubjectSessions, type SessionRecord } from '../store/sessions.ts';
import type { HubRouter } from '../web/app.ts';
import { safeLocalPath } from '../web/app.ts';
import type { HubContext } from '../web/context.ts';
import { ACCOUNTLESS_PAGE, RETURN_TO } from '../web/guards.ts';
import { html, type Html } from '../web/html.ts';
import { fmt, type Lang } from '../web/i18n.ts';
import { csrfField, renderPage } from '../web/layout.ts';
import { frameText, levelWord } from '../web/messages.ts';
import { attributeLabel } from '../accounts/messages.ts';
import type { Session } from '../web/session.ts';
import { loginText } from './messages.ts';
import { planRelease, pick } from './release.ts';
import { dropRequest, findRequest, markAuthenticated, saveRequest } from './requests.ts';

/**
 * The one login path (DESIGN.md). Portal edges start it with an `AuthnRequestContext`; login
 * methods register here and render their part of the login page; whichever method authenticates
 * hands an `Identity` to `complete()`, which starts or raises the session. Then consent, then the
 * answer goes back through the edge that registered for the request's protocol. Login imports no
 * edge: edges and methods are registered by main.ts.
 */

export interface MethodView {
  /** Shown inside the method's part of the page (an error or a notice). */
  readonly message?: Html | undefined;
  /** Values to put back into the form (never a password). */
  readonly values?: Readonly<Record<string, string>>;
  /** The portal request being served; forms send it back as field `auftrag`. */
  readonly requestId?: string | undefined;
}

export interface LoginMethod {
  /** Also the name used by AKDB AuthnMethods mapping: password, eid, pass, upstream, eidas. */
  readonly id: string;
  readonly order: number;
  /** The highest level the method can give. */
  readonly maxLoa: Loa;
  /** A sentence on what the method gives, shown when it is not offered for a request. */
  describeLimit?(lang: Lang): string;
  /** False while the method cannot be used at all (no partner state configured): then it is not mentioned. */
  available?(): boolean;
  /**
   * The method can log a citizen in without an account here, for "Temporär anmelden" (issue 9):
   * the eID, another state's account, the eIDAS node; never password or Pass. Such a method
   * checks `login.isTemporary(ctx, requestId)` and then hands `complete()` an Identity with
   * `temporary: true` and no account.
   */
  readonly temporary?: boolean;
  render(ctx: HubContext, view: MethodView): Html;
}

/** A portal the citizen was logged in to during this session, for single logout. */
export interface Participation {
  readonly portalId: string;
  readonly protocol: PortalProtocol;
  readonly sessionIndex: string;
  readonly pairwiseId: string;
  readonly at: number;
  /** What the edge needs to address the logout (NameID, sid, …). */
  readonly data: Readonly<Record<string, unknown>>;
}

export type LogoutNotice = { readonly kind: 'done'; readonly reached: boolean } | { readonly kind: 'redirect'; readonly url: string };

/** Who started a logout, when a portal did (SAML LogoutRequest, OIDC end_session). */
export interface LogoutInitiator {
  /** The portal, or for `upstream` the partner whose LogoutRequest started it. */
  readonly portalId: string;
  readonly protocol: PortalProtocol | 'upstream';
  readonly edge: Readonly<Record<string, unknown>>;
}

/** What a protocol edge registers so that login can answer portals without importing it. */
export interface PortalEdge {
  readonly protocol: PortalProtocol;
  /** Sends the outcome to the portal; may return data to remember for single logout. */
  answer(ctx: HubContext, request: AuthnRequestContext, outcome: LoginOutcome): Promise<Readonly<Record<string, unknown>> | void>;
  /**
   * Tells a portal the citizen logged out. Back-channel answers at once; front-channel returns a
   * redirect and later calls `login.logoutStepDone()`. Without `ctx` (a session ended elsewhere,
   * e.g. by a password reset) only back-channel is possible.
   */
  notifyLogout?(ctx: HubContext | undefined, participation: Participation): Promise<LogoutNotice>;
  /** Answers the portal that started the logout, naming parties that could not be reached. */
  finishLogout?(ctx: HubContext, initiator: LogoutInitiator, unreachable: readonly string[]): Promise<void>;
}

/**
 * The login through another state's account that the session rests on (kept by the federation
 * edge), so the partner is told at logout too (DECISIONS 5).
 */
export interface UpstreamLogin {
  readonly partnerId: string;
  /** What the federation edge needs to address the LogoutRequest (NameID, SessionIndex, …). */
  readonly data: Readonly<Record<string, unknown>>;
}

/** What the federation edge registers to be told of logouts (like PortalEdge.notifyLogout). */
export interface UpstreamLogout {
  /** The partner's name, listed when it could not be told. */
  partnerName(partnerId: string, lang: Lang): string;
  notifyLogout(ctx: HubContext | undefined, upstream: UpstreamLogin): Promise<LogoutNotice>;
  /** Answers the partner whose LogoutRequest ended the session, naming parties that could not be told. */
  finishLogout(ctx: HubContext, initiator: LogoutInitiator, unreachable: readonly string[]): Promise<void>;
}

/**
 * A login without an account here, as the session keeps it: through a partner with
 * `link_accounts: false` (DECISIONS 8), or a temporary login (issue 9). Nothing of it is
 * stored anywhere but in the session row, so it ends with the session.
 */
interface AccountlessIdentity {
  /** The partner and its NameID (partner logins only). */
  readonly subject?: FederatedSubject;
  /** A temporary login: transient identifiers, ended once the answer went to the portal. */
  readonly temporary?: boolean;
  readonly source?: IdentitySource;
  /** "Servicekonto mit diesen Daten anlegen" (Identity.accountOffer). */
  readonly accountOffer?: string;
  readonly attributes: Attributes;
  /** Consents given in this session: portal id → attribute names. */
  readonly consents: Readonly<Record<string, readonly string[]>>;
}

interface LogoutState {
  pending: Participation[];
  current?: Participation;
  upstream?: UpstreamLogin;
  upstreamCurrent?: boolean;
  unreachable: string[];
  initiator?: LogoutInitiator;
}

const AUTHN = 'authn';

/** The `amr` value a login method records (its id, except the password's RFC 8176 name). */
function methodAmr(methodId: string): AuthnMethod {
  return (methodId === 'password' ? 'pwd' : methodId) as AuthnMethod;
}
const SID = 'sid';
const PARTICIPATIONS = 'participations';
const UPSTREAM = 'upstreamLogin';
const ACCOUNTLESS = 'accountless';

/** Principal ids of logins without an account start with this (account ids are UUIDs). */
export const ACCOUNTLESS_PREFIX = 'fed-';
/** Principal ids of temporary logins (issue 9), random per login like the ones above. */
export const TEMPORARY_PREFIX = 'tmp-';

export function isAccountlessPrincipal(id: string): boolean {
  return id.startsWith(ACCOUNTLESS_PREFIX) || id.startsWith(TEMPORARY_PREFIX);
}

/** The principal of a temporary login (issue 9). */
export function isTemporaryPrincipal(id: string): boolean {
  return id.startsWith(TEMPORARY_PREFIX);
}

/** Attributes that need an account here (issue 9): a temporary login cannot deliver them. */
const ACCOUNT_ATTRIBUTES: readonly string[] = HUB_ASSIGNED_ATTRIBUTES;
const LOGOUT = 'logout';

export interface LoginDeps {
  readonly accounts: AccountService;
  readonly portals: () => PortalRegistry;
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  /** The dedicated secret of the per-portal pseudonyms of logins without an account (DECISIONS 8). */
  readonly pseudonymKey: Buffer;
}

export class Login {
  private readonly methods: LoginMethod[] = [];
  private readonly edges = new Map<PortalProtocol, PortalEdge>();
  private upstreamLogout: UpstreamLogout | undefined;

  constructor(private readonly deps: LoginDeps) {}

  addMethod(method: LoginMethod): void {
    this.methods.push(method);
    this.methods.sort((a, b) => a.order - b.order);
  }

  addEdge(edge: PortalEdge): void {
    this.edges.set(edge.protocol, edge);
  }

  /** The federation edge: told when a session that rests on a partner's login ends. */
  setUpstreamLogout(upstream: UpstreamLogout): void {
    this.upstreamLogout = upstream;
  }

  /** Records that the session rests on a partner's login (after `complete`). */
  recordUpstreamLogin(session: Session, upstream: UpstreamLogin): void {
    session.set(UPSTREAM, upstream);
  }

  upstreamLogin(session: Session): UpstreamLogin | undefined {
    return session.get<UpstreamLogin>(UPSTREAM);
  }

  portal(id: string): PortalConfig | undefined {
    return this.deps.portals().byId(id);
  }

  portalName(id: string, lang: Lang): string {
    return this.portal(id)?.name[lang] ?? id;
  }

  /** The methods a request allows (AKDB AuthnMethods), all when it names none. */
  private methodsFor(request: Pick<AuthnRequestContext, 'allowedMethods'> | undefined): LoginMethod[] {
    const allowed = request?.allowedMethods;
    return allowed ? this.methods.filter((m) => allowed.includes(m.id)) : this.methods;
  }

  /** Methods able to reach `loa`, and the others; for a temporary login only those that need no account. */
  partitionMethods(request: Pick<AuthnRequestContext, 'minLoa' | 'allowedMethods' | 'temporary'> | undefined): {
    offered: LoginMethod[];
    withheld: LoginMethod[];
  } {
    const min = request?.minLoa;
    const usable = (m: LoginMethod): boolean => m.available?.() !== false && (request?.temporary !== true || m.temporary === true);
    const candidates = this.methodsFor(request).filter(usable);
    const offered = candidates.filter((m) => min === undefined || loaSatisfies(m.maxLoa, min));
    return { offered, withheld: this.methods.filter((m) => usable(m) && !offered.includes(m)) };
  }

  // ---- temporary logins (issue 9) ------------------------------------------------------

  /** How the portal of a request lets citizens log in (absent = permanent). */
  private accountMode(request: Pick<AuthnRequestContext, 'portalId'>): 'permanent' | 'temporary' | 'both' {
    return this.portal(request.portalId)?.accounts ?? 'permanent';
  }

  /** The request asks, as required, for something only an account has (the Postkorb handle, a persistent identifier). */
  private needsAccount(request: AuthnRequestContext): boolean {
    return (
      request.needsAccount === true || (request.requestedAttributes ?? []).some((a) => a.required && ACCOUNT_ATTRIBUTES.includes(a.name))
    );
  }

  /**
   * Whether "Temporär anmelden" is offered for this request: the portal allows it, it requires
   * nothing that needs an account (as the federal account hides "Temporär Login" then), and a
   * method that needs no account reaches its level.
   */
  temporaryOffered(request: AuthnRequestContext | undefined): boolean {
    if (!request || this.accountMode(request) === 'permanent' || this.needsAccount(request)) return false;
    return this.partitionMethods({ ...request, temporary: true }).offered.length > 0;
  }

  /** The citizen logs in for this request temporarily (chosen, or the portal allows nothing else). */
  isTemporary(ctx: HubContext, requestId: string | undefined): boolean {
    return this.findOpenRequest(ctx, requestId)?.temporary === true;
  }

  /** The session rests on a temporary login. */
  isTemporarySession(session: Session): boolean {
    return session.subject !== undefined && session.get<AccountlessIdentity>(ACCOUNTLESS)?.temporary === true;
  }

  /** What the consent page of a temporary login offers ("Servicekonto mit diesen Daten anlegen"). */
  accountOffer(session: Session): string | undefined {
    return this.isTemporarySession(session) ? session.get<AccountlessIdentity>(ACCOUNTLESS)?.accountOffer : undefined;
  }

  /**
   * Ends a temporary login once its answer went to the portal: the identity, and everything
   * else the session held, are gone (a new, empty anonymous session follows).
   */
  private endTemporary(session: Session): void {
    session.restart();
  }

  // ---- the path ------------------------------------------------------------------------

  /** An edge received a valid request: log in (or step up), ask consent, answer. */
  async start(ctx: HubContext, incoming: AuthnRequestContext): Promise<void> {
    const session = ctx.state.session;
    const mode = this.accountMode(incoming);
    if (mode === 'temporary' && this.needsAccount(incoming)) {
      return this.fail(
        ctx,
        incoming,
        'attribute_unavailable',
        'the portal allows temporary logins only but requires data that need an account',
      );
    }
    const request: AuthnRequestContext = mode === 'temporary' ? { ...incoming, temporary: true } : incoming;
    saveRequest(session, request, this.deps.clock.now());
    const loa = session.loa;
    if (!request.forceAuthn && this.sessionSatisfies(session, request)) return this.proceed(ctx, request);
    if (request.isPassive) return this.fail(ctx, request, loa === undefined ? 'login_required' : 'unmet_authentication_requirements');
    if (this.partitionMethods(request).offered.length === 0) {
      return this.fail(ctx, request, 'unmet_authentication_requirements', `no login method reaches ${request.minLoa}`);
    }
    ctx.redirect(`/anmelden?auftrag=${encodeURIComponent(request.id)}`);
  }

  /**
   * The session can answer the request without a new login: its level is high enough and, when
   * the portal allows only some methods (AKDB AuthnMethods), one of those was used.
   */
  private sessionSatisfies(session: Session, request: AuthnRequestContext): boolean {
    // A temporary login is for one answer: it serves no other request, and a portal that allows
    // only temporary logins gets no account's identity.
    if (this.isTemporarySession(session) || request.temporary === true) return false;
    const loa = session.loa;
    if (loa === undefined || !loaSatisfies(loa, request.minLoa)) return false;
    if (!request.allowedMethods) return true;
    const used = session.get<{ methods: AuthnMethod[] }>(AUTHN)?.methods ?? [];
    return request.allowedMethods.some((id) => used.includes(methodAmr(id)));
  }

  /** A method proved who the citizen is: start or raise the session and go on. */
  async complete(ctx: HubContext, identity: Identity, requestId?: string): Promise<void> {
    const session = ctx.state.session;
    const now = this.deps.clock.now();
    if (identity.accountId !== undefined) {
      const sameAccount = session.accountId === identity.accountId;
      session.authenticated(identity.accountId, identity.loa);
      // The methods behind the current level; a step-up adds to those of the same account.
      const before = sameAccount ? (session.get<{ methods: AuthnMethod[] }>(AUTHN)?.methods ?? []) : [];
      session.set(AUTHN, { methods: [...new Set([...before, ...identity.methods])], at: identity.authnInstant });
      await this.deps.accounts.recordLogin(identity.accountId, { method: identity.methods.join('+'), loa: identity.loa });
    } else {
      // Through a partner without an account here (DECISIONS 8), or a temporary login (issue 9):
      // a new random principal, and the identity in this session only. Audit rows hold no
      // reference to it and no value.
      const subject = identity.federatedSubject;
      const temporary = identity.temporary === true;
      if (!subject && !temporary) throw new Error('a login needs an account, a federated subject or to be temporary');
      const previous = session.get<AccountlessIdentity>(ACCOUNTLESS);
      // A temporary login is always a new one; a partner's citizen logging in again keeps the session's consents.
      const same =
        !temporary &&
        previous !== undefined &&
        previous.temporary !== true &&
        previous.subject !== undefined &&
        subject !== undefined &&
        previous.subject.partnerId === subject.partnerId &&
        previous.subject.nameId === subject.nameId;
      const principal =
        same && session.subject !== undefined
          ? session.subject
          : `${temporary ? TEMPORARY_PREFIX : ACCOUNTLESS_PREFIX}${randomBytes(18).toString('base64url')}`;
      const before = same ? (session.get<{ methods: AuthnMethod[] }>(AUTHN)?.methods ?? []) : [];
      // A new principal drops what the session held; the portal request being served stays.
      const open = findRequest(session, requestId, now);
      // A temporary login lasts as long as the level it was proven at (TR-03160), with no fallback.
      session.authenticatedWithoutAccount(principal, identity.loa, temporary);
      if (open && !findRequest(session, open.id, now)) saveRequest(session, open, now);
      session.set(ACCOUNTLESS, {
        ...(subject ? { subject } : {}),
        ...(temporary ? { temporary: true } : {}),
        ...(temporary && identity.accountOffer !== undefined ? { accountOffer: identity.accountOffer } : {}),
        source: identity.source,
        attributes: identity.attributes,
        consents: same && previous ? previous.consents : {},
      } satisfies AccountlessIdentity);
      session.set(AUTHN, { methods: [...new Set([...before, ...identity.methods])], at: identity.authnInstant });
      await recordAudit(this.deps.db, {
        at: now,
        accountRef: null,
        event: 'login.succeeded',
        detail: {
          method: identity.methods.join('+'),
          loa: identity.loa,
          source: identity.source,
          account: false,
          ...(temporary ? { temporary: true } : {}),
        },
      });
    }
    if (session.get<string>(SID) === undefined) session.set(SID, randomBytes(16).toString('base64url'));
    this.deps.log.info(
      { method: identity.methods, loa: identity.loa, account: identity.accountId !== undefined, temporary: identity.temporary === true },
      'login',
    );

    const request = findRequest(session, requestId, now);
    if (!request) {
      ctx.redirect(safeLocalPath(session.take<string>(RETURN_TO), '/konto'));
      return;
    }
    markAuthenticated(session, request.id, identity.consentByPartner === true);
    const reached = session.loa;
    if (reached === undefined || !loaSatisfies(reached, request.minLoa)) {
      const t = loginText(ctx.state.lang);
      this.renderPage(
        ctx,
        {},
        403,
        request,
        fmt(t.levelNotReached, { reached: levelWord(ctx.state.lang, identity.loa), needed: levelWord(ctx.state.lang, request.minLoa) }),
      );
      return;
    }
    await this.proceed(ctx, { ...request, forceAuthn: false, ...(identity.consentByPartner ? { consentByPartner: true } : {}) });
  }

  /** Logged in at a sufficient level: consent if needed, then answer. */
  private async proceed(ctx: HubContext, request: AuthnRequestContext): Promise<void> {
    const session = ctx.state.session;
    const portal = this.portal(request.portalId);
    const attributes = await this.sessionAttributes(session);
    if (!attributes || !portal) return this.fail(ctx, request, 'access_denied', 'portal or account gone');
    const plan = planRelease(portal.attributes, request, attributes);
    if (!plan.ok) return this.fail(ctx, request, 'attribute_unavailable', `missing required ${plan.missing.join(', ')}`);
    // DECISIONS 7: the partner asked the citizen, naming this portal; the hub does not ask again,
    // and keeps that consent like its own (listed for revocation; OIDC claims are read against it).
    if (request.consentByPartner) await this.saveSessionConsent(session, portal.id, plan.names);
    else if (!(await this.sessionHasConsent(session, portal.id, plan.names))) {
      if (request.isPassive) return this.fail(ctx, request, 'access_denied', 'consent needed but request is passive');
      ctx.redirect(`/anmelden/einwilligung?auftrag=${encodeURIComponent(request.id)}`);
      return;
    }
    await this.deliver(ctx, request, portal, pick(attributes, plan.names));
  }

  /** Builds the released identity and hands it to the edge. */
  async deliver(
    ctx: HubContext,
    request: AuthnRequestContext,
    portal: PortalConfig,
    attributes: ReleasedIdentity['attributes'],
  ): Promise<void> {
    const session = ctx.state.session;
    const now = this.deps.clock.now();
    const accountId = session.accountId;
    const principal = session.principalId as string;
    const authn = session.get<{ methods: AuthnMethod[]; at: number }>(AUTHN) ?? { methods: [], at: now };
    const temporary = this.isTemporarySession(session);
    const identity: ReleasedIdentity = {
      accountId: principal,
      loa: session.loa as Loa,
      methods: authn.methods,
      authnInstant: authn.at,
      attributes,
      pairwiseId: await this.sessionPseudonym(session, portal.sector, now),
      sessionIndex: session.get<string>(SID) ?? '',
      ...(temporary ? { temporary: true } : {}),
    };
    this.forgetRequest(session, request.id);
    // What was sent to whom and when: attribute names, never values.
    await recordAudit(this.deps.db, {
      at: now,
      accountRef: accountId === undefined ? null : this.deps.accounts.accountRef(accountId),
      event: 'data.released',
      detail: {
        portal: portal.id,
        protocol: request.protocol,
        loa: identity.loa,
        attributes: Object.keys(attributes),
        ...(temporary ? { temporary: true } : {}),
      },
    });
    await countPortalLogin(this.deps.db, portal.id, now);
    const edge = this.edgeFor(request.protocol);
    const data = await edge.answer(ctx, request, { ok: true, identity });
    // A temporary login ends once its answer went to the portal (issue 9). A SAML answer carries
    // everything; an OpenID Connect portal still redeems the code, whose token endpoint reads the
    // identity from this session: the OIDC edge ends it right after that token response
    // (endTemporaryPrincipal), or logout or the TR-03160 timeouts do, whichever comes first.
    if (temporary && request.protocol === 'saml') {
      this.endTemporary(session);
      return;
    }
    this.recordParticipation(session, {
      portalId: portal.id,
      protocol: request.protocol,
      sessionIndex: identity.sessionIndex,
      pairwiseId: identity.pairwiseId,
      at: now,
      data: data ?? {},
    });
  }

  /** The request is answered: drop it, and the way back to its login page. */
  private forgetRequest(session: Session, id: string): void {
    dropRequest(session, id);
    if (session.get<string>(RETURN_TO) === `/anmelden?auftrag=${encodeURIComponent(id)}`) session.delete(RETURN_TO);
  }

  async fail(ctx: HubContext, request: AuthnRequestContext, error: LoginFailure, detail?: string): Promise<void> {
    this.forgetRequest(ctx.state.session, request.id);
    this.deps.log.info({ portal: request.portalId, error, detail }, 'portal request not fulfilled');
    await this.edgeFor(request.protocol).answer(ctx, request, { ok: false, error, ...(detail ? { detail } : {}) });
  }

  private edgeFor(protocol: PortalProtocol): PortalEdge {
    const edge = this.edges.get(protocol);
    if (!edge) throw new Error(`no edge registered for ${protocol}`);
    return edge;
  }

  private recordParticipation(session: Session, p: Participation): void {
    const list = (session.get<Participation[]>(PARTICIPATIONS) ?? []).filter(
      (x) => !(x.portalId === p.portalId && x.protocol === p.protocol),
    );
    session.set(PARTICIPATIONS, [...list, p]);
  }

  participations(session: Session): readonly Participation[] {
    return session.get<Participation[]>(PARTICIPATIONS) ?? [];
  }

  /** How the citizen of this session authenticated (the methods behind its current level). */
  sessionMethods(session: Session): readonly AuthnMethod[] {
    return session.get<{ methods: AuthnMethod[] }>(AUTHN)?.methods ?? [];
  }

  findOpenRequest(ctx: HubContext, id: string | undefined): AuthnRequestContext | undefined {
    return findRequest(ctx.state.session, id, this.deps.clock.now());
  }

  // ---- the principal: an account, or a login without one (DECISIONS 8) -------------------

  /** The attributes of whoever is logged in: the account's, or what the partner sent for this session. */
  async sessionAttributes(session: Session): Promise<Attributes | undefined> {
    if (session.accountId !== undefined) return this.deps.accounts.attributes(session.accountId);
    if (session.subject !== undefined) return session.get<AccountlessIdentity>(ACCOUNTLESS)?.attributes;
    return undefined;
  }

  /** A stored consent for exactly these attributes (in the session, without an account). */
  async sessionHasConsent(session: Session, portalId: string, names: readonly string[]): Promise<boolean> {
    if (session.accountId !== undefined) return hasConsent(this.deps.db, session.accountId, portalId, names);
    const given = session.get<AccountlessIdentity>(ACCOUNTLESS)?.consents[portalId];
    return given !== undefined && [...new Set(given)].sort().join(',') === [...new Set(names)].sort().join(',');
  }

  /** Records a consent: in the store for an account, in the session otherwise (nothing is stored). */
  async saveSessionConsent(session: Session, portalId: string, names: readonly string[]): Promise<void> {
    if (session.accountId !== undefined) {
      await saveConsent(this.deps.db, session.accountId, portalId, names, this.deps.clock.now());
      return;
    }
    const current = session.get<AccountlessIdentity>(ACCOUNTLESS);
    if (current) session.set(ACCOUNTLESS, { ...current, consents: { ...current.consents, [portalId]: [...names] } });
  }

  /** The identifier a portal's sector sees: the account's pairwise id, or the pseudonym of DECISIONS 8. */
  async sessionPseudonym(session: Session, sector: string, now: number): Promise<string> {
    if (session.accountId !== undefined) return pairwiseId(this.deps.db, session.accountId, sector, now);
    const accountless = session.get<AccountlessIdentity>(ACCOUNTLESS);
    if (!accountless || session.subject === undefined) throw new Error('no principal in this session');
    return this.pseudonymOf(session.subject, accountless, sector);
  }

  /**
   * Without an account: a temporary login's identifier is derived from its random principal, so
   * it holds for this session only and is never reused (issue 9); a partner's citizen gets the
   * stable pseudonym of DECISIONS 8.
   */
  private pseudonymOf(principal: string, accountless: AccountlessIdentity, sector: string): string {
    if (accountless.temporary === true) return temporaryPseudonym(this.deps.pseudonymKey, principal, sector);
    if (!accountless.subject) throw new Error('a login without an account needs a subject');
    return accountlessPseudonym(this.deps.pseudonymKey, accountless.subject, sector);
  }

  /** The live session rows of a principal (an account's, or the one of a login without an account). */
  async principalSessions(principalId: string): Promise<SessionRecord[]> {
    return isAccountlessPrincipal(principalId)
      ? loadSubjectSessions(this.deps.db, principalId)
      : loadAccountSessions(this.deps.db, principalId);
  }

  /**
   * What edges that issue data later (OpenID Connect userinfo, refresh) need about a principal:
   * its attributes, its consent for a portal, its identifier for a sector. For a login without
   * an account they come from its session row, so they end with it.
   */
  async principalAttributes(principalId: string): Promise<Attributes | undefined> {
    if (!isAccountlessPrincipal(principalId)) {
      const account = await this.deps.accounts.findById(principalId);
      return account && account.status === 'active' ? this.deps.accounts.attributes(principalId) : undefined;
    }
    return this.accountlessOf(principalId).then((a) => a?.attributes);
  }

  async principalConsent(principalId: string, portalId: string): Promise<readonly string[] | undefined> {
    if (!isAccountlessPrincipal(principalId)) return (await findConsent(this.deps.db, principalId, portalId))?.attributes;
    return (await this.accountlessOf(principalId))?.consents[portalId];
  }

  async principalPseudonym(principalId: string, sector: string, now: number): Promise<string> {
    if (!isAccountlessPrincipal(principalId)) return pairwiseId(this.deps.db, principalId, sector, now);
    const accountless = await this.accountlessOf(principalId);
    if (!accountless) throw new Error('the session of this principal has ended');
    return this.pseudonymOf(principalId, accountless, sector);
  }

  /**
   * Ends a temporary login from outside its browser (issue 9): an OpenID Connect portal has
   * redeemed its code, so the answer has gone to the portal. Its session row(s), and with them
   * the identity, are deleted; the browser's next request starts an empty anonymous session.
   */
  async endTemporaryPrincipal(principalId: string): Promise<void> {
    if (!isTemporaryPrincipal(principalId)) return;
    for (const record of await loadSubjectSessions(this.deps.db, principalId)) await deleteSession(this.deps.db, record.idHash);
  }

  private async accountlessOf(principalId: string): Promise<AccountlessIdentity | undefined> {
    const now = this.deps.clock.now();
    for (const record of await loadSubjectSessions(this.deps.db, principalId)) {
      if (currentLevel(record.levels, record.lastSeenAt, now) === undefined) continue;
      const found = record.data[ACCOUNTLESS] as AccountlessIdentity | undefined;
      if (found) return found;
    }
    return undefined;
  }

  // ---- pages ---------------------------------------------------------------------------

  /** The login page; with a portal request it names the portal and the level it needs. */
  renderPage(
    ctx: HubContext,
    views: Readonly<Record<string, MethodView>> = {},
    status = 200,
    request?: AuthnRequestContext,
    problem?: string,
  ): void {
    const lang = ctx.state.lang;
    const t = loginText(lang);
    const temporary = request?.temporary === true;
    const { offered, withheld } = this.partitionMethods(request);
    const portalName = request ? (request.organizationDisplayName ?? this.portalName(request.portalId, lang)) : undefined;
    const current = temporary ? undefined : ctx.state.session.loa;
    // Whatever the citizen does first (register, recover a password), they come back to this portal's login.
    if (request) ctx.state.session.set(RETURN_TO, `/anmelden?auftrag=${encodeURIComponent(request.id)}`);
    const auftrag = request ? html`<input type="hidden" name="auftrag" value="${request.id}" />` : '';
    // Next to the normal login where the portal allows it; with a choice of the methods that need no account.
    const temporaryChoice =
      request && !temporary && this.temporaryOffered(request)
        ? html`<section aria-labelledby="temporary-title" class="method-temporary">
            <h2 id="temporary-title">${t.temporaryTitle}</h2>
            <p>${t.temporaryIntro}</p>
            <form method="post" action="/anmelden/temporaer">
              ${csrfField(ctx)}${auftrag}
              <div class="actions"><button type="submit" class="secondary">${t.temporaryTitle}</button></div>
            </form>
          </section>`
        : '';
    const backToAccount =
      request && temporary && this.accountMode(request) === 'both'
        ? html`<form method="post" action="/anmelden/temporaer">
            ${csrfField(ctx)}${auftrag}<input type="hidden" name="modus" value="konto" />
            <button type="submit" class="secondary">${t.temporaryBack}</button>
          </form>`
        : '';
    const title = temporary ? t.temporaryTitle : t.title;
    renderPage(ctx, {
      title,
      status,
      main: html`<h1>${title}</h1>
        ${temporary ? html`<p>${t.temporaryExplained}</p>` : ''}
        ${
          request
            ? html`<div class="notice" role="status">
                <p>${fmt(t.forPortal, { portal: portalName ?? '' })}</p>
                <p>${fmt(t.levelNeeded, { level: levelWord(lang, request.minLoa) })}</p>
                ${
                  current !== undefined && !loaSatisfies(current, request.minLoa)
                    ? html`<p>${fmt(t.stepUp, { current: levelWord(lang, current) })}</p>`
                    : ''
                }
              </div>`
            : html`<p>${t.intro}</p>`
        }
        ${problem ? html`<div class="error-summary" role="alert"><p>${problem}</p></div>` : ''}
        ${offered.map((m) => m.render(ctx, { ...(views[m.id] ?? {}), requestId: request?.id }))} ${temporaryChoice}
        ${
          request && withheld.length > 0
            ? html`<h2>${t.withheldTitle}</h2>
                <ul>
                  ${withheld.map((m) => html`<li>${m.describeLimit?.(lang) ?? m.id}</li>`)}
                </ul>`
            : ''
        }
        ${
          temporary
            ? backToAccount
            : html`<h2>${t.noAccount}</h2>
                <p>
                  <a
                    class="button secondary"
                    href="${request ? `/registrieren?auftrag=${encodeURIComponent(request.id)}` : '/registrieren'}"
                    >${t.register}</a
                  >
                </p>`
        }
        ${
          request
            ? html`<form method="post" action="/anmelden/abbrechen">
                ${csrfField(ctx)}<input type="hidden" name="auftrag" value="${request.id}" />
                <button type="submit" class="secondary">${fmt(t.cancel, { portal: portalName ?? '' })}</button>
              </form>`
            : ''
        }`,
    });
  }

  registerRoutes(router: HubRouter): void {
    router.get('/anmelden', async (ctx) => {
      const id = typeof ctx.query.auftrag === 'string' ? ctx.query.auftrag : undefined;
      if (id === undefined) {
        if (ctx.state.session.loa !== undefined) return ctx.redirect(safeLocalPath(ctx.state.session.take<string>(RETURN_TO), '/konto'));
        // Back from registering on the way to a portal: continue that portal's login.
        const back = ctx.state.session.get<string>(RETURN_TO);
        if (
          back?.startsWith('/anmelden?auftrag=') &&
          this.findOpenRequest(ctx, new URLSearchParams(back.slice(10)).get('auftrag') ?? undefined)
        ) {
          ctx.state.session.delete(RETURN_TO);
          return ctx.redirect(back);
        }
        return this.renderPage(ctx);
      }
      const request = this.findOpenRequest(ctx, id);
      if (!request) return this.renderExpired(ctx);
      if (!request.forceAuthn && this.sessionSatisfies(ctx.state.session, request)) return this.proceed(ctx, request);
      this.renderPage(ctx, {}, 200, request);
    });

    // "Temporär anmelden" (issue 9): the request is served without an account; `modus=konto` goes back.
    router.post('/anmelden/temporaer', async (ctx) => {
      const request = this.findOpenRequest(ctx, ctx.state.form.get('auftrag'));
      if (!request) return this.renderExpired(ctx);
      const wanted = ctx.state.form.get('modus') !== 'konto';
      if (wanted && !this.temporaryOffered(request)) throw new HubError('bad_request', 'temporary login is not offered for this request');
      if (!wanted && this.accountMode(request) === 'temporary')
        throw new HubError('bad_request', 'this portal allows temporary logins only');
      const { temporary: _was, ...rest } = request;
      saveRequest(ctx.state.session, wanted ? { ...rest, temporary: true } : rest, this.deps.clock.now());
      ctx.redirect(`/anmelden?auftrag=${encodeURIComponent(request.id)}`);
    });

    router.post('/anmelden/abbrechen', async (ctx) => {
      const request = this.findOpenRequest(ctx, ctx.state.form.get('auftrag'));
      if (!request) return this.renderExpired(ctx);
      await this.fail(ctx, request, 'access_denied', 'cancelled by the citizen');
    });

    // A session through a partner without an account here has no account pages (web/guards.ts).
    router.get(ACCOUNTLESS_PAGE, async (ctx) => {
      const session = ctx.state.session;
      const accountless = session.get<AccountlessIdentity>(ACCOUNTLESS);
      if (session.subject === undefined || !accountless) return ctx.redirect(session.loa === undefined ? '/anmelden' : '/konto');
      const lang = ctx.state.lang;
      const t = loginText(lang);
      const subject = accountless.subject;
      const partner = subject ? (this.upstreamLogout?.partnerName(subject.partnerId, lang) ?? subject.partnerId) : '';
      const temporary = accountless.temporary === true;
      const title = temporary ? t.temporaryTitle : fmt(t.accountlessTitle, { partner });
      renderPage(ctx, {
        title,
        main: html`<h1>${title}</h1>
          <p>${temporary ? t.temporarySessionText : fmt(t.accountlessText, { partner })}</p>
          <p>${temporary ? t.temporarySessionData : fmt(t.accountlessData, { partner })}</p>
          ${attributeList(lang, accountless.attributes)}
          <form method="post" action="/abmelden">
            ${csrfField(ctx)}<button type="submit" class="primary">${frameText(lang).logout}</button>
          </form>`,
      });
    });

    router.post('/abmelden', async (ctx) => {
      await this.logout(ctx);
    });

    router.get('/abmelden/weiter', async (ctx) => {
      await this.continueLogout(ctx);
    });
  }

  renderExpired(ctx: HubContext): void {
    const t = loginText(ctx.state.lang);
    renderPage(ctx, {
      title: t.expiredTitle,
      status: 400,
      main: html`<h1>${t.expiredTitle}</h1>
        <p>${t.expiredText}</p>`,
    });
  }

  // ---- logout (DECISIONS 5) ------------------------------------------------------------

  /** Ends the SSO session and tells every portal of it, one after another. */
  async logout(ctx: HubContext, initiator?: LogoutInitiator): Promise<void> {
    const session = ctx.state.session;
    const accountId = session.accountId;
    const pending = this.participations(session).filter(
      (p) => !(initiator && p.portalId === initiator.portalId && p.protocol === initiator.protocol),
    );
    // The partner is told too, unless it is the one that asked.
    const upstream = initiator?.protocol === 'upstream' ? undefined : this.upstreamLogin(session);
    session.restart();
    if (accountId !== undefined) await this.deps.accounts.recordLogout(accountId);
    const state: LogoutState = { pending, unreachable: [], ...(upstream ? { upstream } : {}), ...(initiator ? { initiator } : {}) };
    session.set(LOGOUT, state);
    await this.continueLogout(ctx);
  }

  /** A front-channel logout step came back (from the edge's logout response endpoint). */
  async logoutStepDone(ctx: HubContext, reached: boolean): Promise<void> {
    const state = ctx.state.session.get<LogoutState>(LOGOUT);
    if (state?.current && !reached) state.unreachable.push(this.portalName(state.current.portalId, ctx.state.lang));
    if (state?.upstreamCurrent && state.upstream && !reached) {
      state.unreachable.push(this.upstreamLogout?.partnerName(state.upstream.partnerId, ctx.state.lang) ?? state.upstream.partnerId);
    }
    if (state) {
      delete state.current;
      if (state.upstreamCurrent) delete state.upstream;
      delete state.upstreamCurrent;
      ctx.state.session.set(LOGOUT, state);
    }
    await this.continueLogout(ctx);
  }

  private async continueLogout(ctx: HubContext): Promise<void> {
    const session = ctx.state.session;
    const state = session.get<LogoutState>(LOGOUT);
    if (!state) return this.renderLoggedOut(ctx, []);
    for (;;) {
      const next = state.pending.shift();
      if (!next) break;
      const edge = this.edges.get(next.protocol);
      if (!edge?.notifyLogout) continue;
      let notice: LogoutNotice;
      try {
        notice = await edge.notifyLogout(ctx, next);
      } catch (err) {
        this.deps.log.warn({ err, portal: next.portalId }, 'logout notification failed');
        notice = { kind: 'done', reached: false };
      }
      if (notice.kind === 'redirect') {
        session.set(LOGOUT, { ...state, current: next });
        ctx.redirect(notice.url);
        return;
      }
      if (!notice.reached) state.unreachable.push(this.portalName(next.portalId, ctx.state.lang));
    }
    // Last, the partner the session rested on (its own logout page may end the journey there).
    const upstream = state.upstream;
    if (upstream && this.upstreamLogout) {
      let notice: LogoutNotice;
      try {
        notice = await this.upstreamLogout.notifyLogout(ctx, upstream);
      } catch (err) {
        this.deps.log.warn({ err, partner: upstream.partnerId }, 'logout notification of the partner failed');
        notice = { kind: 'done', reached: false };
      }
      if (notice.kind === 'redirect') {
        session.set(LOGOUT, { ...state, upstreamCurrent: true });
        ctx.redirect(notice.url);
        return;
      }
      if (!notice.reached) state.unreachable.push(this.upstreamLogout.partnerName(upstream.partnerId, ctx.state.lang));
      delete state.upstream;
    }
    session.delete(LOGOUT);
    if (state.initiator?.protocol === 'upstream' && this.upstreamLogout) {
      return this.upstreamLogout.finishLogout(ctx, state.initiator, state.unreachable);
    }
    if (state.initiator && state.initiator.protocol !== 'upstream') {
      const edge = this.edges.get(state.initiator.protocol);
      if (edge?.finishLogout) return edge.finishLogout(ctx, state.initiator, state.unreachable);
    }
    this.renderLoggedOut(ctx, state.unreachable);
  }

  /** Sessions ended outside a browser (password reset, deletion): back-channel notices only. */
  async notifyEndedSessions(ended: readonly { data: Readonly<Record<string, unknown>> }[]): Promise<void> {
    for (const s of ended) {
      for (const p of (s.data[PARTICIPATIONS] as Participation[] | undefined) ?? []) {
        const edge = this.edges.get(p.protocol);
        if (!edge?.notifyLogout) continue;
        await edge
          .notifyLogout(undefined, p)
          .catch((err: unknown) => this.deps.log.warn({ err, portal: p.portalId }, 'logout notification failed'));
      }
    }
  }

  renderLoggedOut(ctx: HubContext, unreachable: readonly string[], back?: { url: string; portal: string }): void {
    renderLoggedOutPage(ctx, unreachable, back);
  }
}

/** After a logout: parties that could not be told, and the way back (to a portal that asked, or to log in). */
export function renderLoggedOutPage(ctx: HubContext, unreachable: readonly string[], back?: { url: string; portal: string }): void {
  const t = loginText(ctx.state.lang);
  renderPage(ctx, {
    title: t.loggedOutTitle,
    main: html`<h1>${t.loggedOutTitle}</h1>
      <p>${t.loggedOutText}</p>
      ${
        unreachable.length > 0
          ? html`<div class="error-summary" role="alert">
              <p>${t.unreachable}</p>
              <ul>
                ${unreachable.map((name) => html`<li>${name}</li>`)}
              </ul>
            </div>`
          : ''
      }
      ${
        back
          ? html`<p><a class="button" href="${back.url}">${fmt(t.backToPortal, { portal: back.portal })}</a></p>`
          : html`<p><a class="button" href="/anmelden">${t.loginAgain}</a></p>`
      }`,
  });
}

/**
 * The per-portal pseudonym of a login through a partner without an account here (DECISIONS 8):
 * stable for partner, the partner's NameID and the portal's sector, computed with the hub's
 * dedicated pseudonym secret (never a signing key), unlinkable across sectors.
 */
export function accountlessPseudonym(key: Buffer, subject: FederatedSubject, sector: string): string {
  const h = createHmac('sha256', key);
  for (const part of ['servicekonto-pseudonym-v1', subject.partnerId, subject.nameId, sector])
    h.update(`${Buffer.byteLength(part)}:${part}`);
  return h.digest('hex').slice(0, 40);
}

/**
 * The identifier a portal's sector sees after a temporary login (issue 9): derived from the
 * login's random principal, so it lives as long as that session and is never seen again.
 */
export function temporaryPseudonym(key: Buffer, principal: string, sector: string): string {
  const h = createHmac('sha256', key);
  for (const part of ['servicekonto-temporary-v1', principal, sector]) h.update(`${Buffer.byteLength(part)}:${part}`);
  return h.digest('hex').slice(0, 40);
}

/** Attributes with their names as citizens read them. */
function attributeList(lang: Lang, attributes: Attributes): Html {
  const names = Object.keys(attributes) as (keyof Attributes)[];
  return html`<dl class="review">
    ${names.map(
      (n) =>
        html`<dt>${attributeLabel(lang, n)}</dt>
          <dd>${attributes[n]?.value ?? ''}</dd>`,
    )}
  </dl>`;
}

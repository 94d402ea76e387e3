import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { SensitiveAction } from '../../accounts/service.ts';
import { germanDate, type Clock } from '../../core/clock.ts';
import { formatLoa } from '../../core/loa.ts';
import type { RateRule } from '../../core/throttle.ts';
import type { Db } from '../../store/db.ts';
import { finishTransaction, insertTransaction, purgeEidTransactions, takeTcToken } from '../../store/eid.ts';
import { keyedHash } from '../../store/keyed-hash.ts';
import { takeAttempt } from '../../store/throttle.ts';
import type { HubRouter } from '../../web/app.ts';
import type { HubContext } from '../../web/context.ts';
import { evaluateCard, type CardIdentity, type CardProblem } from './card-data.ts';
import { EidLinkError, EidServerError, type EidServerClient } from './client.ts';
import { RESULT_MINOR, tcTokenXml, type UseIdRequest } from './soap-messages.ts';
import { renderContinue } from '../../web/layout.ts';
import { eidText } from './texts.ts';

/**
 * One online authentication with the ID card, the way TR-03130 and TR-03124 draw it: the hub
 * opens a session at the eID-Server (useID), sends the browser to the eID-Client (AusweisApp)
 * with a tcTokenURL, hands the TC Token (with the PSK) to the eID-Client when it asks (without the
 * browser's cookies, hence a store row), and when the browser comes back to the RefreshAddress
 * fetches the result (getResult) and passes it to whoever started the flow: login, registration,
 * adding a card, or a fresh confirmation before a sensitive change.
 *
 * Session binding (TR-03124-1 2.7): the RefreshAddress carries a secret that only the eID-Client
 * learnt (inside the TC Token), and it works only in the browser session that started the flow,
 * once. Someone who hands a victim their tcTokenURL can neither finish the victim's
 * authentication in their own browser nor have it finished in the victim's.
 */

export type EidPurpose = 'login' | 'register' | 'upgrade' | 'reauth';

export interface EidIntent {
  readonly purpose: EidPurpose;
  /** login: the portal request being served (`auftrag`). */
  readonly requestId?: string | undefined;
  /** upgrade, reauth: the account the card must belong to. */
  readonly accountId?: string | undefined;
  /** reauth: the change that waits for it. */
  readonly action?: SensitiveAction | undefined;
}

interface PendingEid extends EidIntent {
  readonly refHash: string;
  readonly sessionId: string;
  readonly startedAt: number;
}

export type EidFailure =
  | 'cancelled'
  | 'invalidDocument'
  | 'deniedDocument'
  | 'tooYoung'
  | 'expired'
  | 'incomplete'
  | 'busy'
  | 'technical'
  | 'notFound'
  | 'throttled';

export type EidOutcome =
  { readonly ok: true; readonly card: CardIdentity } | { readonly ok: false; readonly failure: EidFailure; readonly waitMs?: number };

export type OutcomeHandler = (ctx: HubContext, intent: EidIntent, outcome: EidOutcome) => Promise<void>;

export interface EidFlowDeps {
  readonly db: Db;
  readonly client: EidServerClient;
  readonly clock: Clock;
  readonly log: Logger;
  readonly hmacKey: Buffer;
  readonly publicUrl: string;
  /** The eID-Client address (the simulator's while it runs). */
  readonly clientUrl: () => string;
  /** The eCard-API address for the TC Token when useID names none (a static eID-Server address). */
  readonly eCardServerUrl: string;
  readonly transactionMs: number;
  readonly minimumAge: number;
  readonly startsPerAddress: RateRule;
}

const PENDING = 'eid.pending';

/** What the hub asks of every card: all it stores, the pseudonym, the age, at level "hoch". */
export function eidRequest(minimumAge: number): UseIdRequest {
  return {
    operations: {
      DocumentType: 'REQUIRED',
      IssuingState: 'REQUIRED',
      DateOfExpiry: 'REQUIRED',
      GivenNames: 'REQUIRED',
      FamilyNames: 'REQUIRED',
      ArtisticName: 'ALLOWED',
      AcademicTitle: 'ALLOWED',
      DateOfBirth: 'REQUIRED',
      PlaceOfBirth: 'REQUIRED',
      Nationality: 'REQUIRED',
      BirthName: 'ALLOWED',
      PlaceOfResidence: 'REQUIRED',
      RestrictedID: 'REQUIRED',
      AgeVerification: 'REQUIRED',
    },
    ageVerification: minimumAge,
    levelOfAssurance: formatLoa('bsi', 'high'),
  };
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

const CARD_FAILURE: Readonly<Record<CardProblem, EidFailure>> = {
  incomplete: 'incomplete',
  tooYoung: 'tooYoung',
  expired: 'expired',
  levelTooLow: 'deniedDocument',
  inconsistent: 'technical',
};

/** What an error of the eID link means for the citizen. */
export function failureOf(err: unknown): EidFailure | undefined {
  if (err instanceof EidServerError) {
    switch (err.result.minor) {
      case RESULT_MINOR.cancellationByUser:
        return 'cancelled';
      case RESULT_MINOR.invalidDocument:
        return 'invalidDocument';
      case RESULT_MINOR.deniedDocument:
        return 'deniedDocument';
      case RESULT_MINOR.tooManyOpenSessions:
        return 'busy';
      case RESULT_MINOR.invalidSession:
        return 'notFound';
      default:
        return 'technical';
    }
  }
  if (err instanceof EidLinkError) return 'technical';
  return undefined;
}

export class EidFlow {
  private readonly handlers = new Map<EidPurpose, OutcomeHandler>();
  readonly request: UseIdRequest;

  constructor(private readonly deps: EidFlowDeps) {
    this.request = eidRequest(deps.minimumAge);
  }

  on(purpose: EidPurpose, handler: OutcomeHandler): void {
    this.handlers.set(purpose, handler);
  }

  private async finish(ctx: HubContext, intent: EidIntent, outcome: EidOutcome): Promise<void> {
    const handler = this.handlers.get(intent.purpose);
    if (!handler) throw new Error(`no eID handler for ${intent.purpose}`);
    await handler(ctx, intent, outcome);
  }

  private logFailure(ctx: HubContext, err: unknown, step: string): void {
    if (err instanceof EidServerError) {
      ctx.state.log.info({ step, major: err.result.major, minor: err.result.minor }, 'eID-Server reported an error');
    } else if (err instanceof EidLinkError) {
      ctx.state.log.warn({ step, problem: err.problem, detail: err.message }, 'eID link failed');
    }
  }

  /** Opens a session at the eID-Server and sends the browser to the eID-Client. */
  async start(ctx: HubContext, intent: EidIntent): Promise<void> {
    const { deps } = this;
    const now = deps.clock.now();
    const verdict = await takeAttempt(
      deps.db,
      keyedHash(deps.hmacKey, 'throttle', 'eidStart', ctx.state.clientIp),
      deps.startsPerAddress,
      now,
    );
    if (!verdict.allowed) return this.finish(ctx, intent, { ok: false, failure: 'throttled', waitMs: verdict.retryAt - now });
    let session;
    try {
      session = await deps.client.useId(this.request);
    } catch (err) {
      const failure = failureOf(err);
      if (!failure) throw err;
      this.logFailure(ctx, err, 'useID');
      return this.finish(ctx, intent, { ok: false, failure });
    }
    const serverAddress = session.eCardServerAddress ?? deps.eCardServerUrl;
    if (serverAddress === '') {
      ctx.state.log.error('the eID-Server named no eCardServerAddress and eid.eCardServerUrl is empty');
      return this.finish(ctx, intent, { ok: false, failure: 'technical' });
    }
    const ref = randomBytes(32).toString('base64url');
    const refHash = sha256(ref);
    await purgeEidTransactions(deps.db, now);
    await insertTransaction(deps.db, {
      refHash,
      serverAddress,
      pskId: session.psk.id,
      pskKey: session.psk.key,
      createdAt: now,
      expiresAt: now + deps.transactionMs,
    });
    const pending: PendingEid = { ...intent, refHash, sessionId: session.sessionId, startedAt: now };
    ctx.state.session.set(PENDING, pending);
    const target = new URL(deps.clientUrl());
    target.searchParams.set('tcTokenURL', `${deps.publicUrl.replace(/\/$/, '')}/eid/tctoken?ref=${ref}`);
    // Not a redirect: this answers a form post, and Chromium would hold the redirect to the
    // eID-Client (another origin) to the form page's `form-action 'self'`.
    const t = eidText(ctx.state.lang);
    renderContinue(ctx, { url: target.toString(), title: t.continueTitle, text: t.continueText, button: t.continueButton });
  }

  private async result(ctx: HubContext, sessionId: string): Promise<EidOutcome> {
    const { deps } = this;
    for (let counter = 1; ; counter++) {
      try {
        const result = await deps.client.getResult(sessionId, counter);
        const evaluated = evaluateCard(result, this.request, { today: germanDate(deps.clock.now()), minimumAge: deps.minimumAge });
        if (evaluated.ok) return { ok: true, card: evaluated.card };
        ctx.state.log.info({ problem: evaluated.problem, detail: evaluated.detail }, 'ID card refused');
        return { ok: false, failure: CARD_FAILURE[evaluated.problem] };
      } catch (err) {
        // The eID-Client may report back before the eID-Server has the result: ask again.
        if (err instanceof EidServerError && err.result.minor === RESULT_MINOR.noResultYet && counter < 4) {
          await new Promise((r) => setTimeout(r, 250 * counter));
          continue;
        }
        const failure = failureOf(err);
        if (!failure) throw err;
        this.logFailure(ctx, err, 'getResult');
        return { ok: false, failure };
      }
    }
  }

  registerRoutes(router: HubRouter): void {
    const { deps } = this;
    const base = deps.publicUrl.replace(/\/$/, '');

    // Fetched by the eID-Client, not the browser: no session, one use.
    router.get('/eid/tctoken', async (ctx) => {
      const ref = typeof ctx.query.ref === 'string' ? ctx.query.ref : '';
      ctx.set('Cache-Control', 'no-store');
      const secret = randomBytes(32).toString('base64url');
      const taken = /^[A-Za-z0-9_-]{43}$/.test(ref) ? await takeTcToken(deps.db, sha256(ref), sha256(secret), deps.clock.now()) : undefined;
      if (!taken) {
        ctx.status = 404;
        ctx.type = 'text/plain; charset=utf-8';
        ctx.body = 'unknown, used or expired TC Token';
        return;
      }
      ctx.type = 'text/xml; charset=utf-8';
      ctx.body = tcTokenXml({
        serverAddress: taken.serverAddress,
        sessionIdentifier: taken.pskId,
        refreshAddress: `${base}/anmelden/ausweis/zurueck?ref=${ref}&k=${secret}`,
        communicationErrorAddress: `${base}/anmelden/ausweis/fehler`,
        psk: taken.pskKey,
      });
    });

    router.get('/anmelden/ausweis/zurueck', async (ctx) => {
      const pending = ctx.state.session.take<PendingEid>(PENDING);
      const ref = typeof ctx.query.ref === 'string' ? ctx.query.ref : '';
      const secret = typeof ctx.query.k === 'string' ? ctx.query.k : '';
      const fallback: EidIntent = { purpose: 'login' };
      if (!pending || !sameHash(sha256(ref), pending.refHash)) {
        ctx.state.log.info('eID return without a matching flow in this session');
        return this.finish(ctx, pending ?? fallback, { ok: false, failure: 'notFound' });
      }
      const tx = await finishTransaction(deps.db, pending.refHash, deps.clock.now());
      if (!tx || tx.refreshHash === null || !sameHash(sha256(secret), tx.refreshHash)) {
        ctx.state.log.info('eID return with an unknown, expired or wrong refresh secret');
        return this.finish(ctx, pending, { ok: false, failure: 'notFound' });
      }
      // The result comes from the eID-Server alone; what the eID-Client appended to the address
      // (ResultMajor/ResultMinor, TR-03124-1 2.5.4) only names a cancellation the server left vague.
      let outcome = await this.result(ctx, pending.sessionId);
      if (!outcome.ok && outcome.failure === 'technical' && ctx.query.ResultMinor === 'cancellationByUser') {
        outcome = { ok: false, failure: 'cancelled' };
      }
      await this.finish(ctx, pending, outcome);
    });

    // The eID-Client could not reach the eID-Server at all (TR-03124-1 CommunicationErrorAddress).
    router.get('/anmelden/ausweis/fehler', async (ctx) => {
      const pending = ctx.state.session.take<PendingEid>(PENDING);
      if (pending) await finishTransaction(deps.db, pending.refHash, deps.clock.now());
      await this.finish(ctx, pending ?? { purpose: 'login' }, { ok: false, failure: pending ? 'technical' : 'notFound' });
    });
  }
}

import type { Logger } from 'pino';
import { attributeLabel } from '../../accounts/messages.ts';
import type { AccountService } from '../../accounts/service.ts';
import type { AttributeName } from '../../core/attributes.ts';
import type { Clock } from '../../core/clock.ts';
import type { Identity } from '../../core/identity.ts';
import type { Login } from '../../login/login.ts';
import type { Mailer } from '../../mail/mailer.ts';
import type { Account } from '../../store/accounts.ts';
import { readAttributes, writeAttributes } from '../../store/accounts.ts';
import { recordAudit } from '../../store/audit.ts';
import type { Db } from '../../store/db.ts';
import { bindCard, restrictedIdHash, touchBinding } from '../../store/eid.ts';
import type { HubContext } from '../../web/context.ts';
import { fmt, formatDateTime, type Lang } from '../../web/i18n.ts';
import { waitWords } from '../../web/messages.ts';
import type { Session } from '../../web/session.ts';
import { planCardUpdate, type CardIdentity } from './card-data.ts';
import type { EidFailure, EidFlow, EidOutcome } from './flow.ts';
import { eidText } from './texts.ts';

/** What every part of the eID module needs. */
export interface EidContext {
  readonly accounts: AccountService;
  readonly login: Login;
  readonly db: Db;
  readonly clock: Clock;
  readonly mailer: Mailer;
  readonly log: Logger;
  readonly flow: EidFlow;
  readonly operatorName: string;
  readonly minimumAge: number;
  /** The level a password login yields, for the page that lists the means of authentication. */
  readonly passwordLoa: Identity['loa'];
}

// ---- the fresh eID login of a session -----------------------------------------------------

const AUTHN = 'eid.authn';

/** Records that this session's current "hoch" came from the ID card of `accountId`. */
export function markEidLogin(session: Session, accountId: string, at: number): void {
  session.set(AUTHN, { accountId, at });
}

/**
 * True when the session holds a level "hoch" that the ID card of this account established and that
 * is still valid by TR-03160 (30 minutes, 5 minutes idle): the fresh eID login sensitive changes need.
 */
export function hasFreshEidLogin(session: Session, accountId: string): boolean {
  const mark = session.get<{ accountId: string; at: number }>(AUTHN);
  const highSince = session.levelsReached.high;
  return session.loa === 'high' && mark?.accountId === accountId && highSince !== undefined && mark.at >= highSince;
}

/** The identity an eID login hands to `login.complete`. */
export function eidIdentity(accountId: string | undefined, card: CardIdentity, at: number): Identity {
  return { accountId, source: 'eid', loa: 'high', methods: ['eid'], authnInstant: at, attributes: card.attributes };
}

// ---- texts ----------------------------------------------------------------------------------

export function failureText(lang: Lang, outcome: Extract<EidOutcome, { ok: false }>, ctx: HubContext, minimumAge: number): string {
  const t = eidText(lang);
  const f: EidFailure = outcome.failure;
  switch (f) {
    case 'technical':
      return fmt(t.technical, { ref: ctx.state.requestId });
    case 'tooYoung':
      return fmt(t.tooYoung, { age: minimumAge });
    case 'throttled':
      return fmt(t.throttled, { wait: waitWords(lang, outcome.waitMs ?? 60_000) });
    default:
      return t[f];
  }
}

/** HTTP status for a failed eID step. */
export function failureStatus(outcome: Extract<EidOutcome, { ok: false }>): number {
  switch (outcome.failure) {
    case 'throttled':
      return 429;
    case 'technical':
    case 'busy':
      return 502;
    case 'notFound':
      return 400;
    default:
      return 403;
  }
}

export function fieldList(lang: Lang, names: readonly AttributeName[]): string {
  return names.map((n) => attributeLabel(lang, n)).join(', ');
}

// ---- account changes --------------------------------------------------------------------------

/**
 * Brings an account's verified data up to the card (an authority may have written a new address
 * on the chip) and notes the use of the card. Returns the names that changed.
 */
export async function updateFromCard(c: EidContext, accountId: string, card: CardIdentity): Promise<AttributeName[]> {
  const now = c.clock.now();
  return c.db.transaction(async (trx) => {
    const plan = planCardUpdate(await readAttributes(trx, accountId), card);
    await writeAttributes(trx, accountId, plan.writes, now);
    await touchBinding(trx, accountId, now);
    if (plan.changed.length > 0) {
      await recordAudit(trx, {
        at: now,
        accountRef: c.accounts.accountRef(accountId),
        event: 'data.changed',
        detail: { fields: [...plan.changed], source: 'eid' },
      });
    }
    return [...plan.changed];
  });
}

/**
 * Binds a card to an account (adding it, or a new card replacing the old one): the card's data
 * replace the account's, all in one transaction; a notice goes to the account's address.
 */
export async function bindToAccount(c: EidContext, account: Account, card: CardIdentity, replacing: boolean): Promise<AttributeName[]> {
  const now = c.clock.now();
  const changed = await c.db.transaction(async (trx) => {
    const plan = planCardUpdate(await readAttributes(trx, account.id), card);
    await writeAttributes(trx, account.id, plan.writes, now);
    await bindCard(trx, {
      accountId: account.id,
      restrictedIdHash: restrictedIdHash(card.restrictedId),
      documentType: card.documentType ?? null,
      now,
    });
    const accountRef = c.accounts.accountRef(account.id);
    await recordAudit(trx, { at: now, accountRef, event: 'eid.bound', detail: { replaced: replacing } });
    if (plan.changed.length > 0) {
      await recordAudit(trx, { at: now, accountRef, event: 'data.changed', detail: { fields: [...plan.changed], source: 'eid' } });
    }
    return [...plan.changed];
  });
  const t = eidText(account.locale);
  const signature =
    account.locale === 'de'
      ? `\n\nMit freundlichen Grüßen\nIhr ${c.operatorName}\n\nDiese E-Mail wurde automatisch erstellt. Bitte antworten Sie nicht darauf.`
      : `\n\nKind regards\nYour ${c.operatorName}\n\nThis e-mail was generated automatically. Please do not reply.`;
  await c.mailer
    .send({
      to: account.email,
      subject: `${t.mailBoundSubject} – ${c.operatorName}`,
      text: fmt(t.mailBoundText, { username: account.username, when: formatDateTime(account.locale, now) }) + signature,
    })
    .catch((err: unknown) => c.log.error({ err }, 'mail could not be sent'));
  return changed;
}

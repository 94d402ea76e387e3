import type { Loa } from '../../core/loa.ts';
import type { Account } from '../../store/accounts.ts';
import { recordAudit } from '../../store/audit.ts';
import { isUniqueViolation, type Queryable } from '../../store/db.ts';
import { insertPasskey, type Passkey } from '../../store/passkeys.ts';
import { fmt, formatDateTime } from '../../web/i18n.ts';
import { levelWord } from '../../web/messages.ts';
import { sendNotice, type PassContext } from './common.ts';
import { passText } from './texts.ts';
import { checkRegistration, type RegistrationResponseJSON } from './webauthn.ts';

/**
 * Adding a passkey, for both ways in: on "Meine Authentifizierungsmittel" (the logged-in
 * session) and through an enrolment link on a second device. The registration is checked first;
 * then, in one transaction, the way in may make its own condition hold (the link is used up), the
 * level is decided (DECISIONS 14), the passkey is stored and the change audited. A notice mail
 * goes to the account's address afterwards (DECISIONS 17).
 */

export type AddOutcome =
  { readonly ok: true; readonly passkey: Passkey } | { readonly ok: false; readonly problem: 'invalid' | 'duplicate' | 'condition' };

export interface AddRequest {
  readonly account: Account;
  readonly response: RegistrationResponseJSON;
  readonly challenge: string;
  readonly name: string;
  /** Decides the level inside the transaction (the eID binding is read there). */
  readonly level: (trx: Queryable) => Promise<Loa>;
  /** A condition of the way in, checked and used up inside the transaction (the enrolment link). */
  readonly consume?: (trx: Queryable) => Promise<boolean>;
  /** How the passkey came: `account` page or enrolment `link` (audit only). */
  readonly via: 'account' | 'link';
}

class ConditionFailed extends Error {}

export async function addPasskey(c: PassContext, r: AddRequest): Promise<AddOutcome> {
  const check = await checkRegistration(c.rp, r.response, r.challenge);
  if (!check.ok) {
    c.log.info({ detail: check.detail }, 'passkey registration not verified');
    return { ok: false, problem: 'invalid' };
  }
  const now = c.clock.now();
  let passkey: Passkey;
  try {
    passkey = await c.db.transaction(async (trx) => {
      if (r.consume && !(await r.consume(trx))) throw new ConditionFailed();
      const loa = await r.level(trx);
      const stored = await insertPasskey(trx, { ...check.credential, accountId: r.account.id, name: r.name, loa, createdAt: now });
      await recordAudit(trx, {
        at: now,
        accountRef: c.accounts.accountRef(r.account.id),
        event: 'passkey.added',
        detail: { loa, via: r.via, backedUp: check.credential.backedUp },
      });
      return stored;
    });
  } catch (err) {
    if (err instanceof ConditionFailed) return { ok: false, problem: 'condition' };
    if (isUniqueViolation(err)) return { ok: false, problem: 'duplicate' };
    throw err;
  }
  const m = passText(r.account.locale);
  await sendNotice(
    c,
    r.account,
    m.mailAddedSubject,
    fmt(m.mailAddedText, {
      username: r.account.username,
      name: passkey.name,
      level: levelWord(r.account.locale, passkey.loa),
      when: formatDateTime(r.account.locale, now),
    }),
  );
  return { ok: true, passkey };
}

import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AttributeName, Attributes, AttributeValue } from '../core/attributes.ts';
import { ATTRIBUTE_NAMES } from '../core/attributes.ts';
import type { Clock } from '../core/clock.ts';
import { insertAccount, readAttributes, writeAttributes, type Account } from '../store/accounts.ts';
import { recordAudit } from '../store/audit.ts';
import { isUniqueViolation, type Db, type Queryable } from '../store/db.ts';
import {
  deleteFederatedAccount,
  federatedAccountOf,
  findFederatedAccount,
  insertFederatedAccount,
  touchFederatedAccount,
  type FederatedAccountRow,
} from '../store/federation.ts';
import { keyedHash } from '../store/keyed-hash.ts';
import type { Lang } from '../web/i18n.ts';

/**
 * Federated accounts: the local account of a citizen who logs in through another state's
 * account whose trust entry says `link_accounts: true`. Keyed by partner and (a keyed hash of)
 * the partner's NameID; created at the first login, its data replaced by what the partner sends
 * at each login (the partner is the source, so the citizen cannot edit them here), deleted like
 * any account (the row hangs on the account and goes with it).
 *
 * Such an account has no password and no e-mail address of its own (the partner's mail
 * attribute, if sent, is an attribute like the others): nobody can log in to it but through
 * the partner, and no reminder or notice mail goes to it. Its username names the partner and
 * cannot be registered or typed at the login (a colon is not allowed in usernames).
 */

export interface FederatedLogin {
  readonly partnerId: string;
  readonly nameId: string;
  /** What the partner sent, already mapped and capped. */
  readonly attributes: Attributes;
  readonly lang: Lang;
}

export class FederatedAccounts {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly hmacKey: Buffer,
    /** accounts.accountRef: audit rows refer to accounts by keyed hash (DECISIONS 6). */
    private readonly accountRef: (accountId: string) => string,
    private readonly log: Logger,
  ) {}

  /** What the table stores instead of the NameID. */
  subjectKey(partnerId: string, nameId: string): string {
    return keyedHash(this.hmacKey, 'federated-account', partnerId, nameId);
  }

  /** The federated account behind a local account, if it is one. */
  of(accountId: string): Promise<FederatedAccountRow | undefined> {
    return federatedAccountOf(this.db, accountId);
  }

  /**
   * The account of this partner's citizen: found and refreshed with what the partner sent now,
   * or created. One transaction; a parallel first login of the same citizen finds the account
   * the other one created.
   */
  async linkOrCreate(login: FederatedLogin): Promise<{ accountId: string; created: boolean }> {
    const key = this.subjectKey(login.partnerId, login.nameId);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await this.db.transaction(async (trx) => {
          const now = this.clock.now();
          const existing = await findFederatedAccount(trx, login.partnerId, key);
          if (existing) {
            const before = await readAttributes(trx, existing.accountId);
            const changes: Partial<Record<AttributeName, AttributeValue | null>> = {};
            const changed: string[] = [];
            for (const name of ATTRIBUTE_NAMES) {
              const sent = login.attributes[name];
              const was = before[name];
              if (sent === undefined && was === undefined) continue;
              if (sent && was && sent.value === was.value && sent.loa === was.loa && sent.source === was.source) continue;
              changes[name] = sent ?? null;
              changed.push(name);
            }
            await writeAttributes(trx, existing.accountId, changes, now);
            await touchFederatedAccount(trx, existing.accountId, now);
            if (changed.length > 0) {
              await recordAudit(trx, {
                at: now,
                accountRef: this.accountRef(existing.accountId),
                event: 'data.changed',
                detail: { fields: changed, source: `upstream:${login.partnerId}` },
              });
            }
            return { accountId: existing.accountId, created: false };
          }
          const id = randomUUID();
          const username = `${login.partnerId}:${randomBytes(9).toString('base64url')}`;
          const account: Account = {
            id,
            username,
            usernameKey: username.toLowerCase(),
            passwordHash: null,
            status: 'active',
            email: '',
            emailKey: '',
            demailKey: null,
            locale: login.lang,
            createdAt: now,
            confirmedAt: now,
            pendingUntil: null,
            updatedAt: now,
          };
          await insertAccount(trx, account, login.attributes);
          await insertFederatedAccount(trx, {
            accountId: id,
            partnerId: login.partnerId,
            subjectKey: key,
            createdAt: now,
            lastLoginAt: now,
          });
          await recordAudit(trx, {
            at: now,
            accountRef: this.accountRef(id),
            event: 'account.registered',
            detail: { federated: login.partnerId },
          });
          this.log.info({ partner: login.partnerId }, 'federated account created');
          return { accountId: id, created: true };
        });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        // A parallel first login created it: the next attempt finds it.
      }
    }
    throw new Error('could not link the federated account');
  }

  /** Deletion step (DECISIONS 6): the federated row goes with the account. */
  readonly deletionStep = async (trx: Queryable, account: Account): Promise<void> => {
    await deleteFederatedAccount(trx, account.id);
  };
}

import { randomBytes, sign } from 'node:crypto';
import type { KeySlot } from '../../config/keys.ts';

/**
 * Back-channel logout (OpenID Connect Back-Channel Logout 1.0): a signed logout token POSTed to
 * the portal's backchannel_logout_uri. The hub signs it itself because it must also be sent when
 * the account no longer exists (deletion) and the subject is known only from the participation
 * recorded at login; it uses the key and algorithm of the portal's ID tokens.
 */

export const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const TIMEOUT_MS = 5000;

export interface LogoutTokenInput {
  readonly issuer: string;
  readonly clientId: string;
  readonly sub: string;
  readonly sid?: string | undefined;
  /** Epoch seconds. */
  readonly now: number;
}

export function logoutToken(input: LogoutTokenInput, key: KeySlot): string {
  const header = { alg: key.alg, typ: 'logout+jwt', kid: key.kid };
  const payload = {
    iss: input.issuer,
    aud: input.clientId,
    iat: input.now,
    exp: input.now + 120,
    jti: randomBytes(16).toString('base64url'),
    sub: input.sub,
    ...(input.sid ? { sid: input.sid } : {}),
    events: { [BACKCHANNEL_EVENT]: {} },
  };
  const signingInput = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature =
    key.alg === 'ES256'
      ? sign('sha256', Buffer.from(signingInput), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', Buffer.from(signingInput), key.privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** POSTs the token; true when the portal answered 200 or 204 in time (spec: only those mean done). */
export async function sendLogoutToken(uri: string, token: string): Promise<{ reached: boolean; status?: number; error?: string }> {
  try {
    const res = await fetch(uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ logout_token: token }).toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await res.arrayBuffer().catch(() => undefined);
    return { reached: res.status === 200 || res.status === 204, status: res.status };
  } catch (err) {
    return { reached: false, error: (err as Error).name };
  }
}

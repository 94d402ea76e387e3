import type { JsonWebKey } from 'node:crypto';
import type { HubKeys, KeySlot, SigningAlg } from '../../config/keys.ts';

/**
 * The provider's key set from the hub's key slots (DECISIONS 12, src/config/key-rotation.ts):
 *
 * - current (`oidc-rs256.pem`, `oidc-es256.pem`): sign ID tokens and logout tokens, one per algorithm;
 * - next (`*.next.pem`): published at the jwks_uri before use, so portals have fetched it by the
 *   time `hub keys rotate oidc` makes it current; `key_ops: ["verify"]` keeps the provider from
 *   signing with it;
 * - retired (`*.retired-<stamp>.pem`): published (verify only) until every token signed with it has
 *   expired; the hub drops it after `keys.retiredOidcHours`, which is longer than any ID token lives.
 *
 * The `kid` is the hub's key id (SHA-256 of the public key), stable across restarts and processes.
 */
function jwk(slot: KeySlot, verifyOnly: boolean): JsonWebKey {
  const key = slot.privateKey.export({ format: 'jwk' });
  return { ...key, kid: slot.kid, alg: slot.alg, use: 'sig', ...(verifyOnly ? { key_ops: ['verify'] } : {}) };
}

export function providerJwks(keys: HubKeys['oidc']): { keys: JsonWebKey[] } {
  return {
    keys: [...keys.signing.map((s) => jwk(s, false)), ...keys.next.map((s) => jwk(s, true)), ...keys.retired.map((s) => jwk(s, true))],
  };
}

/** The key that signs for `alg` now. */
export function signingKey(keys: HubKeys['oidc'], alg: SigningAlg): KeySlot {
  const slot = keys.signing.find((s) => s.alg === alg);
  if (!slot) throw new Error(`no current OIDC signing key for ${alg}`);
  return slot;
}

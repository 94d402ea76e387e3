import { createHmac } from 'node:crypto';

/**
 * A keyed hash (HMAC-SHA-256, hex) of some parts. Used where a table must recognise an account,
 * a username or a client address without holding it: audit rows, throttle counters.
 */
export function keyedHash(key: Buffer, ...parts: readonly string[]): string {
  const h = createHmac('sha256', key);
  for (const part of parts) h.update(`${part.length}:${part}`);
  return h.digest('hex');
}

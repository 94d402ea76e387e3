import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type ConfigProblem } from '../core/errors.ts';

/**
 * The hub's own keys, loaded once at start as KeyObjects (parsing a PEM per request halves
 * signature speed). Outside production a missing key is generated into the keys folder; in
 * production the hub refuses to start without its key files (DECISIONS 12).
 */
export interface HubKeys {
  /** RSA signing key (SAML signatures, OIDC RS256). */
  readonly signingRsa: KeyObject;
  /** EC P-256 signing key (OIDC ES256). */
  readonly signingEc: KeyObject;
  /**
   * Secret for keyed hashes: audit references to accounts and throttle keys, so neither table
   * holds a username, an address or an account id in the clear.
   */
  readonly hmacKey: Buffer;
}

interface KeyFile<T> {
  readonly name: string;
  generate(): string;
  parse(text: string): T;
}

const PEM_RSA: KeyFile<KeyObject> = {
  name: 'signing-rsa.pem',
  generate: () => generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  parse: (text) => createPrivateKey(text),
};

const PEM_EC: KeyFile<KeyObject> = {
  name: 'signing-ec.pem',
  generate: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  parse: (text) => createPrivateKey(text),
};

const HMAC: KeyFile<Buffer> = {
  name: 'hmac.key',
  generate: () => randomBytes(32).toString('base64') + '\n',
  parse: (text) => {
    const key = Buffer.from(text.trim(), 'base64');
    if (key.length < 32) throw new Error('must hold at least 32 random bytes, base64-encoded');
    return key;
  },
};

export interface KeyLoadResult {
  readonly keys: HubKeys;
  /** Files written because they were missing (development only). */
  readonly generated: readonly string[];
}

export function loadHubKeys(dir: string, options: { production: boolean }): KeyLoadResult {
  const problems: ConfigProblem[] = [];
  const generated: string[] = [];

  function load<T>(file: KeyFile<T>): T | undefined {
    const full = path.join(dir, file.name);
    if (!existsSync(full)) {
      if (options.production) {
        problems.push({ file: full, path: 'keys.dir', message: 'key file missing; production never generates keys' });
        return undefined;
      }
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(full, file.generate(), { mode: 0o600, flag: 'wx' });
      generated.push(full);
    }
    try {
      return file.parse(readFileSync(full, 'utf8'));
    } catch (err) {
      problems.push({ file: full, path: 'keys.dir', message: `unreadable key: ${(err as Error).message}` });
      return undefined;
    }
  }

  const signingRsa = load(PEM_RSA);
  const signingEc = load(PEM_EC);
  const hmacKey = load(HMAC);
  if (problems.length > 0 || !signingRsa || !signingEc || !hmacKey) throw new ConfigError(problems);
  if (signingRsa.asymmetricKeyDetails?.modulusLength === undefined || signingRsa.asymmetricKeyDetails.modulusLength < 2048) {
    throw new ConfigError([{ file: path.join(dir, PEM_RSA.name), path: 'keys.dir', message: 'RSA key shorter than 2048 bits' }]);
  }
  return { keys: { signingRsa, signingEc, hmacKey }, generated };
}

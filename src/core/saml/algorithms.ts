import { constants, createHash, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { HubError } from '../errors.ts';

/**
 * Signature and digest algorithms the SAML edge accepts from portals, and the one it uses.
 * SHA-1 is refused by name (signatures and digests), so the error says why.
 */

export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

type Hash = 'sha256' | 'sha384' | 'sha512';

interface SignatureAlgorithm {
  readonly hash: Hash;
  readonly kind: 'rsa' | 'rsa-pss' | 'ecdsa';
}

const SIGNATURE_ALGORITHMS: Readonly<Record<string, SignatureAlgorithm>> = {
  [RSA_SHA256]: { hash: 'sha256', kind: 'rsa' },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': { hash: 'sha384', kind: 'rsa' },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': { hash: 'sha512', kind: 'rsa' },
  'http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1': { hash: 'sha256', kind: 'rsa-pss' },
  'http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1': { hash: 'sha384', kind: 'rsa-pss' },
  'http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1': { hash: 'sha512', kind: 'rsa-pss' },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256': { hash: 'sha256', kind: 'ecdsa' },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384': { hash: 'sha384', kind: 'ecdsa' },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512': { hash: 'sha512', kind: 'ecdsa' },
};

const DIGEST_ALGORITHMS: Readonly<Record<string, Hash>> = {
  [SHA256]: 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384': 'sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};

const SHA1 = new Set([
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  'http://www.w3.org/2000/09/xmldsig#dsa-sha1',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1',
  'http://www.w3.org/2000/09/xmldsig#hmac-sha1',
  'http://www.w3.org/2000/09/xmldsig#sha1',
]);

function refuse(uri: string, what: string): never {
  if (SHA1.has(uri)) throw new HubError('saml_signature_invalid', `${what} ${uri} uses SHA-1, which is refused`);
  throw new HubError('saml_signature_invalid', `${what} ${uri || '(none)'} is not supported`);
}

export function signatureAlgorithm(uri: string): SignatureAlgorithm {
  return SIGNATURE_ALGORITHMS[uri] ?? refuse(uri, 'signature algorithm');
}

export function digestAlgorithm(uri: string): Hash {
  return DIGEST_ALGORITHMS[uri] ?? refuse(uri, 'digest algorithm');
}

export function digest(hash: Hash, data: string | Buffer): Buffer {
  return createHash(hash).update(data).digest();
}

/** True when `signature` over `data` verifies with `key` under `algorithm`; a key of the wrong type simply fails. */
export function verifySignature(algorithm: SignatureAlgorithm, data: Buffer, signature: Buffer, key: KeyObject): boolean {
  const type = key.asymmetricKeyType;
  try {
    switch (algorithm.kind) {
      case 'rsa':
        return type === 'rsa' && cryptoVerify(algorithm.hash, data, key, signature);
      case 'rsa-pss':
        return (
          (type === 'rsa' || type === 'rsa-pss') &&
          cryptoVerify(
            algorithm.hash,
            data,
            { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: createHash(algorithm.hash).digest().length },
            signature,
          )
        );
      case 'ecdsa':
        return type === 'ec' && cryptoVerify(algorithm.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    }
  } catch {
    return false;
  }
}

/** The hub signs with RSA-SHA256 (PKCS#1 v1.5), which every portal stack verifies. */
export function signRsaSha256(data: string | Buffer, key: KeyObject): Buffer {
  return cryptoSign('sha256', typeof data === 'string' ? Buffer.from(data, 'utf8') : data, key);
}

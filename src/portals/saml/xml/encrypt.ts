import { constants, createCipheriv, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { el, textEl, type Xml } from '../../../core/saml/build.ts';

/**
 * EncryptedAssertion (XML Encryption 1.1): the signed assertion is encrypted with a fresh
 * AES-256-GCM key (CipherValue = 12-byte IV, ciphertext, 16-byte tag), and that key is encrypted
 * to the portal's encryption key with RSA-OAEP. Key transport defaults to `rsa-oaep-mgf1p`
 * (SHA-1 inside OAEP only, which DECISIONS 11 allows and every SAML stack reads); a portal whose
 * metadata lists `xmlenc11#rsa-oaep` gets OAEP with SHA-256 and MGF1-SHA-256 instead.
 */

export const AES256_GCM = 'http://www.w3.org/2009/xmlenc11#aes256-gcm';
export const RSA_OAEP_MGF1P = 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p';
export const RSA_OAEP_11 = 'http://www.w3.org/2009/xmlenc11#rsa-oaep';
const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const MGF1_SHA256 = 'http://www.w3.org/2009/xmlenc11#mgf1sha256';
const ELEMENT = 'http://www.w3.org/2001/04/xmlenc#Element';

export type KeyTransport = typeof RSA_OAEP_MGF1P | typeof RSA_OAEP_11;

export interface EncryptionRecipient {
  readonly publicKey: KeyObject;
  readonly keyTransport: KeyTransport;
}

function encryptedKey(cek: Buffer, recipient: EncryptionRecipient): Xml {
  const sha256 = recipient.keyTransport === RSA_OAEP_11;
  const wrapped = publicEncrypt(
    { key: recipient.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: sha256 ? 'sha256' : 'sha1' },
    cek,
  );
  const method = sha256
    ? el('xenc:EncryptionMethod', { Algorithm: RSA_OAEP_11 }, [
        el('ds:DigestMethod', { Algorithm: SHA256 }),
        el('xenc11:MGF', { xmlns: ['xenc11'], Algorithm: MGF1_SHA256 }),
      ])
    : el('xenc:EncryptionMethod', { Algorithm: RSA_OAEP_MGF1P }, [el('ds:DigestMethod', { Algorithm: SHA1 })]);
  return el('xenc:EncryptedKey', {}, [method, el('xenc:CipherData', {}, [textEl('xenc:CipherValue', {}, wrapped.toString('base64'))])]);
}

/** `<saml:EncryptedAssertion>` holding `assertion` (already signed). */
export function encryptAssertion(assertion: Xml, recipient: EncryptionRecipient): Xml {
  const cek = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', cek, iv);
  const body = Buffer.concat([iv, cipher.update(assertion, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return el('saml:EncryptedAssertion', { xmlns: ['saml'] }, [
    el('xenc:EncryptedData', { xmlns: ['xenc'], Type: ELEMENT }, [
      el('xenc:EncryptionMethod', { Algorithm: AES256_GCM }),
      el('ds:KeyInfo', { xmlns: ['ds'] }, [encryptedKey(cek, recipient)]),
      el('xenc:CipherData', {}, [textEl('xenc:CipherValue', {}, body.toString('base64'))]),
    ]),
  ]);
}

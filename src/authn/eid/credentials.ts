import 'reflect-metadata';
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { selfSignedCertificate } from '../../config/keys.ts';
import { ConfigError, type ConfigProblem } from '../../core/errors.ts';

/**
 * Keys and certificates of the eID link (DECISIONS 13): the hub's client key and certificate
 * (mutual TLS and WS-Security signatures on its requests) and the eID-Server's certificates
 * (pinned for TLS and for the signatures on its answers). Loaded once at start as KeyObjects.
 *
 * Outside production, with the simulator on, missing files are generated (RSA 3072, self-signed,
 * ten years): the simulator's key and certificate and the hub's client key and certificate. In
 * production nothing is generated and a missing or unreadable file stops the start.
 */

export interface SigningIdentity {
  readonly privateKey: KeyObject;
  /** The same key as PKCS#8 PEM, for the TLS stack (which takes no KeyObject). */
  readonly privateKeyPem: string;
  readonly certificate: X509Certificate;
  readonly certificatePem: string;
}

export interface EidCredentials {
  /** The hub's key and certificate towards the eID-Server. */
  readonly client: SigningIdentity;
  /** Certificates the eID-Server's TLS certificate must equal one of (several during a rollover). */
  readonly serverTls: readonly X509Certificate[];
  /** Certificates the eID-Server's WS-Security signatures are checked against. */
  readonly serverSigning: readonly X509Certificate[];
}

export interface EidFiles {
  readonly serverCertificateFile: string;
  readonly serverSigningCertificateFile: string;
  readonly clientKeyFile: string;
  readonly clientCertificateFile: string;
}

export interface LoadEidOptions {
  /** Absolute paths. `serverSigningCertificateFile` may be '' (= the TLS certificate file). */
  readonly files: EidFiles;
  /** The simulator's key file (absolute) when the simulator runs; its certificate is the server certificate. */
  readonly simulatorKeyFile?: string | undefined;
  /** Generate missing files (development with the simulator). */
  readonly generate: boolean;
}

export interface LoadedEid {
  readonly credentials: EidCredentials;
  /** The simulator's identity, when it runs. */
  readonly simulator?: SigningIdentity | undefined;
  /** Files written because they were missing. */
  readonly generated: readonly string[];
}

const RSA_BITS = 3072;

function generateRsaPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: RSA_BITS }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** A self-signed certificate for a development key: server or client purpose, loopback names. */
export async function developmentCertificate(privateKey: KeyObject, commonName: string, purpose: 'server' | 'client'): Promise<string> {
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([purpose === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
  ];
  if (purpose === 'server') {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
    );
  }
  return selfSignedCertificate(privateKey, commonName, { subject: `CN=${commonName}, O=Servicekonto development`, extensions });
}

/** Every certificate in a PEM file, in order. */
export function parseCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

export async function loadEidCredentials(options: LoadEidOptions): Promise<LoadedEid> {
  const problems: ConfigProblem[] = [];
  const generated: string[] = [];
  const { files } = options;

  const problem = (file: string, key: string, message: string): void => {
    problems.push({ file, path: key, message });
  };

  const write = (file: string, text: string, mode: number): void => {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, text, { mode, flag: 'wx' });
    generated.push(file);
  };

  /** A key with its certificate; generated as a pair when both are missing and generation is on. */
  async function pair(keyFile: string, certFile: string, keyPath: string, certPath: string, cn: string, purpose: 'server' | 'client') {
    if (options.generate && !existsSync(keyFile) && !existsSync(certFile)) {
      const pem = generateRsaPem();
      write(keyFile, pem, 0o600);
      write(certFile, await developmentCertificate(createPrivateKey(pem), cn, purpose), 0o644);
    }
    let privateKey: KeyObject | undefined;
    let certificate: X509Certificate | undefined;
    let certificatePem = '';
    try {
      privateKey = createPrivateKey(readFileSync(keyFile, 'utf8'));
      if (privateKey.asymmetricKeyType !== 'rsa' || (privateKey.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
        problem(keyFile, keyPath, 'must be an RSA key of at least 2048 bits');
        privateKey = undefined;
      }
    } catch (err) {
      problem(keyFile, keyPath, existsSync(keyFile) ? `unreadable key: ${(err as Error).message}` : 'key file missing');
    }
    try {
      certificatePem = readFileSync(certFile, 'utf8');
      certificate = parseCertificates(certificatePem)[0];
      if (!certificate) problem(certFile, certPath, 'no PEM certificate in the file');
    } catch (err) {
      problem(certFile, certPath, existsSync(certFile) ? `unreadable certificate: ${(err as Error).message}` : 'certificate file missing');
    }
    if (privateKey && certificate && !certificate.publicKey.equals(createPublicKey(privateKey))) {
      problem(certFile, certPath, `certificate does not belong to ${path.basename(keyFile)}`);
      return undefined;
    }
    if (!privateKey || !certificate) return undefined;
    const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    return { privateKey, privateKeyPem, certificate, certificatePem: certificate.toString() };
  }

  function certificates(file: string, key: string): X509Certificate[] {
    try {
      const list = parseCertificates(readFileSync(file, 'utf8'));
      if (list.length === 0) problem(file, key, 'no PEM certificate in the file');
      return list;
    } catch (err) {
      problem(file, key, existsSync(file) ? `unreadable certificate: ${(err as Error).message}` : 'certificate file missing');
      return [];
    }
  }

  const simulator =
    options.simulatorKeyFile === undefined
      ? undefined
      : await pair(
          options.simulatorKeyFile,
          files.serverCertificateFile,
          'eid.simulator.keyFile',
          'eid.serverCertificateFile',
          'eID-Server simulator',
          'server',
        );
  const client = await pair(
    files.clientKeyFile,
    files.clientCertificateFile,
    'eid.clientKeyFile',
    'eid.clientCertificateFile',
    'Servicekonto eID client',
    'client',
  );
  const serverTls = certificates(files.serverCertificateFile, 'eid.serverCertificateFile');
  const serverSigning =
    files.serverSigningCertificateFile === ''
      ? serverTls
      : certificates(files.serverSigningCertificateFile, 'eid.serverSigningCertificateFile');

  if (problems.length > 0 || !client || (options.simulatorKeyFile !== undefined && !simulator)) throw new ConfigError(problems);
  return { credentials: { client, serverTls, serverSigning }, simulator, generated };
}

import { existsSync, readFileSync, statSync } from 'node:fs';
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import type { PortalConfig, PortalRegistry } from '../../config/portals.ts';
import { ConfigError, type ConfigProblem } from '../../core/errors.ts';
import { NS } from '../../core/saml/build.ts';
import { RSA_OAEP_11, RSA_OAEP_MGF1P, type EncryptionRecipient } from './xml/encrypt.ts';
import { BINDING, SAML2_PROTOCOL } from '../../core/saml/metadata.ts';
import { attr, childNamed, childrenNamed, is, parseBoolean, parseDateTime, parseXml, textOf, XmlRefusal } from '../../core/xml-read.ts';

/**
 * The portals' SAML SP metadata: read once at start from the files the operator placed (named in
 * federation/portals.yaml), checked, and indexed by entityID; the login path never parses
 * metadata. Keys become KeyObjects here. A problem names the file and, where it can, the line.
 * `checkPortalMetadata` runs the same checks offline for the operator CLI.
 */

export const MAX_METADATA_BYTES = 2 * 1024 * 1024;

export interface SpEndpoint {
  readonly binding: string;
  readonly location: string;
  readonly responseLocation?: string | undefined;
  readonly index?: number | undefined;
  readonly isDefault?: boolean | undefined;
}

export interface ServiceProvider {
  readonly portalId: string;
  readonly entityId: string;
  readonly file: string;
  /** Epoch ms; requests are refused after it. */
  readonly validUntil: number | undefined;
  readonly assertionConsumers: readonly SpEndpoint[];
  readonly singleLogout: readonly SpEndpoint[];
  /** Pinned keys that may sign requests (KeyDescriptor use="signing" or without use). */
  readonly signingKeys: readonly KeyObject[];
  /** Where assertions are encrypted to, when the metadata has an encryption key. */
  readonly encryption: EncryptionRecipient | undefined;
  readonly authnRequestsSigned: boolean;
  readonly wantAssertionsSigned: boolean;
  readonly nameIdFormats: readonly string[];
  /** Origins of the registered ACS URLs (for the AKDB BackURL). */
  readonly origins: ReadonlySet<string>;
  /** Requests must be signed: the portal's setting, else AuthnRequestsSigned. */
  readonly requireSignedRequests: boolean;
}

export interface MetadataOptions {
  readonly production: boolean;
  /** For the validUntil check (the CLI); the hub itself checks validUntil per request. */
  readonly now?: number | undefined;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

class Problems {
  readonly list: ConfigProblem[] = [];
  constructor(private readonly file: string) {}
  add(where: Element | undefined, path: string, message: string): void {
    const line = (where as unknown as { lineNumber?: number } | undefined)?.lineNumber;
    this.list.push({ file: this.file, ...(line !== undefined ? { line } : {}), path, message });
  }
}

function endpointUrl(value: string | undefined, production: boolean): string | undefined | Error {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return new Error(`${value} is not a URL`);
  }
  if (url.protocol === 'https:') return value;
  if (url.protocol === 'http:' && !production && isLoopback(url.hostname)) return value;
  return new Error(`${value}: only https (or http on a loopback host outside production) is allowed`);
}

function certificateKey(e: Element, problems: Problems, path: string): KeyObject | undefined {
  const keyInfo = childNamed(e, NS.ds, 'KeyInfo');
  const data = keyInfo && childNamed(keyInfo, NS.ds, 'X509Data');
  const certs = data ? childrenNamed(data, NS.ds, 'X509Certificate') : [];
  if (certs.length !== 1) {
    problems.add(e, path, 'a KeyDescriptor needs exactly one ds:KeyInfo/ds:X509Data/ds:X509Certificate');
    return undefined;
  }
  try {
    const key = new X509Certificate(Buffer.from(textOf(certs[0]!).replace(/\s+/g, ''), 'base64')).publicKey;
    const type = key.asymmetricKeyType;
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if ((type === 'rsa' || type === 'rsa-pss') && bits < 2048) {
      problems.add(certs[0], path, `RSA key of ${bits} bits; at least 2048 are required`);
      return undefined;
    }
    if (type !== 'rsa' && type !== 'rsa-pss' && type !== 'ec') {
      problems.add(certs[0], path, `unsupported key type ${type ?? 'unknown'}`);
      return undefined;
    }
    return key;
  } catch (err) {
    problems.add(certs[0], path, `unreadable certificate: ${(err as Error).message}`);
    return undefined;
  }
}

export interface ParsedSpMetadata {
  readonly sp: Omit<ServiceProvider, 'portalId' | 'requireSignedRequests'> | undefined;
  readonly problems: readonly ConfigProblem[];
}

/** Parses one SP metadata document; `file` names it in problems. */
export function parseSpMetadata(text: string, file: string, options: MetadataOptions): ParsedSpMetadata {
  const problems = new Problems(file);
  let root: Element;
  try {
    root = parseXml(text, MAX_METADATA_BYTES, { lineNumbers: true }).documentElement!;
  } catch (err) {
    problems.add(undefined, '(document)', err instanceof XmlRefusal ? err.message : String(err));
    return { sp: undefined, problems: problems.list };
  }
  if (!is(root, NS.md, 'EntityDescriptor')) {
    problems.add(root, root.localName ?? '', 'the file must hold one md:EntityDescriptor');
    return { sp: undefined, problems: problems.list };
  }
  const entityId = attr(root, 'entityID') ?? '';
  if (entityId === '' || entityId.length > 1024)
    problems.add(root, 'EntityDescriptor/@entityID', 'entityID is missing or longer than 1024 characters');
  let validUntil: number | undefined;
  try {
    validUntil = parseDateTime(attr(root, 'validUntil'));
  } catch (err) {
    problems.add(root, 'EntityDescriptor/@validUntil', (err as Error).message);
  }
  if (validUntil !== undefined && options.now !== undefined && validUntil <= options.now) {
    problems.add(root, 'EntityDescriptor/@validUntil', `the metadata expired at ${new Date(validUntil).toISOString()}`);
  }
  const roles = childrenNamed(root, NS.md, 'SPSSODescriptor');
  const role = roles[0];
  if (roles.length !== 1 || !role) {
    problems.add(root, 'SPSSODescriptor', 'exactly one md:SPSSODescriptor is needed');
    return { sp: undefined, problems: problems.list };
  }
  if (!(attr(role, 'protocolSupportEnumeration') ?? '').split(/\s+/).includes(SAML2_PROTOCOL)) {
    problems.add(role, 'SPSSODescriptor/@protocolSupportEnumeration', `must include ${SAML2_PROTOCOL}`);
  }
  let authnRequestsSigned = false;
  let wantAssertionsSigned = false;
  try {
    authnRequestsSigned = parseBoolean(attr(role, 'AuthnRequestsSigned'), false);
    wantAssertionsSigned = parseBoolean(attr(role, 'WantAssertionsSigned'), false);
  } catch (err) {
    problems.add(role, 'SPSSODescriptor', (err as Error).message);
  }

  const endpoints = (name: string, indexed: boolean): SpEndpoint[] => {
    const out: SpEndpoint[] = [];
    childrenNamed(role, NS.md, name).forEach((e, i) => {
      const path = `SPSSODescriptor/${name}[${i + 1}]`;
      const binding = attr(e, 'Binding');
      const location = endpointUrl(attr(e, 'Location'), options.production);
      const responseLocation = endpointUrl(attr(e, 'ResponseLocation'), options.production);
      if (!binding) problems.add(e, path, 'Binding is missing');
      if (location === undefined) problems.add(e, path, 'Location is missing');
      for (const l of [location, responseLocation]) if (l instanceof Error) problems.add(e, path, l.message);
      let index: number | undefined;
      let isDefault: boolean | undefined;
      if (indexed) {
        const raw = attr(e, 'index');
        index = raw !== undefined && /^\d{1,5}$/.test(raw) ? Number(raw) : undefined;
        if (index === undefined) problems.add(e, path, 'index must be a number from 0 to 65535');
        try {
          isDefault = attr(e, 'isDefault') === undefined ? undefined : parseBoolean(attr(e, 'isDefault'), false);
        } catch (err) {
          problems.add(e, path, (err as Error).message);
        }
      }
      if (binding && typeof location === 'string' && !(responseLocation instanceof Error)) {
        out.push({
          binding,
          location,
          ...(responseLocation ? { responseLocation } : {}),
          ...(index !== undefined ? { index } : {}),
          ...(isDefault !== undefined ? { isDefault } : {}),
        });
      }
    });
    return out;
  };
  const assertionConsumers = endpoints('AssertionConsumerService', true);
  const indexes = new Set<number>();
  for (const a of assertionConsumers) {
    if (a.index === undefined) continue;
    if (indexes.has(a.index)) problems.add(role, 'SPSSODescriptor/AssertionConsumerService', `index ${a.index} is used twice`);
    indexes.add(a.index);
  }
  if (!assertionConsumers.some((a) => a.binding === BINDING.post)) {
    problems.add(
      role,
      'SPSSODescriptor/AssertionConsumerService',
      `no AssertionConsumerService with the HTTP-POST binding (${BINDING.post})`,
    );
  }
  const singleLogout = endpoints('SingleLogoutService', false);

  const signingKeys: KeyObject[] = [];
  let encryption: EncryptionRecipient | undefined;
  childrenNamed(role, NS.md, 'KeyDescriptor').forEach((e, i) => {
    const path = `SPSSODescriptor/KeyDescriptor[${i + 1}]`;
    const use = attr(e, 'use');
    if (use !== undefined && use !== 'signing' && use !== 'encryption') {
      problems.add(e, path, `use must be signing or encryption, not ${use}`);
      return;
    }
    const key = certificateKey(e, problems, path);
    if (!key) return;
    if (use !== 'encryption') signingKeys.push(key);
    if (use !== 'signing' && encryption === undefined && key.asymmetricKeyType === 'rsa') {
      const methods = childrenNamed(e, NS.md, 'EncryptionMethod').map((m) => attr(m, 'Algorithm'));
      const keyTransport = methods.includes(RSA_OAEP_11) && !methods.includes(RSA_OAEP_MGF1P) ? RSA_OAEP_11 : RSA_OAEP_MGF1P;
      encryption = { publicKey: key, keyTransport };
    }
  });

  const nameIdFormats = childrenNamed(role, NS.md, 'NameIDFormat').map((e) => textOf(e).trim());
  const origins = new Set(assertionConsumers.map((a) => new URL(a.location).origin));
  return {
    sp: {
      entityId,
      file,
      validUntil,
      assertionConsumers,
      singleLogout,
      signingKeys,
      encryption,
      authnRequestsSigned,
      wantAssertionsSigned,
      nameIdFormats,
      origins,
    },
    problems: problems.list,
  };
}

function readMetadata(path: string, file: string): { text?: string; problems: ConfigProblem[] } {
  if (!existsSync(path)) return { problems: [{ file, path: '(file)', message: 'file not found' }] };
  if (statSync(path).size > MAX_METADATA_BYTES)
    return { problems: [{ file, path: '(file)', message: `larger than ${MAX_METADATA_BYTES} bytes` }] };
  return { text: readFileSync(path, 'utf8'), problems: [] };
}

function resolveSp(portal: PortalConfig, options: MetadataOptions): { sp?: ServiceProvider; problems: ConfigProblem[] } {
  const saml = portal.saml;
  if (!saml) return { problems: [] };
  const file = saml.metadataFile;
  const read = readMetadata(saml.metadataPath, file);
  if (read.text === undefined) return { problems: read.problems };
  const parsed = parseSpMetadata(read.text, file, options);
  const problems = [...parsed.problems];
  if (!parsed.sp) return { problems };
  const requireSignedRequests = saml.requireSignedRequests ?? parsed.sp.authnRequestsSigned;
  if (requireSignedRequests && parsed.sp.signingKeys.length === 0) {
    problems.push({
      file,
      path: 'SPSSODescriptor/KeyDescriptor',
      message: 'signed requests are required but the metadata has no signing key',
    });
  }
  return { sp: { ...parsed.sp, portalId: portal.id, requireSignedRequests }, problems };
}

/**
 * Checks a portal's SAML metadata offline (for `hub trust check`): every problem with file, line
 * where known, and location in the document; an empty list when the portal would load. Includes
 * an expired validUntil, which the running hub treats as an unknown portal.
 */
export function checkPortalMetadata(portal: PortalConfig, options: MetadataOptions): ConfigProblem[] {
  return resolveSp(portal, { ...options, now: options.now ?? Date.now() }).problems;
}

/** The SAML portals by entityID and by portal id. */
export class SpIndex {
  private constructor(
    private readonly byEntity: ReadonlyMap<string, ServiceProvider>,
    private readonly byPortal: ReadonlyMap<string, ServiceProvider>,
  ) {}

  /** Reads every SAML portal's metadata; throws ConfigError with all problems. */
  static load(registry: PortalRegistry, options: { production: boolean }): SpIndex {
    const problems: ConfigProblem[] = [];
    const byEntity = new Map<string, ServiceProvider>();
    const byPortal = new Map<string, ServiceProvider>();
    for (const portal of registry.portals) {
      const { sp, problems: found } = resolveSp(portal, { production: options.production });
      problems.push(...found);
      if (!sp || found.length > 0) continue;
      const other = byEntity.get(sp.entityId);
      if (other) {
        problems.push({
          file: sp.file,
          path: 'EntityDescriptor/@entityID',
          message: `entityID ${sp.entityId} is also the entityID of portal ${other.portalId}`,
        });
        continue;
      }
      byEntity.set(sp.entityId, sp);
      byPortal.set(portal.id, sp);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return new SpIndex(byEntity, byPortal);
  }

  byEntityId(entityId: string): ServiceProvider | undefined {
    return this.byEntity.get(entityId);
  }

  byPortalId(portalId: string): ServiceProvider | undefined {
    return this.byPortal.get(portalId);
  }
}

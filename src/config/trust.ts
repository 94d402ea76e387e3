import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ATTRIBUTE_NAMES, type AttributeName } from '../core/attributes.ts';
import { EIDAS_OPTIONAL_KEYS, EIDAS_SP_TYPES, type EidasOptionalKey } from '../core/eidas.ts';
import { ConfigError, type ConfigProblem } from '../core/errors.ts';
import { EIDAS_LOA_URI, LOA_LEVELS, parseLoa, type Loa } from '../core/loa.ts';
import { issuesToProblems, readYamlFile, type YamlSource } from './yaml-file.ts';

/**
 * Other states' accounts and the German eIDAS node that citizens may log in with:
 * `federation/trust.yaml` (DECISIONS 10). Each partner names where its metadata comes from (an
 * https URL and/or a file under federation/metadata/), the certificate(s) that must have signed
 * that metadata (several during a rollover, under federation/certs/), how foreign attributes and
 * levels become the hub's, the highest level the hub believes from it, and whether its citizens
 * get a (federated) account here. Checked strictly like the portals file, entry by entry, with
 * file, line and key path; what needs the metadata itself (its signature, entityIDs used twice)
 * is checked by src/federation, which the operator CLI runs too.
 *
 * `kind` says which upstream profile speaks to the partner: `state` (another German account,
 * FINK) or `eidas` (the German eIDAS node, eIDAS SAML profile). An `eidas` entry has no
 * attribute map and no identifierAttribute: the eIDAS attributes are fixed by the profile
 * (src/core/eidas.ts), and the citizen is identified by the eIDAS PersonIdentifier, which is kept
 * only as the prefixed foreign identifier (`EIDAS:ES/DE/…`), never passed on as PersonIdentifier
 * (the FINK filter below stays in force for every kind). Its problems are checked here too
 * (`eidasProblems`).
 */

export const TRUST_FILE = path.join('federation', 'trust.yaml');

export const PARTNER_KINDS = ['state', 'eidas'] as const;
export type PartnerKind = (typeof PARTNER_KINDS)[number];

/**
 * Foreign attributes the hub never takes from a partner, whatever the map says (FINK rules,
 * TR-03160-2; BundID interface description 5.2): the eIDAS PersonIdentifier and postbox
 * references. Identifiers of the other account come only through `identifierAttribute` (or the
 * NameID), prefixed with the account's name.
 */
export const FILTERED_FOREIGN_ATTRIBUTES: Readonly<Record<string, string>> = {
  'http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier': 'the eIDAS PersonIdentifier',
  'urn:oid:2.5.4.18': 'a postbox reference (legacyPostkorbHandle)',
};

/** Hub attributes a partner's map may not fill: they are this hub's own or filled by the FINK rules. */
const NOT_MAPPABLE: readonly AttributeName[] = ['postkorbHandle', 'foreignId'];

/** bPK2, the per-SP pseudonym of the German accounts: the default identifier of the other account. */
export const BPK2 = 'urn:oid:1.3.6.1.4.1.25484.494450.3';

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and hyphens, starting with a letter or digit');
const localized = z.strictObject({
  de: z.string().min(1).max(80).describe('German name'),
  en: z.string().min(1).max(80).describe('English name'),
});

const metadataSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('where the metadata is fetched (https; http only for loopback hosts outside production)'),
    file: z.string().min(1).optional().describe('an operator-provided copy (federation/metadata/…), used when there is no URL'),
    entityId: z.string().min(1).max(1024).describe("the partner's entityID; picked from an aggregate (EntitiesDescriptor) by it"),
    certificates: z
      .array(z.string().min(1))
      .min(1)
      .describe('pinned certificate files (federation/certs/…): the metadata must be signed by the key of one of them'),
    refreshMinutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(60)
      .describe('how often the metadata is fetched again'),
    requireValidUntil: z
      .boolean()
      .default(true)
      .describe('refuse metadata without validUntil; false for partners whose metadata has none (the signature is still required)'),
    maxCacheHours: z
      .number()
      .int()
      .min(1)
      .max(90 * 24)
      .default(24)
      .describe(
        'longest a copy is used after it was fetched when it has no validUntil (or a longer one), and longer than its cacheDuration',
      ),
    maxValidityDays: z
      .number()
      .int()
      .min(1)
      .max(366)
      .default(30)
      .describe('a validUntil further ahead than this is refused (it would keep a revoked key alive)'),
  })
  .superRefine((m, ctx) => {
    if (m.url === undefined && m.file === undefined) ctx.addIssue({ code: 'custom', path: [], message: 'needs url or file (or both)' });
  });

/** What an eidas entry must (not) say, beyond the schema (eIDAS Message Format and Interoperability Architecture; specs.md 2). */
function eidasProblems(p: {
  attributes: Record<string, string>;
  identifierAttribute: string;
  loa: { map: Record<string, Loa>; cap: Loa };
  algorithms: { allowSha1: boolean; allowAesCbc: boolean };
  requireSignedResponse: boolean;
  binding: string;
  consent: string;
  metadata: { requireValidUntil: boolean };
}): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  if (Object.keys(p.attributes).length > 0) {
    out.push({
      path: ['attributes'],
      message: 'an eidas entry has no attribute map: the natural-person attributes of the eIDAS profile are mapped by the hub',
    });
  }
  if (p.identifierAttribute !== BPK2) {
    out.push({
      path: ['identifierAttribute'],
      message: 'an eidas entry identifies the citizen by the eIDAS PersonIdentifier (kept only with the prefix, as foreignId)',
    });
  }
  for (const [classRef, level] of Object.entries(p.loa.map)) {
    const own = parseLoa('eidas', classRef);
    if (own === undefined) {
      out.push({
        path: ['loa', 'map', classRef],
        message: `the eIDAS node states levels as eIDAS LoA URIs only (${Object.values(EIDAS_LOA_URI).join(', ')})`,
      });
    } else if (own !== level) {
      out.push({ path: ['loa', 'map', classRef], message: `an eIDAS LoA URI stands for its own level (${own}), not ${level}` });
    }
  }
  if (p.loa.cap === 'basic') out.push({ path: ['loa', 'cap'], message: 'eIDAS knows no level below low' });
  if (p.algorithms.allowSha1) {
    out.push({ path: ['algorithms', 'allowSha1'], message: 'the eIDAS crypto requirements exclude SHA-1' });
  }
  if (p.algorithms.allowAesCbc) {
    out.push({ path: ['algorithms', 'allowAesCbc'], message: 'the eIDAS crypto requirements exclude AES-CBC (AES-GCM only)' });
  }
  if (!p.requireSignedResponse) {
    out.push({ path: ['requireSignedResponse'], message: 'an eIDAS Response is always signed (eIDAS Message Format)' });
  }
  if (p.binding === 'redirect') {
    out.push({ path: ['binding'], message: 'the eIDAS node takes AuthnRequests by HTTP-POST' });
  }
  if (p.consent === 'partner') {
    out.push({ path: ['consent'], message: 'the eIDAS node does not ask consent for the end portal: the hub asks (DECISIONS 7)' });
  }
  if (!p.metadata.requireValidUntil) {
    out.push({ path: ['metadata', 'requireValidUntil'], message: 'eIDAS metadata must carry validUntil' });
  }
  return out;
}

export const partnerSchema = z
  .strictObject({
    id: id.describe('short name used in logs, `hub trust status`, the last-choice cookie and stored accounts; never change it'),
    kind: z
      .enum(PARTNER_KINDS)
      .default('state')
      .describe(
        'state: another German account (FINK), listed under "Anmelden mit anderem deutschen Nutzerkonto"; eidas: the German eIDAS node (eIDAS SAML profile), a login method of its own, "Anmelden mit einem ausländischen eID-Mittel (eIDAS)" (at most one enabled)',
      ),
    name: localized.describe('shown in the list "Anmelden mit anderem deutschen Nutzerkonto" (eidas: named on the way to the node)'),
    enabled: z.boolean().default(true).describe('false: shown nowhere, and answers to requests already sent are refused'),
    metadata: metadataSchema,
    link_accounts: z
      .boolean()
      .default(false)
      .describe('true: a federated account is kept here (created at the first login, refreshed at each); false: nothing is stored'),
    consent: z
      .enum(['hub', 'partner'])
      .default('hub')
      .describe('partner: the partner asks consent naming the end portal, and the hub does not ask again (DECISIONS 7)'),
    identifierPrefix: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,16}$/)
      .optional()
      .describe('prefix naming this account on identifiers passed on from it (FINK), e.g. HH; default: the id in capitals'),
    identifierAttribute: z
      .string()
      .min(1)
      .default(BPK2)
      .describe('the foreign attribute that identifies the citizen in that account (default bPK2); without it a persistent NameID is used'),
    attributes: z
      .record(z.string().min(1).max(256), z.enum(ATTRIBUTE_NAMES))
      .default({})
      .describe('foreign attribute Name (never FriendlyName) → hub attribute; unmapped ones are dropped'),
    loa: z.strictObject({
      map: z
        .record(z.string().min(1).max(256), z.enum(LOA_LEVELS))
        .refine((m) => Object.keys(m).length > 0, 'the map needs at least one entry')
        .describe('foreign AuthnContextClassRef → hub level; an unknown one fails the login'),
      cap: z.enum(LOA_LEVELS).describe('the highest level the hub believes from this partner'),
    }),
    algorithms: z
      .strictObject({
        allowSha1: z.boolean().default(false).describe('accept SHA-1 in signatures and digests (logged as a warning)'),
        allowAesCbc: z.boolean().default(false).describe('accept AES-CBC encrypted assertions (logged as a warning)'),
      })
      .prefault({}),
    requireSignedResponse: z.boolean().default(true).describe('the Response itself must be signed (the assertion must always be)'),
    binding: z
      .enum(['auto', 'redirect', 'post'])
      .default('auto')
      .describe('how the AuthnRequest travels; auto: HTTP-Redirect when the metadata offers it, else HTTP-POST'),
    akdbExtension: z
      .boolean()
      .default(true)
      .describe("send the AKDB request extension (version 2: requested attributes, the end portal's name)"),
    singleLogout: z
      .boolean()
      .default(true)
      .describe("tell the partner when the citizen logs out here (its metadata's SingleLogoutService)"),
    eidas: z
      .strictObject({
        spType: z
          .enum(EIDAS_SP_TYPES)
          .default('public')
          .describe('eidas:SPType sent in the AuthnRequest: public (a public-sector service, the hub) or private'),
        nameIdFormat: z
          .enum(['persistent', 'transient', 'unspecified'])
          .default('persistent')
          .describe('the NameIDPolicy Format asked for (the citizen is identified by the PersonIdentifier whatever it is)'),
        optionalAttributes: z
          .array(z.enum(EIDAS_OPTIONAL_KEYS))
          .default([...EIDAS_OPTIONAL_KEYS])
          .describe(
            'optional natural-person attributes requested with isRequired="false" (PersonIdentifier, FamilyName, FirstName and DateOfBirth are always requested as required)',
          ),
      })
      .optional()
      .describe('kind eidas only: what the AuthnRequest to the eIDAS node asks for (defaults apply when absent)'),
  })
  .superRefine((p, ctx) => {
    if (p.kind === 'eidas') {
      for (const problem of eidasProblems(p)) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
      return;
    }
    if (p.eidas !== undefined) ctx.addIssue({ code: 'custom', path: ['eidas'], message: 'only an entry of kind eidas has eidas settings' });
    for (const name of Object.keys(p.attributes)) {
      const filtered = FILTERED_FOREIGN_ATTRIBUTES[name];
      if (filtered) {
        ctx.addIssue({ code: 'custom', path: ['attributes', name], message: `${filtered} is never taken from a partner (FINK)` });
      }
      const target = p.attributes[name] as AttributeName;
      if (NOT_MAPPABLE.includes(target)) {
        ctx.addIssue({ code: 'custom', path: ['attributes', name], message: `${target} cannot be filled from a partner's attribute` });
      }
      if (name === p.identifierAttribute) {
        ctx.addIssue({
          code: 'custom',
          path: ['attributes', name],
          message: 'this is the identifierAttribute: it is passed on prefixed, not mapped',
        });
      }
    }
    if (FILTERED_FOREIGN_ATTRIBUTES[p.identifierAttribute]) {
      ctx.addIssue({
        code: 'custom',
        path: ['identifierAttribute'],
        message: `${FILTERED_FOREIGN_ATTRIBUTES[p.identifierAttribute]} is filtered out`,
      });
    }
  });

const trustFileSchema = z.strictObject({ partners: z.array(z.unknown()).default([]) });

/** A pinned certificate, loaded once (its key as a KeyObject). */
export interface PinnedCertificate {
  readonly file: string;
  readonly publicKey: KeyObject;
  readonly pem: string;
  readonly notAfter: number;
  readonly fingerprint256: string;
}

export interface PartnerConfig {
  readonly id: string;
  readonly kind: PartnerKind;
  readonly name: { readonly de: string; readonly en: string };
  readonly enabled: boolean;
  readonly metadata: {
    readonly url?: string | undefined;
    readonly file?: string | undefined;
    /** `file` resolved against the project. */
    readonly filePath?: string | undefined;
    readonly entityId: string;
    readonly certificates: readonly PinnedCertificate[];
    readonly refreshMinutes: number;
    readonly requireValidUntil: boolean;
    readonly maxCacheHours: number;
    readonly maxValidityDays: number;
  };
  readonly linkAccounts: boolean;
  readonly consent: 'hub' | 'partner';
  readonly identifierPrefix: string;
  readonly identifierAttribute: string;
  readonly attributes: Readonly<Record<string, AttributeName>>;
  readonly loa: { readonly map: Readonly<Record<string, Loa>>; readonly cap: Loa };
  readonly algorithms: { readonly allowSha1: boolean; readonly allowAesCbc: boolean };
  readonly requireSignedResponse: boolean;
  readonly binding: 'auto' | 'redirect' | 'post';
  readonly akdbExtension: boolean;
  readonly singleLogout: boolean;
  /** Kind eidas: what the AuthnRequest asks for (defaults filled in); undefined for other kinds. */
  readonly eidas?: EidasSettings | undefined;
  /** Where the entry sits in the file, for problems found later (metadata). */
  readonly line?: number | undefined;
  /** Its position in `partners` (the key path of problems found later). */
  readonly index?: number | undefined;
}

export interface EidasSettings {
  readonly spType: 'public' | 'private';
  readonly nameIdFormat: 'persistent' | 'transient' | 'unspecified';
  readonly optionalAttributes: readonly EidasOptionalKey[];
}

export class TrustRegistry {
  private readonly byIdMap: ReadonlyMap<string, PartnerConfig>;

  constructor(
    readonly partners: readonly PartnerConfig[],
    /** Short hash of the file (shown in /healthz and `hub status`). */
    readonly version = 'none',
    /** The file as configured (for problems and status). */
    readonly file: string = TRUST_FILE,
  ) {
    this.byIdMap = new Map(partners.map((p) => [p.id, p]));
  }

  byId(partnerId: string): PartnerConfig | undefined {
    return this.byIdMap.get(partnerId);
  }
}

export interface LoadTrustOptions {
  readonly root: string;
  readonly file?: string;
  readonly production?: boolean;
  /** For certificate validity; the CLI and the hub pass their clock. */
  readonly now?: number;
}

function isLoopback(u: string): boolean {
  const host = new URL(u).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

/** Reads a PEM file of one or more certificates; each becomes a pin of its own. */
export function readCertificates(file: string, display: string, now: number): { certs: PinnedCertificate[]; problems: string[] } {
  const problems: string[] = [];
  const certs: PinnedCertificate[] = [];
  let text: string;
  try {
    if (statSync(file).size > 1024 * 1024) return { certs, problems: [`${display} is larger than 1 MiB`] };
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    return { certs, problems: [`${display}: ${reason}`] };
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) problems.push(`${display} holds no PEM certificate`);
  for (const [i, pem] of blocks.entries()) {
    const which = blocks.length > 1 ? `${display} (certificate ${i + 1})` : display;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch (err) {
      problems.push(`${which} is unreadable: ${(err as Error).message}`);
      continue;
    }
    const key = cert.publicKey;
    const type = key.asymmetricKeyType;
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if ((type === 'rsa' || type === 'rsa-pss') && (bits ?? 0) < 2048) {
      problems.push(`${which}: RSA key of ${bits ?? '?'} bits; at least 2048 are required`);
      continue;
    }
    if (type === 'ec' && !['prime256v1', 'secp384r1', 'secp521r1'].includes(key.asymmetricKeyDetails?.namedCurve ?? '')) {
      problems.push(`${which}: EC curve ${key.asymmetricKeyDetails?.namedCurve ?? '?'} is not P-256, P-384 or P-521`);
      continue;
    }
    if (type !== 'rsa' && type !== 'rsa-pss' && type !== 'ec') {
      problems.push(`${which}: unsupported key type ${type ?? 'unknown'}`);
      continue;
    }
    const notBefore = Date.parse(cert.validFrom);
    const notAfter = Date.parse(cert.validTo);
    if (notAfter <= now) {
      problems.push(`${which} expired on ${new Date(notAfter).toISOString()} (remove it, or pin the partner's new certificate)`);
      continue;
    }
    if (notBefore > now) {
      problems.push(`${which} is not valid before ${new Date(notBefore).toISOString()}`);
      continue;
    }
    certs.push({ file, publicKey: key, pem: cert.toString(), notAfter, fingerprint256: cert.fingerprint256 });
  }
  return { certs, problems };
}

/** Reads and checks federation/trust.yaml; throws ConfigError listing every problem. A missing file is an empty list. */
export function loadTrust(options: LoadTrustOptions): TrustRegistry {
  const { registry, problems } = readTrust(options);
  if (problems.length > 0) throw new ConfigError(problems);
  return registry;
}

/**
 * Reads federation/trust.yaml for `hub trust check`: every problem, and the entries that passed
 * (so that their metadata files can be checked too).
 */
export function readTrust(options: LoadTrustOptions): { registry: TrustRegistry; problems: ConfigProblem[] } {
  const file = options.file ?? TRUST_FILE;
  const full = path.resolve(options.root, file);
  if (!existsSync(full)) return { registry: new TrustRegistry([], 'none', file), problems: [] };
  const now = options.now ?? Date.now();
  const { source, problems } = readYamlFile(full, file);
  if (!source) return { registry: new TrustRegistry([], 'none', file), problems: [...problems] };
  const parsed = trustFileSchema.safeParse(source.data ?? {}, { reportInput: true });
  if (!parsed.success) return { registry: new TrustRegistry([], 'none', file), problems: issuesToProblems(parsed.error.issues, source) };
  const found: ConfigProblem[] = [];
  const at = (src: YamlSource, p: (string | number)[], message: string): void => {
    found.push({ file, line: src.lineOf(p), path: p.join('.'), message });
  };
  const out: PartnerConfig[] = [];
  const seenIds = new Map<string, number>();
  const seenEntities = new Map<string, number>();
  const seenPrefixes = new Map<string, number>();
  let enabledEidas: number | undefined;
  parsed.data.partners.forEach((raw, index) => {
    const one = partnerSchema.safeParse(raw, { reportInput: true });
    if (!one.success) {
      found.push(
        ...issuesToProblems(
          one.error.issues.map((i) => ({ ...i, path: ['partners', index, ...i.path] })),
          source,
        ),
      );
      return;
    }
    const p = one.data;
    const base = ['partners', index];
    if (seenIds.has(p.id)) at(source, [...base, 'id'], `duplicate partner id "${p.id}" (also partners.${seenIds.get(p.id)})`);
    seenIds.set(p.id, index);
    if (seenEntities.has(p.metadata.entityId)) {
      at(
        source,
        [...base, 'metadata', 'entityId'],
        `duplicate entityID ${p.metadata.entityId} (also partners.${seenEntities.get(p.metadata.entityId)})`,
      );
    }
    seenEntities.set(p.metadata.entityId, index);
    const prefix = p.identifierPrefix ?? p.id.toUpperCase();
    if (seenPrefixes.has(prefix)) {
      at(source, [...base, 'identifierPrefix'], `duplicate identifier prefix "${prefix}" (also partners.${seenPrefixes.get(prefix)})`);
    }
    seenPrefixes.set(prefix, index);
    if (p.kind === 'eidas' && p.enabled) {
      if (enabledEidas !== undefined) {
        at(
          source,
          [...base, 'kind'],
          `only one eidas entry may be enabled (also partners.${enabledEidas}): the login page offers one eIDAS node`,
        );
      }
      enabledEidas ??= index;
    }
    if (p.metadata.url !== undefined && p.metadata.url.startsWith('http:') && (options.production || !isLoopback(p.metadata.url))) {
      at(source, [...base, 'metadata', 'url'], `${p.metadata.url}: http is allowed only for loopback hosts outside production`);
    }
    let filePath: string | undefined;
    if (p.metadata.file !== undefined) {
      filePath = path.resolve(options.root, p.metadata.file);
      if (!existsSync(filePath)) at(source, [...base, 'metadata', 'file'], `file not found: ${p.metadata.file}`);
    }
    const certificates: PinnedCertificate[] = [];
    p.metadata.certificates.forEach((c, j) => {
      const { certs, problems: bad } = readCertificates(path.resolve(options.root, c), c, now);
      for (const message of bad) at(source, [...base, 'metadata', 'certificates', j], message);
      certificates.push(...certs);
    });
    out.push({
      id: p.id,
      kind: p.kind,
      name: p.name,
      enabled: p.enabled,
      metadata: {
        ...(p.metadata.url !== undefined ? { url: p.metadata.url } : {}),
        ...(p.metadata.file !== undefined ? { file: p.metadata.file, filePath } : {}),
        entityId: p.metadata.entityId,
        certificates,
        refreshMinutes: p.metadata.refreshMinutes,
        requireValidUntil: p.metadata.requireValidUntil,
        maxCacheHours: p.metadata.maxCacheHours,
        maxValidityDays: p.metadata.maxValidityDays,
      },
      linkAccounts: p.link_accounts,
      consent: p.consent,
      identifierPrefix: prefix,
      identifierAttribute: p.identifierAttribute,
      attributes: p.attributes,
      loa: p.loa,
      algorithms: p.algorithms,
      requireSignedResponse: p.requireSignedResponse,
      binding: p.binding,
      akdbExtension: p.akdbExtension,
      singleLogout: p.singleLogout,
      ...(p.kind === 'eidas'
        ? {
            eidas: {
              spType: p.eidas?.spType ?? 'public',
              nameIdFormat: p.eidas?.nameIdFormat ?? 'persistent',
              optionalAttributes: p.eidas?.optionalAttributes ?? [...EIDAS_OPTIONAL_KEYS],
            },
          }
        : {}),
      line: source.lineOf(base),
      index,
    });
  });
  return {
    registry: new TrustRegistry(out, createHash('sha256').update(readFileSync(full)).digest('hex').slice(0, 12), file),
    problems: [...found].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
  };
}

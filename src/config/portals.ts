import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ATTRIBUTE_NAMES, type AttributeName } from '../core/attributes.ts';
import { ConfigError, type ConfigProblem } from '../core/errors.ts';
import { LOA_LEVELS, type Loa } from '../core/loa.ts';
import { deepFreeze } from './load.ts';
import { issuesToProblems, readYamlFile, type YamlSource } from './yaml-file.ts';

/**
 * Portals (online services) that log citizens in through the hub: `federation/portals.yaml`
 * (DECISIONS 10). Each entry names the portal, its minimum level, what may be released to it,
 * and its SAML and/or OIDC settings. Checked strictly like the hub configuration; cross-entry
 * rules (unique ids, entityIDs, client ids; files that exist; secrets that are set) follow.
 */

export const PORTALS_FILE = path.join('federation', 'portals.yaml');

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and hyphens, starting with a letter or digit');
const url = z.url({ protocol: /^https?$/ });

const samlSchema = z.strictObject({
  metadataFile: z.string().min(1).describe("the portal's SAML SP metadata (entityID, ACS, certificates, SLO)"),
  signResponse: z.boolean().default(true).describe('sign the Response as well as the assertion'),
  encryptAssertion: z.boolean().default(true).describe("encrypt the assertion when the SP's metadata has an encryption key"),
  nameIdFormat: z.enum(['persistent', 'transient']).default('persistent').describe('NameID when the request names none'),
  requireSignedRequests: z
    .boolean()
    .optional()
    .describe('refuse unsigned AuthnRequests; default: what the metadata says (AuthnRequestsSigned)'),
});

const oidcSchema = z
  .strictObject({
    clientId: z.string().min(1).max(128).describe('the client_id the portal sends; unique across portals'),
    clientSecretEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/)
      .optional()
      .describe('environment variable holding the client secret'),
    clientSecretFile: z.string().optional().describe('file holding the client secret (first line)'),
    tokenEndpointAuthMethod: z
      .enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'])
      .default('client_secret_basic')
      .describe('none = public client (PKCE S256 required)'),
    jwksFile: z.string().optional().describe("the client's public keys (JWKS) for private_key_jwt"),
    redirectUris: z.array(url).min(1).describe('exact redirect_uri values accepted (https; http only for loopback outside production)'),
    postLogoutRedirectUris: z.array(url).default([]).describe('where RP-initiated logout may return to'),
    backchannelLogoutUri: url.optional().describe("receives a signed logout token when the citizen's session ends (DECISIONS 5)"),
    subjectType: z
      .enum(['pairwise', 'public'])
      .default('pairwise')
      .describe('pairwise: a sub per portal sector; public: the account id, only where the portal must link accounts'),
    idTokenSignedResponseAlg: z
      .enum(['RS256', 'ES256'])
      .default('RS256')
      .describe('signature of ID tokens and logout tokens: RS256, or ES256 when the portal registered it'),
  })
  .superRefine((o, ctx) => {
    const secret = o.clientSecretEnv !== undefined || o.clientSecretFile !== undefined;
    if (o.tokenEndpointAuthMethod.startsWith('client_secret_') && !secret) {
      ctx.addIssue({
        code: 'custom',
        path: ['clientSecretEnv'],
        message: `${o.tokenEndpointAuthMethod} needs clientSecretEnv or clientSecretFile`,
      });
    }
    if (o.tokenEndpointAuthMethod === 'private_key_jwt' && o.jwksFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['jwksFile'], message: 'private_key_jwt needs jwksFile' });
    }
    if (o.tokenEndpointAuthMethod === 'none' && secret) {
      ctx.addIssue({ code: 'custom', path: ['tokenEndpointAuthMethod'], message: 'a public client (none) must not have a secret' });
    }
  });

const rateLimitSchema = z.strictObject({
  max: z.number().int().positive().describe('messages (and status queries) per window'),
  windowMinutes: z.number().int().positive().describe('window length'),
});

/** The token-endpoint client of a portal without an oidc section, for the Postkorb sending API only. */
const postkorbClientSchema = z
  .strictObject({
    clientId: z.string().min(1).max(128),
    tokenEndpointAuthMethod: z
      .enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt'])
      .default('private_key_jwt')
      .describe('how the portal authenticates at the token endpoint (client credentials grant)'),
    clientSecretEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/)
      .optional()
      .describe('environment variable holding the client secret'),
    clientSecretFile: z.string().optional().describe('file holding the client secret (first line)'),
    jwksFile: z.string().optional().describe("the client's public keys (JWKS) for private_key_jwt"),
  })
  .superRefine((o, ctx) => {
    const secret = o.clientSecretEnv !== undefined || o.clientSecretFile !== undefined;
    if (o.tokenEndpointAuthMethod.startsWith('client_secret_') && !secret) {
      ctx.addIssue({
        code: 'custom',
        path: ['clientSecretEnv'],
        message: `${o.tokenEndpointAuthMethod} needs clientSecretEnv or clientSecretFile`,
      });
    }
    if (o.tokenEndpointAuthMethod === 'private_key_jwt' && o.jwksFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['jwksFile'], message: 'private_key_jwt needs jwksFile' });
    }
  });

const senderNameSchema = z.union(
  [z.string().min(1).max(100), z.strictObject({ de: z.string().min(1).max(100), en: z.string().min(1).max(100) })],
  { error: 'one name (1 to 100 characters), or a name for de and for en' },
);

/** The Postkorb (src/mailbox): a portal with this section may send messages to citizens' Postkorb. */
const postkorbSchema = z.strictObject({
  senderName: senderNameSchema.describe(
    'the sending authority as citizens see it in the Postkorb and in the notice mail (one name, or de and en); a message cannot choose its own',
  ),
  enabled: z.boolean().default(true).describe('false: keep the entry but refuse messages (403)'),
  rateLimit: rateLimitSchema.optional().describe('overrides postkorb.ratePerPortal of the hub configuration'),
  client: postkorbClientSchema
    .optional()
    .describe('the client for the token endpoint, for a portal without an oidc section (a portal with one sends with its oidc client)'),
});

/** How a portal lets citizens log in (issue 9): with an account, temporarily, or either. */
export const PORTAL_ACCOUNT_MODES = ['permanent', 'temporary', 'both'] as const;
export type PortalAccountMode = (typeof PORTAL_ACCOUNT_MODES)[number];

export const portalSchema = z
  .strictObject({
    id: id.describe('short name used in logs, audit records, `hub status` and stored consents; never change it'),
    name: z
      .strictObject({
        de: z.string().min(1).max(80).describe('German name'),
        en: z.string().min(1).max(80).describe('English name'),
      })
      .describe('shown to citizens on the login and consent pages'),
    enabled: z.boolean().default(true).describe('false: requests from this portal are refused'),
    minLoa: z.enum(LOA_LEVELS).default('low').describe('applies even when the portal asks for less'),
    attributes: z.array(z.enum(ATTRIBUTE_NAMES)).default([]).describe('what may be released to this portal (release policy)'),
    sector: id.optional().describe('pairwise identifier sector; portals of one sector see the same pseudonym (default: the id)'),
    accounts: z
      .enum(PORTAL_ACCOUNT_MODES)
      .default('permanent')
      .describe(
        'permanent: logins with a Servicekonto; temporary: only "Temporär anmelden" (eID or another state\'s account, nothing kept); both: the citizen chooses',
      ),
    saml: samlSchema.optional(),
    oidc: oidcSchema.optional(),
    postkorb: postkorbSchema.optional().describe('may send messages to the Postkorb of citizens (src/mailbox)'),
  })
  .superRefine((p, ctx) => {
    if (!p.saml && !p.oidc) ctx.addIssue({ code: 'custom', path: [], message: 'a portal needs a saml or an oidc section (or both)' });
    if (p.postkorb && !p.oidc && !p.postkorb.client) {
      ctx.addIssue({
        code: 'custom',
        path: ['postkorb'],
        message: 'a portal without an oidc section needs postkorb.client (its client for the token endpoint)',
      });
    }
    if (p.postkorb?.client && p.oidc) {
      ctx.addIssue({
        code: 'custom',
        path: ['postkorb', 'client'],
        message: 'this portal sends with its oidc client; remove postkorb.client',
      });
    }
    if (p.postkorb && p.oidc?.tokenEndpointAuthMethod === 'none') {
      ctx.addIssue({
        code: 'custom',
        path: ['oidc', 'tokenEndpointAuthMethod'],
        message: 'a public client (none) cannot use the client credentials grant the Postkorb needs',
      });
    }
  });

// Entries are checked one by one, so a broken entry does not hide the problems of the others.
const portalsFileSchema = z.strictObject({ portals: z.array(z.unknown()).default([]) });

export type PortalSaml = z.infer<typeof samlSchema>;
export type PortalOidc = z.infer<typeof oidcSchema>;
export type PostkorbClient = z.infer<typeof postkorbClientSchema>;

export interface PortalPostkorb {
  /** What the citizen sees as the sender. */
  readonly senderName: { readonly de: string; readonly en: string };
  readonly enabled: boolean;
  readonly rateLimit?: { readonly max: number; readonly windowMinutes: number };
  /** The client whose client credentials tokens may send: the oidc client's id or `client.clientId`. */
  readonly clientId: string;
  readonly client?: PostkorbClient & { readonly clientSecret?: string; readonly jwksPath?: string };
}

export interface PortalConfig {
  readonly id: string;
  readonly name: { readonly de: string; readonly en: string };
  readonly enabled: boolean;
  readonly minLoa: Loa;
  readonly attributes: readonly AttributeName[];
  readonly sector: string;
  /** Whether logins for this portal use an account, are temporary (nothing kept), or either (issue 9); absent = permanent. */
  readonly accounts?: PortalAccountMode;
  readonly saml?: PortalSaml & { readonly metadataPath: string };
  readonly oidc?: PortalOidc & { readonly clientSecret?: string; readonly jwksPath?: string };
  readonly postkorb?: PortalPostkorb;
}

export class PortalRegistry {
  private readonly byIdMap: ReadonlyMap<string, PortalConfig>;
  private readonly byClientId: ReadonlyMap<string, PortalConfig>;

  constructor(
    readonly portals: readonly PortalConfig[],
    /** Short hash of the file the registry was read from (shown in /healthz and `hub status`). */
    readonly version = 'none',
  ) {
    this.byIdMap = new Map(portals.map((p) => [p.id, p]));
    this.byClientId = new Map([
      ...portals.filter((p) => p.oidc).map((p) => [p.oidc!.clientId, p] as const),
      ...portals.filter((p) => p.postkorb?.client).map((p) => [p.postkorb!.client!.clientId, p] as const),
    ]);
  }

  byId(portalId: string): PortalConfig | undefined {
    return this.byIdMap.get(portalId);
  }

  /** The portal of a client of the hub's token endpoint (its oidc client, or its postkorb.client). */
  byOidcClientId(clientId: string): PortalConfig | undefined {
    return this.byClientId.get(clientId);
  }
}

/**
 * A module that keeps state derived from the portals (parsed SP metadata, OIDC clients). On a
 * reload every participant first prepares its new state from the new registry, throwing if it
 * cannot; only when all succeeded are the commits run, so a bad file never half-applies.
 */
export interface TrustReloadParticipant {
  prepare(next: PortalRegistry): Promise<() => void>;
}

export interface LoadPortalsOptions {
  readonly root: string;
  readonly file?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly production?: boolean;
}

function isLoopback(u: string): boolean {
  const host = new URL(u).hostname;
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

/** Reads and checks federation/portals.yaml; throws ConfigError listing every problem. */
export function loadPortals(options: LoadPortalsOptions): PortalRegistry {
  const file = options.file ?? PORTALS_FILE;
  const full = path.resolve(options.root, file);
  if (!existsSync(full)) return new PortalRegistry([]);
  const { source, problems } = readYamlFile(full, file);
  if (!source) throw new ConfigError(problems);
  const parsed = portalsFileSchema.safeParse(source.data ?? {}, { reportInput: true });
  if (!parsed.success) throw new ConfigError(issuesToProblems(parsed.error.issues, source));
  const env = options.env ?? process.env;
  const out: PortalConfig[] = [];
  const cross: ConfigProblem[] = [];
  const entries: { index: number; portal: z.infer<typeof portalSchema> }[] = [];
  parsed.data.portals.forEach((raw, index) => {
    const one = portalSchema.safeParse(raw, { reportInput: true });
    if (one.success) entries.push({ index, portal: one.data });
    else
      cross.push(
        ...issuesToProblems(
          one.error.issues.map((i) => ({ ...i, path: ['portals', index, ...i.path] })),
          source,
        ),
      );
  });
  const at = (src: YamlSource, p: (string | number)[], message: string): void => {
    cross.push({ file, line: src.lineOf(p), path: p.join('.'), message });
  };
  const seenIds = new Map<string, number>();
  const seenClients = new Map<string, number>();
  /** The secret or key file of a Postkorb client (the oidc section resolves its own below). */
  const clientCredentials = (
    o: PostkorbClient,
    problem: (key: string, message: string) => void,
  ): { clientSecret?: string; jwksPath?: string } => {
    let clientSecret: string | undefined;
    if (o.clientSecretEnv !== undefined) {
      clientSecret = env[o.clientSecretEnv];
      if (!clientSecret) problem('clientSecretEnv', `environment variable ${o.clientSecretEnv} is not set`);
    } else if (o.clientSecretFile !== undefined) {
      const secretPath = path.resolve(options.root, o.clientSecretFile);
      if (!existsSync(secretPath)) problem('clientSecretFile', `file not found: ${o.clientSecretFile}`);
      else clientSecret = readFileSync(secretPath, 'utf8').split('\n')[0]?.trim();
    }
    if (clientSecret !== undefined && clientSecret.length < 32) {
      problem(o.clientSecretEnv ? 'clientSecretEnv' : 'clientSecretFile', 'the client secret must have at least 32 characters');
    }
    let jwksPath: string | undefined;
    if (o.jwksFile !== undefined) {
      jwksPath = path.resolve(options.root, o.jwksFile);
      if (!existsSync(jwksPath)) problem('jwksFile', `file not found: ${o.jwksFile}`);
    }
    return { ...(clientSecret !== undefined ? { clientSecret } : {}), ...(jwksPath ? { jwksPath } : {}) };
  };
  entries.forEach(({ index: i, portal: p }) => {
    const base = ['portals', i];
    if (seenIds.has(p.id)) at(source, [...base, 'id'], `duplicate portal id "${p.id}" (also portals.${seenIds.get(p.id)})`);
    seenIds.set(p.id, i);
    let saml: PortalConfig['saml'];
    if (p.saml) {
      const metadataPath = path.resolve(options.root, p.saml.metadataFile);
      if (!existsSync(metadataPath)) at(source, [...base, 'saml', 'metadataFile'], `file not found: ${p.saml.metadataFile}`);
      saml = { ...p.saml, metadataPath };
    }
    let oidc: PortalConfig['oidc'];
    if (p.oidc) {
      const o = p.oidc;
      if (seenClients.has(o.clientId))
        at(source, [...base, 'oidc', 'clientId'], `duplicate client id "${o.clientId}" (also portals.${seenClients.get(o.clientId)})`);
      seenClients.set(o.clientId, i);
      let clientSecret: string | undefined;
      if (o.clientSecretEnv !== undefined) {
        clientSecret = env[o.clientSecretEnv];
        if (!clientSecret) at(source, [...base, 'oidc', 'clientSecretEnv'], `environment variable ${o.clientSecretEnv} is not set`);
      } else if (o.clientSecretFile !== undefined) {
        const secretPath = path.resolve(options.root, o.clientSecretFile);
        if (!existsSync(secretPath)) at(source, [...base, 'oidc', 'clientSecretFile'], `file not found: ${o.clientSecretFile}`);
        else clientSecret = readFileSync(secretPath, 'utf8').split('\n')[0]?.trim();
      }
      if (clientSecret !== undefined && clientSecret.length < 32) {
        at(
          source,
          [...base, 'oidc', o.clientSecretEnv ? 'clientSecretEnv' : 'clientSecretFile'],
          'the client secret must have at least 32 characters',
        );
      }
      let jwksPath: string | undefined;
      if (o.jwksFile !== undefined) {
        jwksPath = path.resolve(options.root, o.jwksFile);
        if (!existsSync(jwksPath)) at(source, [...base, 'oidc', 'jwksFile'], `file not found: ${o.jwksFile}`);
      }
      const uris: [string, string[]][] = [
        ['redirectUris', o.redirectUris],
        ['postLogoutRedirectUris', o.postLogoutRedirectUris],
        ['backchannelLogoutUri', o.backchannelLogoutUri ? [o.backchannelLogoutUri] : []],
      ];
      for (const [key, list] of uris) {
        list.forEach((u, j) => {
          if (u.startsWith('http:') && (options.production || !isLoopback(u))) {
            at(
              source,
              [...base, 'oidc', key, ...(key === 'backchannelLogoutUri' ? [] : [j])],
              `${u}: http is allowed only for loopback hosts outside production`,
            );
          }
        });
      }
      oidc = { ...o, ...(clientSecret !== undefined ? { clientSecret } : {}), ...(jwksPath ? { jwksPath } : {}) };
    }
    let postkorb: PortalPostkorb | undefined;
    if (p.postkorb) {
      const k = p.postkorb;
      let client: PortalPostkorb['client'];
      if (k.client) {
        const kp = [...base, 'postkorb', 'client'];
        if (seenClients.has(k.client.clientId))
          at(
            source,
            [...kp, 'clientId'],
            `duplicate client id "${k.client.clientId}" (also portals.${seenClients.get(k.client.clientId)})`,
          );
        seenClients.set(k.client.clientId, i);
        client = { ...k.client, ...clientCredentials(k.client, (key, message) => at(source, [...kp, key], message)) };
      }
      const senderName = typeof k.senderName === 'string' ? { de: k.senderName, en: k.senderName } : k.senderName;
      postkorb = {
        senderName,
        enabled: k.enabled,
        ...(k.rateLimit ? { rateLimit: k.rateLimit } : {}),
        clientId: client?.clientId ?? p.oidc?.clientId ?? '',
        ...(client ? { client } : {}),
      };
    }
    out.push({
      id: p.id,
      name: p.name,
      enabled: p.enabled,
      minLoa: p.minLoa,
      attributes: p.attributes,
      sector: p.sector ?? p.id,
      accounts: p.accounts,
      ...(saml ? { saml } : {}),
      ...(oidc ? { oidc } : {}),
      ...(postkorb ? { postkorb } : {}),
    });
  });
  if (cross.length > 0) throw new ConfigError([...cross].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  return new PortalRegistry(deepFreeze(out), createHash('sha256').update(readFileSync(full)).digest('hex').slice(0, 12));
}

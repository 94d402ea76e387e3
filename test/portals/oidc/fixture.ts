import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { webcrypto } from 'node:crypto';
import * as oidc from 'openid-client';
import { stringify } from 'yaml';
import { TestClock } from '../../helpers/clock.ts';
import type { Client, Page } from '../../helpers/client.ts';
import { GOOD_PASSWORD, personalData, registerAndConfirm } from '../../helpers/citizen.ts';
import { Client as Browser } from '../../helpers/client.ts';
import { newTestDatabase, type TestDatabase } from '../../helpers/database.ts';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { deepMerge } from '../../../src/config/load.ts';

/**
 * The OIDC test bed: a hub on an ephemeral loopback port whose portals come from a portals.yaml
 * generated here (secrets and JWKS in files beside it), a small portal server that receives the
 * authorization responses and back-channel logout tokens, and openid-client as the portal's RP.
 */

/** A portal's web server: the redirect target and the back-channel logout endpoint. */
export class PortalServer {
  readonly callbacks: string[] = [];
  readonly logoutTokens: string[] = [];
  /** Answer back-channel logout with this status (500 = the portal is "unreachable"). */
  logoutStatus = 200;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/backchannel') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const token = new URLSearchParams(body).get('logout_token');
          if (token) this.logoutTokens.push(token);
          res.writeHead(this.logoutStatus, { 'cache-control': 'no-store' }).end();
        });
        return;
      }
      this.callbacks.push(`${this.url}${req.url ?? '/'}`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><title>Portal</title><main>Portal</main>');
    });
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', ok));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    await new Promise<void>((ok) => {
      s.close(() => ok());
      s.closeAllConnections();
    });
  }
}

export interface PortalSpec {
  readonly id: string;
  readonly clientId?: string;
  readonly auth: 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  readonly minLoa?: 'basic' | 'low' | 'substantial' | 'high';
  readonly attributes?: readonly string[];
  readonly sector?: string;
  readonly subjectType?: 'pairwise' | 'public';
  readonly alg?: 'RS256' | 'ES256';
  readonly backchannel?: boolean;
  readonly enabled?: boolean;
  /** Extra redirect URIs on other hosts (pairwise with several hosts). */
  readonly extraRedirectUris?: readonly string[];
}

export interface RegisteredPortal {
  readonly spec: PortalSpec;
  readonly clientId: string;
  readonly server: PortalServer;
  readonly redirectUri: string;
  readonly postLogoutRedirectUri: string;
  readonly secret?: string;
  /** For private_key_jwt. */
  readonly privateKey?: { key: CryptoKey; kid: string };
}

export const ALL_ATTRIBUTES = [
  'givenName',
  'familyName',
  'dateOfBirth',
  'placeOfBirth',
  'birthName',
  'street',
  'postalCode',
  'locality',
  'country',
  'nationality',
  'email',
  'doctoralDegree',
];

export async function registerPortals(dir: string, specs: readonly PortalSpec[]): Promise<RegisteredPortal[]> {
  const out: RegisteredPortal[] = [];
  const entries: unknown[] = [];
  for (const spec of specs) {
    const server = await new PortalServer().start();
    const clientId = spec.clientId ?? `${spec.id}-client`;
    const redirectUri = `${server.url}/callback`;
    const postLogoutRedirectUri = `${server.url}/logged-out`;
    const oidcEntry: Record<string, unknown> = {
      clientId,
      tokenEndpointAuthMethod: spec.auth,
      redirectUris: [redirectUri, ...(spec.extraRedirectUris ?? [])],
      postLogoutRedirectUris: [postLogoutRedirectUri],
      subjectType: spec.subjectType ?? 'pairwise',
      idTokenSignedResponseAlg: spec.alg ?? 'RS256',
    };
    if (spec.backchannel) oidcEntry.backchannelLogoutUri = `${server.url}/backchannel`;
    let secret: string | undefined;
    let privateKey: RegisteredPortal['privateKey'];
    if (spec.auth === 'client_secret_basic' || spec.auth === 'client_secret_post') {
      secret = Buffer.from(webcrypto.getRandomValues(new Uint8Array(32))).toString('base64url');
      writeFileSync(path.join(dir, `${spec.id}.secret`), `${secret}\n`, { mode: 0o600 });
      oidcEntry.clientSecretFile = path.join(dir, `${spec.id}.secret`);
    }
    if (spec.auth === 'private_key_jwt') {
      const pair = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
      const kid = `${spec.id}-key-1`;
      const jwk = await webcrypto.subtle.exportKey('jwk', pair.publicKey);
      writeFileSync(path.join(dir, `${spec.id}.jwks.json`), JSON.stringify({ keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] }));
      oidcEntry.jwksFile = path.join(dir, `${spec.id}.jwks.json`);
      privateKey = { key: pair.privateKey, kid };
    }
    entries.push({
      id: spec.id,
      name: { de: `Portal ${spec.id}`, en: `Portal ${spec.id}` },
      enabled: spec.enabled ?? true,
      minLoa: spec.minLoa ?? 'low',
      attributes: spec.attributes ?? ALL_ATTRIBUTES,
      ...(spec.sector ? { sector: spec.sector } : {}),
      oidc: oidcEntry,
    });
    out.push({
      spec,
      clientId,
      server,
      redirectUri,
      postLogoutRedirectUri,
      ...(secret ? { secret } : {}),
      ...(privateKey ? { privateKey } : {}),
    });
  }
  writeFileSync(path.join(dir, 'portals.yaml'), stringify({ portals: entries }));
  return out;
}

export interface OidcBed {
  readonly h: TestHub;
  readonly portals: Record<string, RegisteredPortal>;
  readonly dir: string;
  readonly clock: TestClock;
  readonly database: TestDatabase;
  /** Stops this hub process only (the store, folder and portal servers stay). */
  stopHub(): Promise<void>;
  close(): Promise<void>;
}

export interface BedOptions {
  readonly overrides?: unknown;
  /** A second hub process on the same store and folder. */
  readonly sameAs?: OidcBed;
}

/** A hub with the given portals; the test clock runs from the real time (oidc-provider uses it). */
export async function startBed(specs: readonly PortalSpec[], options: BedOptions = {}): Promise<OidcBed> {
  const dir = options.sameAs?.dir ?? mkdtempSync(path.join(os.tmpdir(), 'skh-oidc-'));
  const portals = options.sameAs
    ? options.sameAs.portals
    : Object.fromEntries((await registerPortals(dir, specs)).map((p) => [p.spec.id, p]));
  const clock = options.sameAs?.clock ?? new TestClock(Date.now());
  const database = options.sameAs?.database ?? newTestDatabase();
  // Every test registers citizens of its own from one address.
  const base = { throttle: { registrationPerAddress: { max: 1000, windowMinutes: 60 } } };
  const h = await startTestHub({ dir, clock, database, overrides: deepMerge(base, options.overrides ?? {}) });
  let stopped = false;
  const stopHub = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await h.close();
  };
  return {
    h,
    portals,
    dir,
    clock,
    database,
    stopHub,
    async close() {
      await stopHub();
      if (options.sameAs) return;
      for (const p of Object.values(portals)) await p.server.stop();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let citizens = 0;
/** Registers and confirms a citizen; returns the username. */
export async function newCitizen(bed: OidcBed, personal: Record<string, string> = {}): Promise<string> {
  citizens += 1;
  const username = `buerger${citizens}${Math.random().toString(36).slice(2, 6)}`;
  await registerAndConfirm(new Browser(bed.h.url), bed.h.outbox, {
    username,
    personal: personalData({ email: `${username}@example.org`, ...personal }),
  });
  return username;
}

/** openid-client's configuration for a portal, from the hub's discovery document. */
export async function rp(bed: OidcBed, portal: RegisteredPortal, issuer = bed.h.url): Promise<oidc.Configuration> {
  let auth: oidc.ClientAuth;
  switch (portal.spec.auth) {
    case 'none':
      auth = oidc.None();
      break;
    case 'client_secret_basic':
      auth = oidc.ClientSecretBasic(portal.secret);
      break;
    case 'client_secret_post':
      auth = oidc.ClientSecretPost(portal.secret);
      break;
    case 'private_key_jwt':
      auth = oidc.PrivateKeyJwt(portal.privateKey!);
      break;
  }
  const metadata = { ...(portal.spec.alg === 'ES256' ? { id_token_signed_response_alg: 'ES256' } : {}) };
  return oidc.discovery(new URL(issuer), portal.clientId, metadata, auth, { execute: [oidc.allowInsecureRequests] });
}

export interface Authorization {
  readonly url: URL;
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
}

export async function authorizationUrl(
  config: oidc.Configuration,
  portal: RegisteredPortal,
  params: Record<string, string> = {},
): Promise<Authorization> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: portal.redirectUri,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, verifier, state, nonce };
}

export interface DriveOptions {
  readonly username?: string;
  readonly password?: string;
  /** Answer on the consent page. */
  readonly consent?: 'ja' | 'nein';
  /** Called with each consent page before it is answered. */
  readonly onConsent?: (page: Page) => void;
}

/**
 * Walks the citizen's browser from `page` until it reaches the portal: logs in when the login
 * page is shown, answers the consent page, follows "Weiter" pages. Returns the portal's page.
 */
export async function drive(browser: Client, page: Page, portal: RegisteredPortal, options: DriveOptions = {}): Promise<Page> {
  const trail: string[] = [];
  for (let step = 0; step < 12; step++) {
    if (page.url.startsWith(portal.server.url)) return page;
    trail.push(`${page.status} ${page.url}`);
    const actions = page.root.querySelectorAll('form').map((f) => f.getAttribute('action'));
    if (actions.includes('/anmelden/passwort') && options.username) {
      page = await browser.submit({ username: options.username, password: options.password ?? GOOD_PASSWORD }, '/anmelden/passwort');
      continue;
    }
    if (actions.includes('/anmelden/einwilligung') && options.consent) {
      options.onConsent?.(page);
      page = await browser.submit({ entscheidung: options.consent }, '/anmelden/einwilligung');
      continue;
    }
    const next = page.root.querySelector('a#weiter')?.getAttribute('href');
    if (next) {
      page = await browser.get(next);
      continue;
    }
    throw new Error(`stuck at ${page.url} (${page.status}): ${page.text.slice(0, 400)}`);
  }
  throw new Error(`too many steps: ${trail.join(' → ')}`);
}

/** Authorization request through the browser to the portal's callback; returns the callback URL. */
export async function authorize(
  browser: Client,
  config: oidc.Configuration,
  portal: RegisteredPortal,
  params: Record<string, string> = {},
  options: DriveOptions = {},
): Promise<{ callback: URL; authorization: Authorization }> {
  const authorization = await authorizationUrl(config, portal, params);
  const first = await browser.get(authorization.url.href);
  const last = await drive(browser, first, portal, options);
  return { callback: new URL(last.url), authorization };
}

/** The code exchange with every check openid-client makes (state, nonce, PKCE, ID token). */
export function redeem(
  config: oidc.Configuration,
  callback: URL,
  authorization: Authorization,
): ReturnType<typeof oidc.authorizationCodeGrant> {
  return oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: authorization.verifier,
    expectedState: authorization.state,
    expectedNonce: authorization.nonce,
    idTokenExpected: true,
  });
}

/** The payload of a JWT, unverified (tests look at what the hub put in). */
export function jwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function jwtHeader(token: string): Record<string, unknown> {
  const part = token.split('.')[0] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export { Browser };

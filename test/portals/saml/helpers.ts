import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { SAML, ValidateInResponseTo, type Profile, type SamlConfig } from '@node-saml/node-saml';
import { generatePem, selfSignedCertificate } from '../../../src/config/keys.ts';
import { TestClock } from '../../helpers/clock.ts';
import { deepMerge } from '../../../src/config/load.ts';
import { freePort, startTestHub, type TestHub } from '../../helpers/hub.ts';

/**
 * A portal for the SAML tests: node-saml (third-party) as the SP, behind a small HTTP server on
 * loopback with an ACS and an SLO endpoint, its metadata and the hub's portals.yaml generated
 * into a temporary folder. The hub is tested through what this SP sends and accepts.
 */

/** A clock that follows real time (node-saml checks times against it) and can be moved on. */
export class LiveClock extends TestClock {
  private offset = 0;
  override now(): number {
    return Date.now() + this.offset;
  }
  override advance(ms: number): void {
    this.offset += ms;
  }
}

export interface KeyPair {
  readonly keyPem: string;
  readonly certPem: string;
  readonly certBase64: string;
}

/** An SP key pair, made once per machine (RSA 3072 is slow to generate) and copied. */
export async function spKeyPair(name: 'sp' | 'other' = 'sp'): Promise<KeyPair> {
  const dir = path.join(os.tmpdir(), 'servicekonto-hub-test-sp-keys-v1');
  const keyFile = path.join(dir, `${name}.pem`);
  const certFile = path.join(dir, `${name}.crt`);
  if (!existsSync(certFile)) {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'skh-spkeys-'));
    const key = generatePem('RS256');
    writeFileSync(path.join(tmp, `${name}.pem`), key);
    writeFileSync(path.join(tmp, `${name}.crt`), await selfSignedCertificate(createPrivateKey(key), `test-${name}`));
    mkdirSync(dir, { recursive: true });
    for (const f of [`${name}.pem`, `${name}.crt`]) {
      try {
        renameSync(path.join(tmp, f), path.join(dir, f));
      } catch {
        // another test file was quicker
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  }
  const certPem = readFileSync(certFile, 'utf8');
  return { keyPem: readFileSync(keyFile, 'utf8'), certPem, certBase64: Buffer.from(new X509Certificate(certPem).raw).toString('base64') };
}

export interface MetadataOptions {
  readonly entityId: string;
  readonly acs: readonly { url: string; index: number; isDefault?: boolean; binding?: string }[];
  readonly slo?: { url: string; binding: 'redirect' | 'post' } | undefined;
  readonly signingCert?: string | undefined;
  readonly encryptionCert?: string | undefined;
  readonly encryptionMethods?: readonly string[];
  readonly authnRequestsSigned?: boolean;
  readonly validUntil?: string | undefined;
  readonly doctype?: boolean;
}

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

/** SP metadata as a portal operator hands it in (written by hand here, with a default namespace, as many tools do). */
export function spMetadata(o: MetadataOptions): string {
  const key = (use: string, cert: string, methods: readonly string[] = []) =>
    `  <KeyDescriptor use="${use}">\n    <ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n${cert}\n    </ds:X509Certificate></ds:X509Data></ds:KeyInfo>\n${methods
      .map((m) => `    <EncryptionMethod Algorithm="${m}"/>\n`)
      .join('')}  </KeyDescriptor>\n`;
  return `<?xml version="1.0" encoding="UTF-8"?>
${o.doctype ? '<!DOCTYPE EntityDescriptor [<!ENTITY x "y">]>\n' : ''}<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${o.entityId}"${o.validUntil ? ` validUntil="${o.validUntil}"` : ''}>
 <SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="${o.authnRequestsSigned ? 'true' : 'false'}" WantAssertionsSigned="true">
${o.signingCert ? key('signing', o.signingCert) : ''}${o.encryptionCert ? key('encryption', o.encryptionCert, o.encryptionMethods) : ''}${
    o.slo ? `  <SingleLogoutService Binding="${o.slo.binding === 'post' ? POST : REDIRECT}" Location="${o.slo.url}"/>\n` : ''
  }  <NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</NameIDFormat>
  <NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</NameIDFormat>
${o.acs
  .map(
    (a) =>
      `  <AssertionConsumerService index="${a.index}"${a.isDefault ? ' isDefault="true"' : ''} Binding="${a.binding ?? POST}" Location="${a.url}"/>`,
  )
  .join('\n')}
 </SPSSODescriptor>
</EntityDescriptor>
`;
}

export interface PortalEntry {
  readonly id: string;
  readonly metadata: string;
  readonly minLoa?: string;
  readonly attributes?: readonly string[];
  readonly saml?: Record<string, unknown>;
  readonly enabled?: boolean;
}

/** Writes the portals file and each portal's metadata into `dir`; returns the portals file. */
export function writePortals(dir: string, portals: readonly PortalEntry[]): string {
  mkdirSync(dir, { recursive: true });
  const lines = ['portals:'];
  for (const p of portals) {
    const file = path.join(dir, `${p.id}-sp.xml`);
    writeFileSync(file, p.metadata);
    lines.push(`  - id: ${p.id}`, `    name: { de: 'Portal ${p.id}', en: 'Portal ${p.id}' }`);
    if (p.enabled === false) lines.push('    enabled: false');
    lines.push(`    minLoa: ${p.minLoa ?? 'low'}`);
    lines.push(`    attributes: [${(p.attributes ?? []).join(', ')}]`);
    lines.push('    saml:', `      metadataFile: ${JSON.stringify(file)}`);
    for (const [k, v] of Object.entries(p.saml ?? {})) lines.push(`      ${k}: ${JSON.stringify(v)}`);
  }
  const portalsFile = path.join(dir, 'portals.yaml');
  writeFileSync(portalsFile, lines.join('\n') + '\n');
  return portalsFile;
}

export interface Received {
  readonly kind: 'response' | 'logout-request' | 'logout-response';
  readonly profile?: Profile | null;
  readonly error?: Error;
  readonly relayState?: string;
  readonly raw?: string;
}

/** The portal: node-saml behind /acs and /slo, recording what arrived and how node-saml judged it. */
export class FakePortal {
  readonly received: Received[] = [];
  private server: Server | undefined;
  sp!: SAML;

  constructor(
    readonly url: string,
    readonly entityId: string,
  ) {}

  static async start(): Promise<FakePortal> {
    const port = await freePort();
    const portal = new FakePortal(`http://127.0.0.1:${port}`, `http://127.0.0.1:${port}/sp`);
    portal.server = createServer((req, res) => {
      portal.handle(req).then(
        (out) => {
          if (out.redirect) {
            res.writeHead(303, { Location: out.redirect });
            res.end();
          } else {
            res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
            res.end(`<!DOCTYPE html><html><body><main>${out.text}</main></body></html>`);
          }
        },
        (err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        },
      );
    });
    await new Promise<void>((ok) => portal.server!.listen(port, '127.0.0.1', ok));
    return portal;
  }

  get acsUrl(): string {
    return `${this.url}/acs`;
  }

  get sloUrl(): string {
    return `${this.url}/slo`;
  }

  /** A node-saml SP towards `hubUrl` with these settings over sensible defaults. */
  configure(hubUrl: string, hubCertPem: string, keys: KeyPair | undefined, overrides: Partial<SamlConfig> = {}): SAML {
    this.sp = new SAML({
      entryPoint: `${hubUrl}/saml/sso`,
      logoutUrl: `${hubUrl}/saml/slo`,
      issuer: this.entityId,
      callbackUrl: this.acsUrl,
      logoutCallbackUrl: this.sloUrl,
      idpCert: hubCertPem,
      idpIssuer: `${hubUrl}/saml/metadata`,
      audience: this.entityId,
      ...(keys
        ? { privateKey: keys.keyPem, decryptionPvk: keys.keyPem, signatureAlgorithm: 'sha256' as const, digestAlgorithm: 'sha256' }
        : {}),
      identifierFormat: null,
      disableRequestedAuthnContext: true,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: true,
      validateInResponseTo: ValidateInResponseTo.always,
      acceptedClockSkewMs: 0,
      ...overrides,
    });
    return this.sp;
  }

  last(kind: Received['kind']): Received | undefined {
    return [...this.received].reverse().find((r) => r.kind === kind);
  }

  private async handle(req: IncomingMessage): Promise<{ text: string; redirect?: string }> {
    const url = new URL(req.url ?? '/', this.url);
    if (req.method === 'POST' && url.pathname === '/acs') {
      const form = new URLSearchParams(await body(req));
      const SAMLResponse = form.get('SAMLResponse') ?? '';
      const relayState = form.get('RelayState') ?? undefined;
      try {
        const { profile } = await this.sp.validatePostResponseAsync({
          SAMLResponse,
          ...(relayState !== undefined ? { RelayState: relayState } : {}),
        });
        this.received.push({ kind: 'response', profile, raw: SAMLResponse, ...(relayState !== undefined ? { relayState } : {}) });
        return { text: 'ACS: logged in' };
      } catch (err) {
        this.received.push({
          kind: 'response',
          error: err as Error,
          raw: SAMLResponse,
          ...(relayState !== undefined ? { relayState } : {}),
        });
        return { text: `ACS: refused (${(err as Error).message})` };
      }
    }
    if (url.pathname === '/slo') {
      const raw = (req.url ?? '').split('?')[1] ?? '';
      const query = Object.fromEntries(url.searchParams);
      if (req.method === 'GET' && query.SAMLResponse) {
        try {
          const { profile } = await this.sp.validateRedirectAsync(query, raw);
          this.received.push({
            kind: 'logout-response',
            profile,
            raw: query.SAMLResponse,
            ...(query.RelayState ? { relayState: query.RelayState } : {}),
          });
          return { text: 'SLO: logged out' };
        } catch (err) {
          this.received.push({ kind: 'logout-response', error: err as Error, raw: query.SAMLResponse });
          return { text: `SLO: refused (${(err as Error).message})` };
        }
      }
      const posted = req.method === 'POST' ? new URLSearchParams(await body(req)) : undefined;
      if (posted?.get('SAMLResponse')) {
        const raw = posted.get('SAMLResponse')!;
        const relayState = posted.get('RelayState') ?? undefined;
        try {
          // node-saml reads InResponseTo only from a Response root; a LogoutResponse by POST passes
          // with `ifPresent` (the tests compare InResponseTo themselves).
          const lenient = new SAML({ ...this.sp.options, validateInResponseTo: ValidateInResponseTo.ifPresent });
          const { profile } = await lenient.validatePostResponseAsync({
            SAMLResponse: raw,
            ...(relayState ? { RelayState: relayState } : {}),
          });
          this.received.push({ kind: 'logout-response', profile, raw, ...(relayState ? { relayState } : {}) });
          return { text: 'SLO: logged out' };
        } catch (err) {
          this.received.push({ kind: 'logout-response', error: err as Error, raw });
          return { text: `SLO: refused (${(err as Error).message})` };
        }
      }
      let profile: Profile | null;
      try {
        if (req.method === 'GET') profile = (await this.sp.validateRedirectAsync(query, raw)).profile;
        else profile = (await this.sp.validatePostRequestAsync({ SAMLRequest: posted?.get('SAMLRequest') ?? '' })).profile;
      } catch (err) {
        this.received.push({ kind: 'logout-request', error: err as Error });
        return { text: `SLO: refused (${(err as Error).message})` };
      }
      this.received.push({ kind: 'logout-request', profile });
      return { text: 'SLO', redirect: await this.sp.getLogoutResponseUrlAsync(profile!, '', {}, true) };
    }
    return { text: 'portal home' };
  }

  async close(): Promise<void> {
    const s = this.server;
    if (s) await new Promise<void>((ok) => s.close(() => ok()));
  }
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const SAML_NS = {
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
};

export interface SamlHub {
  readonly h: TestHub;
  readonly clock: LiveClock;
  readonly certPem: string;
  close(): Promise<void>;
}

/** A test hub (live clock, no eID, so no method reaches `high`) with these portals. */
export async function startSamlHub(portals: readonly PortalEntry[], overrides: Record<string, unknown> = {}): Promise<SamlHub> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skh-saml-portals-'));
  const portalsFile = writePortals(dir, portals);
  const clock = new LiveClock();
  const h = await startTestHub({ clock, overrides: deepMerge({ federation: { portalsFile }, eid: { enabled: false } }, overrides) });
  return {
    h,
    clock,
    certPem: h.hub.keys.saml.signing.certificatePem!,
    async close() {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The XML of a base64 SAMLResponse from a form. */
export function responseXml(base64: string): string {
  return Buffer.from(base64, 'base64').toString('utf8');
}

/** The XML of a Redirect-binding message in a URL. */
export function redirectXml(url: string, param: 'SAMLRequest' | 'SAMLResponse'): string {
  const value = new URL(url).searchParams.get(param);
  if (!value) throw new Error(`no ${param} in ${url}`);
  return inflateRawSync(Buffer.from(value, 'base64')).toString('utf8');
}

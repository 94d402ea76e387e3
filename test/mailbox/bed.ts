import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { stringify } from 'yaml';
import { deepMerge } from '../../src/config/load.ts';
import { TestClock } from '../helpers/clock.ts';
import { Client } from '../helpers/client.ts';
import { newTestDatabase } from '../helpers/database.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { spMetadata } from '../portals/saml/helpers.ts';
import { PortalServer, rp, type OidcBed, type PortalSpec, type RegisteredPortal } from '../portals/oidc/fixture.ts';

/**
 * The Postkorb test bed: a hub (with the eID simulator) and portals.yaml written here:
 *
 * - `amt`: OIDC portal (private_key_jwt) that may release the handle and send, sender
 *   "Stadt Musterstadt – Bürgeramt";
 * - `finanzamt`: OIDC portal (client_secret_basic) that may send, another sender;
 * - `ohnepost`: OIDC portal without a postkorb section;
 * - `ohnehandle`: OIDC portal whose release policy does not include the Postkorb handle;
 * - `gesperrt`: OIDC portal whose postkorb section is switched off (enabled: false);
 * - `knapp`: OIDC portal allowed 2 API requests a minute;
 * - `saml-amt`: a SAML-only portal with the Postkorb's own client (client_secret_post).
 *
 * The clock starts at the real time (oidc-provider stamps tokens with it) and can be moved on.
 */

export const SENDER = 'Stadt Musterstadt – Bürgeramt';
export const SENDER_EN = 'City of Musterstadt – Citizens office';

export interface PostkorbBed extends OidcBed {
  /** A client credentials token of a portal (scope as asked). */
  token(portal: string, scope?: string): Promise<string>;
  close(): Promise<void>;
}

const ATTRIBUTES = ['givenName', 'familyName', 'dateOfBirth', 'email', 'postkorbHandle'];

export async function startPostkorbBed(overrides: unknown = {}): Promise<PostkorbBed> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skh-postkorb-'));
  const portals: Record<string, RegisteredPortal> = {};
  const entries: unknown[] = [];

  const oidcPortal = async (spec: PortalSpec, postkorb: Record<string, unknown> | undefined): Promise<void> => {
    const server = await new PortalServer().start();
    const clientId = `${spec.id}-client`;
    const entry: Record<string, unknown> = {
      clientId,
      tokenEndpointAuthMethod: spec.auth,
      redirectUris: [`${server.url}/callback`],
      postLogoutRedirectUris: [`${server.url}/logged-out`],
    };
    let secret: string | undefined;
    let privateKey: RegisteredPortal['privateKey'];
    if (spec.auth === 'client_secret_basic' || spec.auth === 'client_secret_post') {
      secret = Buffer.from(webcrypto.getRandomValues(new Uint8Array(32))).toString('base64url');
      writeFileSync(path.join(dir, `${spec.id}.secret`), `${secret}\n`, { mode: 0o600 });
      entry.clientSecretFile = path.join(dir, `${spec.id}.secret`);
    } else if (spec.auth === 'private_key_jwt') {
      const pair = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
      const kid = `${spec.id}-key-1`;
      const jwk = await webcrypto.subtle.exportKey('jwk', pair.publicKey);
      writeFileSync(path.join(dir, `${spec.id}.jwks.json`), JSON.stringify({ keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] }));
      entry.jwksFile = path.join(dir, `${spec.id}.jwks.json`);
      privateKey = { key: pair.privateKey, kid };
    }
    entries.push({
      id: spec.id,
      name: { de: `Portal ${spec.id}`, en: `Portal ${spec.id}` },
      minLoa: 'low',
      attributes: spec.attributes ?? ATTRIBUTES,
      oidc: entry,
      ...(postkorb ? { postkorb } : {}),
    });
    portals[spec.id] = {
      spec,
      clientId,
      server,
      redirectUri: `${server.url}/callback`,
      postLogoutRedirectUri: `${server.url}/logged-out`,
      ...(secret ? { secret } : {}),
      ...(privateKey ? { privateKey } : {}),
    };
  };

  await oidcPortal({ id: 'amt', auth: 'private_key_jwt' }, { senderName: { de: SENDER, en: SENDER_EN } });
  await oidcPortal({ id: 'finanzamt', auth: 'client_secret_basic' }, { senderName: 'Finanzamt Musterstadt' });
  await oidcPortal({ id: 'ohnepost', auth: 'client_secret_basic' }, undefined);
  await oidcPortal({ id: 'ohnehandle', auth: 'client_secret_basic', attributes: ['givenName', 'familyName', 'email'] }, undefined);
  await oidcPortal({ id: 'gesperrt', auth: 'client_secret_post' }, { senderName: 'Gesperrtes Amt', enabled: false });
  await oidcPortal({ id: 'knapp', auth: 'client_secret_basic' }, { senderName: 'Knappes Amt', rateLimit: { max: 2, windowMinutes: 1 } });

  // A SAML-only portal: the Postkorb's client is in its postkorb section.
  const samlSecret = Buffer.from(webcrypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  writeFileSync(path.join(dir, 'saml-amt.secret'), `${samlSecret}\n`, { mode: 0o600 });
  writeFileSync(
    path.join(dir, 'saml-amt-sp.xml'),
    spMetadata({ entityId: 'https://saml-amt.example/sp', acs: [{ url: 'http://127.0.0.1:9/acs', index: 0, isDefault: true }] }),
  );
  entries.push({
    id: 'saml-amt',
    name: { de: 'SAML-Amt', en: 'SAML office' },
    attributes: ATTRIBUTES,
    saml: { metadataFile: path.join(dir, 'saml-amt-sp.xml') },
    postkorb: {
      senderName: { de: 'Landesamt (SAML)', en: 'State office (SAML)' },
      client: {
        clientId: 'saml-amt-postkorb',
        tokenEndpointAuthMethod: 'client_secret_post',
        clientSecretFile: path.join(dir, 'saml-amt.secret'),
      },
    },
  });
  const samlServer = await new PortalServer().start();
  portals['saml-amt'] = {
    spec: { id: 'saml-amt', auth: 'client_secret_post' },
    clientId: 'saml-amt-postkorb',
    server: samlServer,
    redirectUri: `${samlServer.url}/unused`,
    postLogoutRedirectUri: `${samlServer.url}/unused`,
    secret: samlSecret,
  };
  writeFileSync(path.join(dir, 'portals.yaml'), stringify({ portals: entries }));

  const clock = new TestClock(Date.now());
  const database = newTestDatabase();
  const base = { throttle: { registrationPerAddress: { max: 1000, windowMinutes: 60 } } };
  const h: TestHub = await startTestHub({ dir, clock, database, overrides: deepMerge(base, overrides) });
  let stopped = false;
  const stopHub = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await h.close();
  };
  const bed: PostkorbBed = {
    h,
    portals,
    dir,
    clock,
    database,
    stopHub,
    async token(portal, scope = 'postkorb') {
      const config = await rp(bed, portals[portal]!);
      const tokens = await oidc.clientCredentialsGrant(config, scope === '' ? {} : { scope });
      return tokens.access_token;
    },
    async close() {
      await stopHub();
      for (const p of Object.values(portals)) await p.server.stop();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return bed;
}

// ---- the sending API, as a portal's server calls it -------------------------------------------

export interface Attachment {
  readonly fileName: string;
  readonly contentType: string;
  readonly content: Buffer;
}

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

export async function api(
  bed: PostkorbBed,
  method: string,
  pathname: string,
  options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await fetch(new URL(pathname, bed.h.url), { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    parsed = { text };
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

let keys = 0;
export function newKey(): string {
  keys += 1;
  return `key-${Date.now()}-${keys}`;
}

/** Sends a message the way an authority's server does; returns the API's answer. */
export function send(
  bed: PostkorbBed,
  token: string,
  handle: string,
  message: { subject?: string; text?: string; reference?: string; level?: string; attachments?: readonly Attachment[] } & Record<
    string,
    unknown
  > = {},
  key: string = newKey(),
): Promise<ApiAnswer> {
  const { attachments = [], ...rest } = message;
  return api(bed, 'POST', `/api/postkorb/v1/mailboxes/${handle}/messages`, {
    token,
    headers: { 'Idempotency-Key': key },
    body: {
      subject: 'Ihr Antrag auf Wohngeld',
      text: 'Sehr geehrte Frau Mustermann,\n\nanbei der Bescheid.\n\nMit freundlichen Grüßen',
      level: 'low',
      ...rest,
      attachments: attachments.map((a) => ({ fileName: a.fileName, contentType: a.contentType, content: a.content.toString('base64') })),
    },
  });
}

// ---- files an authority sends ------------------------------------------------------------------

/** A small valid PDF (one page with a line of text), made here, padded to `size` bytes with a comment. */
export function pdf(text: string, size?: number): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    (() => {
      const stream = `BT /F1 12 Tf 72 770 Td (${text.replace(/[()\\]/g, '')}) Tj ET`;
      return `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
    })(),
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  let out = Buffer.from(body, 'latin1');
  if (size !== undefined && size > out.length) {
    // A comment before the header's end keeps it a PDF of the wanted size.
    const pad = Buffer.alloc(size - out.length, 0x25);
    out = Buffer.concat([out, pad]);
  }
  return out;
}

/** A 1×1 PNG. */
export function png(): Buffer {
  return Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
}

/** The start of a Windows executable ("MZ" header, PE signature), as a renamed .exe would be. */
export function executable(): Buffer {
  const b = Buffer.alloc(1024, 0);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  b.writeUInt16LE(0x14c, 0x84);
  return b;
}

export { Client };

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import Koa from 'koa';
import { Router } from '@koa/router';
import { SAML, ValidateInResponseTo, type Profile } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';
import * as oidc from 'openid-client';
import { html, type Html } from '../web/html.ts';
import { readFormBody } from '../web/form-body.ts';
import type { DemoMaterial } from './prepare.ts';

/**
 * The demo portal: a small online service with two buttons, "Login via SAML" and "Login via
 * OIDC", that shows exactly what it received. It is a client of the hub like any portal, built
 * on third-party protocol libraries (node-saml as SAML SP, openid-client as OIDC RP), and runs
 * beside the hub on a port of its own in development.
 */

export interface DemoOptions {
  readonly demoUrl: string;
  readonly hubUrl: string;
  readonly hubSigningCertificatePem: string;
  readonly material: DemoMaterial;
  readonly clientId: string;
}

const LEVELS = [
  ['http://eidas.europa.eu/LoA/low', 'niedrig (eIDAS low)'],
  ['http://eidas.europa.eu/LoA/substantial', 'substanziell (eIDAS substantial)'],
  ['http://eidas.europa.eu/LoA/high', 'hoch (eIDAS high)'],
  ['STORK-QAA-Level-1', 'Basisregistrierung (STORK-QAA-Level-1)'],
  ['STORK-QAA-Level-3', 'substanziell (STORK-QAA-Level-3)'],
] as const;

const STYLE = `body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
header{background:#5a2d82;color:#fff;padding:.75rem 1rem;margin-bottom:1.5rem}h1{margin:0;font-size:1.4rem}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border-bottom:1px solid #767676;padding:.35rem .5rem;text-align:left;vertical-align:top}
button{font:inherit;padding:.5rem 1rem;margin:.25rem .5rem .25rem 0;background:#5a2d82;color:#fff;border:2px solid #5a2d82;cursor:pointer}
pre{background:#f3f3f3;padding:1rem;overflow:auto;font-size:.85rem}label{font-weight:600}select{font:inherit;padding:.3rem}`;

function page(title: string, body: Html): string {
  return html`<!DOCTYPE html>
    <html lang="de">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} – Demo-Portal</title>
        <link rel="stylesheet" href="/demo.css" />
      </head>
      <body>
        <header><h1>Demo-Portal (Online-Dienst)</h1></header>
        <main>${body}</main>
      </body>
    </html>`.value;
}

/** Short-lived state kept in an HMAC-signed cookie (the demo stores nothing on the server). */
class SignedCookie {
  private readonly key = randomBytes(32);
  constructor(readonly name: string) {}
  seal(value: unknown): string {
    const body = Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${body}.${createHmac('sha256', this.key).update(body).digest('base64url')}`;
  }
  open<T>(sealed: string | undefined): T | undefined {
    if (!sealed) return undefined;
    const [body = '', mac = ''] = sealed.split('.');
    const expected = createHmac('sha256', this.key).update(body).digest('base64url');
    if (mac.length !== expected.length || !timingSafeEqual(Buffer.from(mac), Buffer.from(expected))) return undefined;
    return JSON.parse(Buffer.from(body, 'base64url').toString()) as T;
  }
}

interface SamlAttribute {
  name: string;
  friendlyName: string;
  trustLevel: string;
  values: string[];
}

/** Attributes as the assertion carries them, with the per-attribute akdb:TrustLevel. */
function samlAttributes(assertionXml: string): { attributes: SamlAttribute[]; classRef: string; authnInstant: string } {
  const doc = new DOMParser().parseFromString(assertionXml, 'text/xml');
  const ns = 'urn:oasis:names:tc:SAML:2.0:assertion';
  const attributes: SamlAttribute[] = [];
  const list = doc.getElementsByTagNameNS(ns, 'Attribute');
  for (let i = 0; i < list.length; i++) {
    const a = list.item(i)!;
    const values: string[] = [];
    const vs = a.getElementsByTagNameNS(ns, 'AttributeValue');
    for (let j = 0; j < vs.length; j++) values.push(vs.item(j)!.textContent ?? '');
    attributes.push({
      name: a.getAttribute('Name') ?? '',
      friendlyName: a.getAttribute('FriendlyName') ?? '',
      trustLevel: a.getAttribute('akdb:TrustLevel') ?? a.getAttributeNS('https://www.akdb.de/request/2018/09', 'TrustLevel') ?? '',
      values,
    });
  }
  const classRef = doc.getElementsByTagNameNS(ns, 'AuthnContextClassRef').item(0)?.textContent ?? '';
  const authnInstant = doc.getElementsByTagNameNS(ns, 'AuthnStatement').item(0)?.getAttribute('AuthnInstant') ?? '';
  return { attributes, classRef, authnInstant };
}

function decodeJwtPayload(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;
}

export interface DemoPortal {
  listen(port: number, host: string): Promise<Server>;
  readonly app: Koa;
}

export function createDemoPortal(options: DemoOptions): DemoPortal {
  const { demoUrl, hubUrl, material } = options;
  const app = new Koa();
  const router = new Router();
  const state = new SignedCookie('demo_portal_state');
  const login = new SignedCookie('demo_portal_login');

  const saml = (authnContext: string): SAML =>
    new SAML({
      entryPoint: `${hubUrl}/saml/sso`,
      logoutUrl: `${hubUrl}/saml/slo`,
      issuer: material.entityId,
      callbackUrl: `${demoUrl}/saml/acs`,
      logoutCallbackUrl: `${demoUrl}/saml/slo`,
      idpCert: options.hubSigningCertificatePem,
      idpIssuer: `${hubUrl}/saml/metadata`,
      audience: material.entityId,
      privateKey: material.keyPem,
      decryptionPvk: material.keyPem,
      signatureAlgorithm: 'sha256',
      digestAlgorithm: 'sha256',
      identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      authnContext: [authnContext],
      racComparison: 'minimum',
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: true,
      // The request id travels in the signed state cookie, so no server memory is needed.
      validateInResponseTo: ValidateInResponseTo.never,
      acceptedClockSkewMs: 60_000,
    });

  let oidcConfig: Promise<oidc.Configuration> | undefined;
  const oidcClient = (): Promise<oidc.Configuration> => {
    oidcConfig ??= oidc
      .discovery(new URL(hubUrl), options.clientId, material.oidcSecret, undefined, {
        ...(hubUrl.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : {}),
      })
      .catch((err: unknown) => {
        oidcConfig = undefined;
        throw err;
      });
    return oidcConfig;
  };

  const cookie = (ctx: Koa.Context, name: string, value: string, maxAge: number): void => {
    ctx.cookies.set(name, value, { httpOnly: true, sameSite: 'lax', maxAge, overwrite: true });
  };

  app.use(async (ctx, next) => {
    ctx.set(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'self'; form-action 'self' " + new URL(hubUrl).origin + "; base-uri 'none'; frame-ancestors 'none'",
    );
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    try {
      await next();
    } catch (err) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = page(
        'Fehler',
        html`<h2>Die Anmeldung ist gescheitert</h2>
          <pre>${String((err as Error).message)}</pre>
          <p><a href="/">Zurück</a></p>`,
      );
    }
  });

  router.get('/demo.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.body = STYLE;
  });

  router.get('/', (ctx) => {
    const levelSelect = html`<label for="level">Verlangtes Vertrauensniveau</label>
      <select id="level" name="level">
        ${LEVELS.map(([v, label]) => html`<option value="${v}">${label}</option>`)}
      </select>`;
    ctx.type = 'html';
    ctx.body = page(
      'Start',
      html`<p>
          Dieses Demo-Portal ist ein Online-Dienst, der seine Nutzer beim Servicekonto (${hubUrl}) anmelden lässt und anzeigt, was es
          erhalten hat.
        </p>
        <form method="get" action="/saml/login">
          ${levelSelect}
          <p><button type="submit">Login via SAML</button></p>
        </form>
        <form method="get" action="/oidc/login">
          <label for="acr">Verlangtes Vertrauensniveau</label>
          <select id="acr" name="level">
            ${LEVELS.map(([v, label]) => html`<option value="${v}">${label}</option>`)}
          </select>
          <p><button type="submit">Login via OIDC</button></p>
        </form>`,
    );
  });

  // ---- SAML -----------------------------------------------------------------------------

  router.get('/saml/login', async (ctx) => {
    const level = typeof ctx.query.level === 'string' ? ctx.query.level : LEVELS[0][0];
    const relayState = randomBytes(12).toString('base64url');
    cookie(ctx, state.name, state.seal({ relayState, level }), 10 * 60_000);
    ctx.redirect(await saml(level).getAuthorizeUrlAsync(relayState, undefined, {}));
  });

  router.post('/saml/acs', async (ctx) => {
    const form = await readFormBody(ctx.req, 512 * 1024);
    const expected = state.open<{ relayState: string; level: string }>(ctx.cookies.get(state.name));
    const sp = saml(expected?.level ?? LEVELS[0][0]);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: form.get('SAMLResponse'), RelayState: form.get('RelayState') });
    if (!profile) throw new Error('no profile in the response');
    if (!expected || expected.relayState !== form.get('RelayState'))
      throw new Error('RelayState does not match the request sent from this browser');
    const assertion = profile.getAssertionXml?.() ?? '';
    const { attributes, classRef, authnInstant } = samlAttributes(assertion);
    cookie(
      ctx,
      login.name,
      login.seal({
        protocol: 'saml',
        nameID: profile.nameID,
        nameIDFormat: profile.nameIDFormat,
        sessionIndex: profile.sessionIndex ?? '',
      }),
      3600_000,
    );
    ctx.type = 'html';
    ctx.body = page(
      'SAML',
      html`<h2>Angemeldet über SAML</h2>
        <table>
          <tr>
            <th scope="row">NameID</th>
            <td>${profile.nameID}</td>
          </tr>
          <tr>
            <th scope="row">NameID-Format</th>
            <td>${profile.nameIDFormat}</td>
          </tr>
          <tr>
            <th scope="row">Vertrauensniveau (AuthnContextClassRef)</th>
            <td id="saml-loa">${classRef}</td>
          </tr>
          <tr>
            <th scope="row">AuthnInstant</th>
            <td>${authnInstant}</td>
          </tr>
          <tr>
            <th scope="row">SessionIndex</th>
            <td>${profile.sessionIndex ?? ''}</td>
          </tr>
        </table>
        <h3>Attribute</h3>
        <table id="saml-attributes">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">FriendlyName</th>
              <th scope="col">Wert</th>
              <th scope="col">akdb:TrustLevel</th>
            </tr>
          </thead>
          <tbody>
            ${attributes.map(
              (a) =>
                html`<tr>
                  <td>${a.name}</td>
                  <td>${a.friendlyName}</td>
                  <td>${a.values.join(', ')}</td>
                  <td>${a.trustLevel}</td>
                </tr>`,
            )}
          </tbody>
        </table>
        <form method="post" action="/saml/logout"><button type="submit">Logout via SAML</button></form>
        <p><a href="/">Zurück zum Start</a></p>
        <details>
          <summary>Assertion (XML)</summary>
          <pre>${assertion}</pre>
        </details>`,
    );
  });

  router.post('/saml/logout', async (ctx) => {
    const l = login.open<{ nameID: string; nameIDFormat: string; sessionIndex: string }>(ctx.cookies.get(login.name));
    if (!l) return ctx.redirect('/');
    const profile: Profile = {
      issuer: `${hubUrl}/saml/metadata`,
      nameID: l.nameID,
      nameIDFormat: l.nameIDFormat,
      sessionIndex: l.sessionIndex,
    };
    ctx.redirect(await saml(LEVELS[0][0]).getLogoutUrlAsync(profile, 'logout', {}));
  });

  const samlLogoutEndpoint = async (ctx: Koa.Context): Promise<void> => {
    const sp = saml(LEVELS[0][0]);
    if (ctx.method === 'GET') {
      const query = Object.fromEntries(Object.entries(ctx.query).map(([k, v]) => [k, String(v)]));
      const originalQuery = ctx.querystring;
      if ('SAMLResponse' in query) {
        await sp.validateRedirectAsync(query, originalQuery);
        ctx.cookies.set(login.name, '', { maxAge: 0 });
        ctx.type = 'html';
        ctx.body = page(
          'Abgemeldet',
          html`<h2>Abgemeldet (SAML)</h2>
            <p><a href="/">Zurück zum Start</a></p>`,
        );
        return;
      }
      const { profile } = await sp.validateRedirectAsync(query, originalQuery);
      ctx.cookies.set(login.name, '', { maxAge: 0 });
      ctx.redirect(
        await sp.getLogoutResponseUrlAsync(profile ?? { issuer: '', nameID: '', nameIDFormat: '' }, query.RelayState ?? '', {}, true),
      );
      return;
    }
    const form = await readFormBody(ctx.req, 512 * 1024);
    const { profile } = await sp.validatePostRequestAsync({ SAMLRequest: form.get('SAMLRequest') });
    ctx.cookies.set(login.name, '', { maxAge: 0 });
    ctx.redirect(
      await sp.getLogoutResponseUrlAsync(profile ?? { issuer: '', nameID: '', nameIDFormat: '' }, form.get('RelayState'), {}, true),
    );
  };
  router.get('/saml/slo', samlLogoutEndpoint);
  router.post('/saml/slo', samlLogoutEndpoint);

  // ---- OIDC -----------------------------------------------------------------------------

  router.get('/oidc/login', async (ctx) => {
    const config = await oidcClient();
    const level = typeof ctx.query.level === 'string' ? ctx.query.level : LEVELS[0][0];
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const st = oidc.randomState();
    cookie(ctx, state.name, state.seal({ verifier, nonce, state: st }), 10 * 60_000);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${demoUrl}/oidc/callback`,
      scope: 'openid profile email address postkorb',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      acr_values: level,
      nonce,
      state: st,
    });
    ctx.redirect(url.href);
  });

  router.get('/oidc/callback', async (ctx) => {
    const config = await oidcClient();
    const expected = state.open<{ verifier: string; nonce: string; state: string }>(ctx.cookies.get(state.name));
    if (!expected) throw new Error('no login was started in this browser');
    const tokens = await oidc.authorizationCodeGrant(config, new URL(ctx.href), {
      pkceCodeVerifier: expected.verifier,
      expectedNonce: expected.nonce,
      expectedState: expected.state,
    });
    const claims: Record<string, unknown> = tokens.claims() ?? {};
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, String(claims.sub));
    const idToken = tokens.id_token ?? '';
    cookie(ctx, login.name, login.seal({ protocol: 'oidc', idToken }), 3600_000);
    ctx.type = 'html';
    ctx.body = page(
      'OIDC',
      html`<h2>Angemeldet über OpenID Connect</h2>
        <table>
          <tr>
            <th scope="row">sub</th>
            <td>${String(claims.sub)}</td>
          </tr>
          <tr>
            <th scope="row">Vertrauensniveau (acr)</th>
            <td id="oidc-acr">${String(claims.acr ?? '')}</td>
          </tr>
          <tr>
            <th scope="row">Methoden (amr)</th>
            <td>${JSON.stringify(claims.amr ?? [])}</td>
          </tr>
        </table>
        <h3>ID-Token</h3>
        <pre id="id-token">${JSON.stringify(decodeJwtPayload(idToken), null, 2)}</pre>
        <h3>UserInfo</h3>
        <pre id="userinfo">${JSON.stringify(userinfo, null, 2)}</pre>
        <form method="post" action="/oidc/logout"><button type="submit">Logout via OIDC</button></form>
        <p><a href="/">Zurück zum Start</a></p>`,
    );
  });

  router.post('/oidc/logout', async (ctx) => {
    const l = login.open<{ idToken: string }>(ctx.cookies.get(login.name));
    ctx.cookies.set(login.name, '', { maxAge: 0 });
    if (!l) return ctx.redirect('/');
    const config = await oidcClient();
    ctx.redirect(oidc.buildEndSessionUrl(config, { id_token_hint: l.idToken, post_logout_redirect_uri: `${demoUrl}/` }).href);
  });

  // Back-channel logout: the hub tells us a session ended. The demo keeps no server sessions,
  // so it only acknowledges; a real portal would end the session named by `sid`.
  router.post('/oidc/backchannel-logout', async (ctx) => {
    await readFormBody(ctx.req, 64 * 1024);
    ctx.status = 200;
    ctx.body = '';
  });

  app.use(router.routes());
  app.use(router.allowedMethods());

  return {
    app,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        const server = app.listen(port, host);
        server.once('listening', () => resolve(server));
        server.once('error', reject);
      }),
  };
}

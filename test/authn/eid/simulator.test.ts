import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import test from 'ava';
import { EidLinkError, EidServerClient, postPinned } from '../../../src/authn/eid/client.ts';
import type { EidCredentials, SigningIdentity } from '../../../src/authn/eid/credentials.ts';
import { eidRequest } from '../../../src/authn/eid/flow.ts';
import {
  RESULT_MINOR,
  getResultRequestXml,
  isOk,
  parseResult,
  parseUseIdResponse,
  useIdRequestXml,
} from '../../../src/authn/eid/soap-messages.ts';
import { envelope, openEnvelope } from '../../../src/authn/eid/wss.ts';
import { Client } from '../../helpers/client.ts';
import { EID_FILES, startTestHub, type TestHub } from '../../helpers/hub.ts';
import { identity, REQUEST } from './fixtures.ts';

/**
 * The simulator enforces what it claims, like the eID-Server it stands for (DECISIONS 13): mutual
 * TLS with the hub's certificate only, WS-Security signatures by the hub's key only, the session
 * rules of getResult; and the hub talks only to the pinned server certificate and accepts only
 * answers signed with the pinned key.
 */

let h: TestHub;
let credentials: EidCredentials;
let stranger: SigningIdentity;

test.before(async () => {
  h = await startTestHub();
  const file = (name: string): string => path.join(h.dir, 'eid', name);
  const keyPem = readFileSync(file(EID_FILES.clientKeyFile), 'utf8');
  const certPem = readFileSync(file(EID_FILES.clientCertificateFile), 'utf8');
  const serverCert = new X509Certificate(readFileSync(file(EID_FILES.serverCertificateFile)));
  credentials = {
    client: {
      privateKey: createPrivateKey(keyPem),
      privateKeyPem: keyPem,
      certificate: new X509Certificate(certPem),
      certificatePem: certPem,
    },
    serverTls: [serverCert],
    serverSigning: [serverCert],
  };
  stranger = await identity('stranger');
});
test.after.always(async () => {
  await h?.close();
});

function simulatorUrl(): URL {
  return new URL(h.hub.eid!.simulator!.serverUrl);
}

/** Opens a TLS connection to the simulator's eID-Interface and tries one request. */
function tryTls(options: { key?: string; cert?: string }): Promise<string> {
  const url = simulatorUrl();
  return new Promise((resolve) => {
    const socket = tls.connect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false, ...options });
    let data = '';
    socket.on('secureConnect', () =>
      socket.write(`POST /eID-Server HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`),
    );
    socket.on('data', (d: Buffer) => (data += d.toString()));
    socket.on('end', () => resolve(data === '' ? 'closed without answer' : data.split('\r\n')[0]!));
    socket.on('error', (err) => resolve(`error: ${err.message}`));
  });
}

async function soap(body: string, signer: SigningIdentity | undefined): Promise<Element> {
  const res = await postPinned(simulatorUrl(), envelope(body, { signer, now: h.clock.now() }), {
    credentials,
    timeoutMs: 5000,
    headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '""' },
  });
  t200(res.status);
  return openEnvelope(res.body, { requireSignature: true, trusted: credentials.serverSigning, now: h.clock.now() }).operation;
}

function t200(status: number): void {
  if (status !== 200) throw new Error(`HTTP ${status}`);
}

test('a client without a certificate is refused by the eID-Interface', async (t) => {
  t.regex(await tryTls({}), /error|closed without answer/);
});

test('a client with another certificate is refused by the eID-Interface', async (t) => {
  const answer = await tryTls({ key: stranger.privateKeyPem, cert: stranger.certificatePem });
  t.regex(answer, /error|closed without answer/);
  t.notRegex(answer, /HTTP\/1\.1 200/);
});

test('the hub with its certificate gets through (an empty request is then refused at the SOAP level)', async (t) => {
  t.regex(await tryTls({ key: credentials.client.privateKeyPem, cert: credentials.client.certificatePem }), /^HTTP\/1\.1 500/);
});

test('an unsigned request, and one signed by another key, are answered with common#internalError only', async (t) => {
  for (const signer of [undefined, stranger]) {
    const op = await soap(useIdRequestXml(REQUEST), signer);
    const result = parseResult(op);
    t.false(isOk(result));
    t.is(result.minor, RESULT_MINOR.internalError);
  }
  t.true(isOk(parseResult(await soap(useIdRequestXml(REQUEST), credentials.client))), 'signed by the hub it works');
});

test('useID refuses operations beyond the authorization certificate and age verification without an age', async (t) => {
  const beyond = parseResult(
    await soap(useIdRequestXml({ ...REQUEST, operations: { ...REQUEST.operations, CommunityID: 'REQUIRED' } }), credentials.client),
  );
  t.is(beyond.minor, RESULT_MINOR.missingTerminalRights);
  const noAge = parseResult(await soap(useIdRequestXml({ ...REQUEST, ageVerification: undefined }), credentials.client));
  t.is(noAge.minor, RESULT_MINOR.missingArgument);
});

test('getResult: no result yet, then the counter must grow, and an unknown session is invalid', async (t) => {
  const opened = parseUseIdResponse(await soap(useIdRequestXml(REQUEST), credentials.client));
  const ask = async (sessionId: string, counter: number) =>
    parseResult(await soap(getResultRequestXml({ sessionId, requestCounter: counter }), credentials.client));
  t.is((await ask(opened.sessionId, 1)).minor, RESULT_MINOR.noResultYet);
  t.is((await ask(opened.sessionId, 1)).minor, RESULT_MINOR.invalidCounter, 'a replayed counter');
  t.is((await ask(opened.sessionId, 2)).minor, RESULT_MINOR.invalidSession, 'and the session is gone after that');
  t.is((await ask('ab'.repeat(32), 1)).minor, RESULT_MINOR.invalidSession);
});

test('the hub refuses an eID-Server whose TLS certificate is not pinned, and answers signed with another key', async (t) => {
  const client = (c: EidCredentials) =>
    new EidServerClient({ endpoint: () => simulatorUrl().toString(), credentials: c, wsSecurity: true, timeoutMs: 5000, clock: h.clock });
  const wrongPin = await t.throwsAsync(client({ ...credentials, serverTls: [stranger.certificate] }).useId(eidRequest(16)), {
    instanceOf: EidLinkError,
  });
  t.is(wrongPin?.problem, 'untrusted_server');
  const wrongSigner = await t.throwsAsync(client({ ...credentials, serverSigning: [stranger.certificate] }).useId(eidRequest(16)), {
    instanceOf: EidLinkError,
  });
  t.is(wrongSigner?.problem, 'unknown_certificate');
  t.truthy((await client(credentials).useId(eidRequest(16))).sessionId, 'with the right pins it works');
});

test('the hub tells the citizen clearly when the eID-Server cannot be reached', async (t) => {
  const broken = await startTestHub({ overrides: { eid: { serverUrl: 'https://127.0.0.1:9/eID-Server' } } });
  try {
    const c = new Client(broken.url);
    await c.get('/anmelden');
    const page = await c.submit({}, '/anmelden/ausweis');
    t.is(page.status, 502);
    t.regex(page.text, /Verbindung zum eID-Server ist fehlgeschlagen/);
    t.regex(page.text, /Fehlernummer für Rückfragen: [0-9a-f]{12}/);
  } finally {
    await broken.close();
  }
});

test('the TC Token is served once for a known reference, as XML, never cached', async (t) => {
  const unknown = await fetch(`${h.url}/eid/tctoken?ref=${'a'.repeat(43)}`);
  t.is(unknown.status, 404);
  const c = new Client(h.url);
  const loginPage = await c.get('/anmelden');
  const csrf = loginPage.root.querySelector('form[action="/anmelden/ausweis"] input[name=_csrf]')!.getAttribute('value')!;
  const start = await fetch(`${h.url}/anmelden/ausweis`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `skh_session=${c.cookie('skh_session')}` },
    body: new URLSearchParams({ _csrf: csrf }),
    redirect: 'manual',
  });
  // A page that moves on by itself (not a redirect: the form-action CSP would block it in Chromium).
  t.is(start.status, 200);
  const refresh = /<meta http-equiv="refresh" content="0; url=([^"]+)"/.exec(await start.text())?.[1];
  t.truthy(refresh, 'the page moves on to the eID-Client');
  const target = new URL(refresh!.replace(/&amp;/g, '&'));
  t.is(`${target.origin}${target.pathname}`, h.hub.eid!.simulator!.clientUrl, 'to the eID-Client');
  const tcTokenUrl = target.searchParams.get('tcTokenURL')!;
  t.true(tcTokenUrl.startsWith(`${h.url}/eid/tctoken?ref=`));
  const token = await fetch(tcTokenUrl);
  t.is(token.status, 200);
  t.regex(token.headers.get('content-type')!, /^text\/xml/);
  t.is(token.headers.get('cache-control'), 'no-store');
  t.falsy(token.headers.get('set-cookie'), 'no session for the eID-Client');
  const xml = await token.text();
  t.regex(xml, /<TCTokenType><ServerAddress>https:\/\/127\.0\.0\.1:\d+\/eCard<\/ServerAddress>/);
  t.regex(xml, /<RefreshAddress>http:\/\/127\.0\.0\.1:\d+\/anmelden\/ausweis\/zurueck\?ref=[\w-]{43}&amp;k=[\w-]{43}<\/RefreshAddress>/);
  t.regex(xml, /<Binding>urn:liberty:paos:2006-08<\/Binding><PathSecurity-Protocol>urn:ietf:rfc:4279<\/PathSecurity-Protocol>/);
  t.regex(xml, /<PSK>[0-9a-f]{64}<\/PSK>/);
  t.is((await fetch(tcTokenUrl)).status, 404, 'once only');
});

test('starting ID card readings is rate-limited per client address, with a clear message', async (t) => {
  const limited = await startTestHub({ overrides: { eid: { startsPerAddress: { max: 2, windowMinutes: 60 } } } });
  try {
    const c = new Client(limited.url);
    for (let i = 0; i < 2; i++) {
      await c.get('/anmelden');
      await c.submit({}, '/anmelden/ausweis');
      t.regex((await c.followRefresh())!.url, /\/eID-Client\?/);
    }
    await c.get('/anmelden');
    const page = await c.submit({}, '/anmelden/ausweis');
    t.is(page.status, 429);
    t.regex(page.text, /zu viele Vorgänge mit dem Ausweis begonnen\. Bitte warten Sie 60 Minuten/);
  } finally {
    await limited.close();
  }
});

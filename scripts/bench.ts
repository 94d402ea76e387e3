/**
 * `npm run bench`: what a login costs the hub, next to the cost of the RSA operations it cannot
 * avoid, measured in one run on this machine (DESIGN.md, "Performance").
 *
 * Scenario "portal SSO": a citizen with a hub session is sent by a SAML portal (signed
 * HTTP-Redirect AuthnRequest); the hub checks the request, its session and consent, and answers
 * with a signed Response holding a signed, encrypted Assertion. Its floor is one RSA
 * verification and two RSA signatures with the hub's key. The hub runs in a process of its own;
 * its CPU time is read from that process.
 *
 * Scenario "brokered login" ("Anmelden mit anderem deutschen Nutzerkonto"): the portal's signed
 * request goes to the hub, the citizen picks the partner state on the hub's list, the hub sends a
 * signed AuthnRequest to the partner's IdP (test/federation/partner.ts, in this process, so its
 * CPU is not the hub's), the partner answers with a signed Response holding a signed, encrypted
 * Assertion, the hub checks it, maps it onto the citizen's federated account (`link_accounts:
 * true`), asks consent when needed and answers the portal as above. Every login comes from a
 * fresh browser (cookies of its own, the whole round trip); the partner names one of 20 citizens
 * in turn, whose first (warm-up) logins create their accounts and give consent.
 *
 * Scenario "Postkorb": the portal's server delivers messages with a 100 KB PDF attachment to a
 * citizen's Postkorb (client credentials token, JSON with base64, the content check, one
 * transaction with the attachment's bytes, the delivery record and the notice); messages/s.
 *
 *   BENCH_N=400 BENCH_BROKERED_N=200 BENCH_POSTKORB_N=200 BENCH_CONCURRENCY=4 npm run bench
 *   (DATABASE_URL=postgres://… for PostgreSQL)
 */
import { fork } from 'node:child_process';
import { generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { SAML } from '@node-saml/node-saml';
import { stringify } from 'yaml';
import { prepareDemo, DEMO_FILES } from '../src/demo/prepare.ts';
import { Client } from '../test/helpers/client.ts';
import { GOOD_PASSWORD, personalData } from '../test/helpers/citizen.ts';
import { freePort } from '../test/helpers/hub.ts';
import { Outbox } from '../test/helpers/outbox.ts';
import { OID, TestPartner } from '../test/federation/partner.ts';
import { pdf } from '../test/mailbox/bed.ts';

const N = Number(process.env.BENCH_N ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const POSTKORB_N = Number(process.env.BENCH_POSTKORB_N ?? 200);
const BROKERED_N = Number(process.env.BENCH_BROKERED_N ?? 200);
const BROKERED_CITIZENS = 20;

function perSecond(run: () => void, ms = 1500): number {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    run();
    n++;
  }
  return n / (ms / 1000);
}

function rsa(bits: number): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: bits });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function cpuMs(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

const data = Buffer.alloc(600, 'x'); // a SignedInfo is about this long

// ---- the floor -------------------------------------------------------------------------
const k2048 = rsa(2048);
const k3072 = rsa(3072);
const sign2048 = perSecond(() => sign('sha256', data, k2048.privateKey));
const sign3072 = perSecond(() => sign('sha256', data, k3072.privateKey));
const sig3072 = sign('sha256', data, k3072.privateKey);
const verify3072 = perSecond(() => verify('sha256', data, k3072.publicKey, sig3072));

// ---- the hub in its own process ----------------------------------------------------------
const dir = mkdtempSync(path.join(os.tmpdir(), 'skh-bench-'));
const spPort = await freePort();
const spUrl = `http://127.0.0.1:${spPort}`;
const material = await prepareDemo(path.join(dir, 'sp'), spUrl);
const hubPort = await freePort();
// The partner state's IdP needs the hub's URL, the hub's trust.yaml the partner's: partner first.
const partner = await TestPartner.start({ hubUrl: `http://127.0.0.1:${hubPort}`, keyName: 'hamburg' });
const trustFile = path.join(dir, 'trust.yaml');
writeFileSync(
  trustFile,
  stringify({
    partners: [
      {
        id: 'hamburg',
        kind: 'state',
        name: { de: 'Hamburg', en: 'Hamburg' },
        enabled: true,
        metadata: { url: partner.metadataUrl, entityId: partner.entityId, certificates: [partner.keys.metadata.certFile] },
        // Set explicitly: the bench measures the path that keeps a federated account per citizen.
        link_accounts: true,
        consent: 'hub',
        identifierPrefix: 'HH',
        attributes: { [OID.givenName]: 'givenName', [OID.surname]: 'familyName', [OID.birthdate]: 'dateOfBirth', [OID.mail]: 'email' },
        loa: { map: { 'STORK-QAA-Level-1': 'basic', 'STORK-QAA-Level-3': 'substantial', 'STORK-QAA-Level-4': 'high' }, cap: 'substantial' },
      },
    ],
  }),
);
const child = fork(
  path.join(import.meta.dirname, 'bench-hub.ts'),
  [path.join(dir, 'hub'), String(hubPort), path.join(dir, 'sp', DEMO_FILES.metadata), trustFile],
  {
    // BENCH_PROFILE=dir writes a CPU profile of the hub process there (open it in Chrome DevTools).
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [])],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  },
);
const first = await new Promise<string>((resolve, reject) => {
  const rl = createInterface({ input: child.stdout! });
  rl.once('line', resolve);
  child.once('exit', (code) => reject(new Error(`bench hub exited with ${code}`)));
});
const {
  url: hubUrl,
  certificatePem,
  encryptionCertificatePem,
  postkorbSecret,
} = JSON.parse(first) as { url: string; certificatePem: string; encryptionCertificatePem: string; postkorbSecret: string };
/** Sends `message` to the hub process; resolves with its answer (the message holding `key`). */
const ask = <T>(message: string, key: string): Promise<T> =>
  new Promise((resolve) => {
    const onMessage = (m: unknown): void => {
      if (typeof m !== 'object' || m === null || !(key in m)) return;
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
    child.send(message);
  });
const askCpu = async (): Promise<NodeJS.CpuUsage> => (await ask<{ cpu: NodeJS.CpuUsage }>('cpu', 'cpu')).cpu;

try {
  // A citizen with a session and a consent for the bench portal.
  const c = new Client(hubUrl);
  await c.get('/registrieren');
  await c.submit(personalData({ email: 'bench@example.org' }));
  await c.submit({ username: 'bench', password: GOOD_PASSWORD, passwordRepeat: GOOD_PASSWORD, privacy: 'yes' });
  await c.submit({});
  const mail = await new Outbox(path.join(dir, 'hub', 'outbox')).latest('bench@example.org', 'Registrierung');
  await c.get(mail.links.find((l) => l.includes('/registrieren/bestaetigen'))!);
  await c.get('/anmelden');
  await c.submit({ username: 'bench', password: GOOD_PASSWORD }, '/anmelden/passwort');

  const sp = new SAML({
    entryPoint: `${hubUrl}/saml/sso`,
    issuer: material.entityId,
    callbackUrl: `${spUrl}/saml/acs`,
    idpCert: certificatePem,
    idpIssuer: `${hubUrl}/saml/metadata`,
    audience: material.entityId,
    privateKey: material.keyPem,
    decryptionPvk: material.keyPem,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
    identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    acceptedClockSkewMs: 60_000,
  });
  // The first login asks for consent; give it.
  await c.get(await sp.getAuthorizeUrlAsync('', undefined, {}));
  if (c.page?.url.includes('/einwilligung')) await c.submit({ entscheidung: 'ja' });
  const cookie = `skh_session=${c.cookie('skh_session')}`;

  // Requests are signed by the portal before the clock starts (portal CPU is not the hub's).
  const urls: string[] = [];
  for (let i = 0; i < N + 20; i++) urls.push(await sp.getAuthorizeUrlAsync('', undefined, {}));
  const once = async (u: string): Promise<{ ms: number; body: string }> => {
    const t0 = performance.now();
    const res = await fetch(u, { headers: { cookie }, redirect: 'manual' });
    const body = await res.text();
    if (res.status !== 200 || !body.includes('name="SAMLResponse"'))
      throw new Error(`no SAML answer (${res.status}): ${body.slice(0, 200)}`);
    return { ms: performance.now() - t0, body };
  };
  // Warm up (JIT, caches), and prove an answer is valid to the portal's library.
  for (const u of urls.splice(0, 20)) await once(u);
  const sample = await once(await sp.getAuthorizeUrlAsync('', undefined, {}));
  const samlResponse = /name="SAMLResponse" value="([^"]+)"/.exec(sample.body)?.[1] ?? '';
  await sp.validatePostResponseAsync({ SAMLResponse: samlResponse });

  const before = await askCpu();
  const latencies: number[] = [];
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < urls.length) {
        const u = urls[next++]!;
        latencies.push((await once(u)).ms);
      }
    }),
  );
  const wallMs = performance.now() - started;
  const after = await askCpu();

  const logins = latencies.length;
  const hubCpuPerLogin = (cpuMs(after) - cpuMs(before)) / logins;

  // ---- brokered login: portal → hub → partner state → hub → portal ----
  partner.hubSigningCertPem = certificatePem;
  partner.hubEncryptionCertPem = encryptionCertificatePem;
  const refreshed = await ask<{ refreshed: { id: string; usable: boolean; linkAccounts: boolean; lastError?: unknown }[]; error?: string }>(
    'refresh',
    'refreshed',
  );
  const hamburg = refreshed.refreshed.find((p) => p.id === 'hamburg');
  if (!hamburg?.usable || !hamburg.linkAccounts)
    throw new Error(`the partner's metadata does not serve: ${refreshed.error ?? JSON.stringify(hamburg)}`);
  // The partner names its citizens in turn; each one's first login creates the federated account.
  let citizen = 0;
  partner.answer = () => ({ nameId: `bench-hh-${citizen++ % BROKERED_CITIZENS}`, classRef: 'STORK-QAA-Level-3' });
  const brokeredUrls: string[] = [];
  for (let i = 0; i < BROKERED_N + BROKERED_CITIZENS; i++) brokeredUrls.push(await sp.getAuthorizeUrlAsync('', undefined, {}));
  let consents = 0;
  const brokered = async (u: string): Promise<{ ms: number; body: string }> => {
    const t0 = performance.now();
    const b = new Client(hubUrl); // a fresh browser: no session, no remembered choice
    let page = await b.get(u);
    const toList = page.root.querySelectorAll('a').find((a) => a.textContent.includes('Land auswählen'));
    if (!toList) throw new Error(`no "Land auswählen" on ${page.url}: ${page.text.slice(0, 200)}`);
    page = await b.get(toList.getAttribute('href')!);
    const state = page.root.querySelectorAll('#partner-list a.partner').find((a) => a.textContent.trim() === 'Hamburg');
    if (!state) throw new Error(`no Hamburg on ${page.url}: ${page.text.slice(0, 200)}`);
    await b.get(state.getAttribute('href')!); // the hub's AuthnRequest; the partner's auto-post form
    page = await b.submit({}, `${hubUrl}/saml/acs`);
    if (page.url.includes('/anmelden/einwilligung')) {
      consents++;
      page = await b.submit({ entscheidung: 'ja' }, '/anmelden/einwilligung');
    }
    if (page.status !== 200 || !page.html.includes('name="SAMLResponse"'))
      throw new Error(`no SAML answer after the partner (${page.status}, ${page.url}): ${page.text.slice(0, 200)}`);
    return { ms: performance.now() - t0, body: page.html };
  };
  // Warm up: each citizen's first login (account, consent); prove an answer valid to the portal.
  let brokeredSample = '';
  for (const u of brokeredUrls.splice(0, BROKERED_CITIZENS)) brokeredSample = (await brokered(u)).body;
  const warmupConsents = consents;
  consents = 0;
  const brokeredResponse = /name="SAMLResponse" value="([^"]+)"/.exec(brokeredSample)?.[1] ?? '';
  const { profile: brokeredProfile } = await sp.validatePostResponseAsync({ SAMLResponse: brokeredResponse });
  if (brokeredProfile?.[OID.surname] !== 'Blöd')
    throw new Error(`the portal did not get the partner's data: ${JSON.stringify(brokeredProfile)}`);

  const brokeredBefore = await askCpu();
  const clientsBefore = process.cpuUsage();
  const brokeredLatencies: number[] = [];
  const brokeredStarted = performance.now();
  let brokeredNext = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (brokeredNext < brokeredUrls.length) {
        const u = brokeredUrls[brokeredNext++]!;
        brokeredLatencies.push((await brokered(u)).ms);
      }
    }),
  );
  const brokeredWallMs = performance.now() - brokeredStarted;
  const clientsCpu = process.cpuUsage(clientsBefore);
  const brokeredAfter = await askCpu();
  const brokeredLogins = brokeredLatencies.length;
  const brokeredCpuPerLogin = (cpuMs(brokeredAfter) - cpuMs(brokeredBefore)) / brokeredLogins;
  brokeredLatencies.sort((a, b) => a - b);

  // ---- Postkorb: messages with a 100 KB PDF ----
  await c.get('/postkorb');
  await c.submit({}, '/postkorb/erstellen');
  const handle = (await c.get('/postkorb')).root.querySelector('main code')?.textContent.trim() ?? '';
  if (!/^[0-9a-f-]{36}$/.test(handle)) throw new Error('the bench citizen has no Postkorb handle');
  const tokenRes = await fetch(`${hubUrl}/oidc/token`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`bench-postkorb:${postkorbSecret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials&scope=postkorb',
  });
  const accessToken = ((await tokenRes.json()) as { access_token?: string }).access_token;
  if (!accessToken) throw new Error(`no Postkorb token (${tokenRes.status})`);
  const body = JSON.stringify({
    subject: 'Bescheid',
    text: 'Sehr geehrte Damen und Herren,\n\nanbei der Bescheid.',
    reference: 'BENCH-1',
    level: 'substantial',
    attachments: [{ fileName: 'Bescheid.pdf', contentType: 'application/pdf', content: pdf('Bench', 100 * 1024).toString('base64') }],
  });
  let key = 0;
  const deliver = async (): Promise<number> => {
    const t0 = performance.now();
    const res = await fetch(`${hubUrl}/api/postkorb/v1/mailboxes/${handle}/messages`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${accessToken}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': `bench-${process.pid}-${key++}`,
      },
      body,
    });
    const answer = await res.text();
    if (res.status !== 201) throw new Error(`Postkorb delivery failed (${res.status}): ${answer.slice(0, 200)}`);
    return performance.now() - t0;
  };
  for (let i = 0; i < 10; i++) await deliver(); // warm up
  const postkorbBefore = await askCpu();
  const postkorbLatencies: number[] = [];
  const postkorbStarted = performance.now();
  let remaining = POSTKORB_N;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (remaining > 0) {
        remaining--;
        postkorbLatencies.push(await deliver());
      }
    }),
  );
  const postkorbWallMs = performance.now() - postkorbStarted;
  const postkorbAfter = await askCpu();
  const messages = postkorbLatencies.length;
  postkorbLatencies.sort((a, b) => a - b);
  const floorMs = 2 * (1000 / sign3072) + 1000 / verify3072;
  // Hub: verify the portal's request, sign its own to the partner, verify the partner's Response
  // and Assertion, decrypt the assertion key, sign Response and Assertion for the portal, encrypt
  // the assertion key for it. RSA decryption costs what a signature costs, encryption a verification.
  const brokeredFloorMs = 4 * (1000 / sign3072) + 4 * (1000 / verify3072);
  latencies.sort((a, b) => a - b);
  const lines = [
    `Servicekonto hub benchmark — ${new Date().toISOString()} — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
    `store: ${process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'}; ${logins} logins, concurrency ${CONCURRENCY}`,
    '',
    'Crypto floor (one core, this run):',
    `  RSA-2048 signatures/s     ${sign2048.toFixed(0)}`,
    `  RSA-3072 signatures/s     ${sign3072.toFixed(0)}   (the hub's SAML key)`,
    `  RSA-3072 verifications/s  ${verify3072.toFixed(0)}`,
    '',
    'Portal SSO over SAML (signed request in, signed Response with signed encrypted Assertion out):',
    `  logins/s                  ${((logins / wallMs) * 1000).toFixed(1)}`,
    `  latency p50 / p99         ${percentile(latencies, 50).toFixed(1)} ms / ${percentile(latencies, 99).toFixed(1)} ms`,
    `  hub CPU per login         ${hubCpuPerLogin.toFixed(2)} ms`,
    `  crypto floor per login    ${floorMs.toFixed(2)} ms  (2 RSA-3072 signatures + 1 verification)`,
    `  ratio CPU / floor         ${(hubCpuPerLogin / floorMs).toFixed(2)}×   (DESIGN target ≤ 2×)`,
    `  logins/s per core vs RSA-2048 signatures/s   ${(1000 / hubCpuPerLogin / sign2048).toFixed(3)}`,
    '',
    `Brokered login, portal → hub → partner state → hub → portal (link_accounts: true, consent by the hub; ${brokeredLogins} logins by ${BROKERED_CITIZENS} returning citizens, each from a fresh browser):`,
    `  logins/s                  ${((brokeredLogins / brokeredWallMs) * 1000).toFixed(1)}`,
    `  latency p50 / p99         ${percentile(brokeredLatencies, 50).toFixed(1)} ms / ${percentile(brokeredLatencies, 99).toFixed(1)} ms`,
    `  hub CPU per login         ${brokeredCpuPerLogin.toFixed(2)} ms`,
    `  crypto floor per login    ${brokeredFloorMs.toFixed(2)} ms  (4 RSA-3072 private-key operations + 4 public-key operations)`,
    `  ratio CPU / floor         ${(brokeredCpuPerLogin / brokeredFloorMs).toFixed(2)}×`,
    `  logins/s per core vs RSA-2048 signatures/s   ${(1000 / brokeredCpuPerLogin / sign2048).toFixed(3)}`,
    `  logins/s per core vs RSA-3072 signatures/s   ${(1000 / brokeredCpuPerLogin / sign3072).toFixed(3)}`,
    `  bench-side CPU per login  ${(cpuMs(clientsCpu) / brokeredLogins).toFixed(2)} ms  (browsers and the partner IdP, same machine)`,
    `  consent pages             ${warmupConsents} in the warm-up (first logins), ${consents} measured`,
    '',
    `Postkorb delivery (JSON with a 100 KB PDF in base64, content check, one transaction; ${messages} messages):`,
    `  messages delivered/s with a 100 KB attachment   ${((messages / postkorbWallMs) * 1000).toFixed(1)}`,
    `  latency p50 / p99         ${percentile(postkorbLatencies, 50).toFixed(1)} ms / ${percentile(postkorbLatencies, 99).toFixed(1)} ms`,
    `  hub CPU per message       ${((cpuMs(postkorbAfter) - cpuMs(postkorbBefore)) / messages).toFixed(2)} ms`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
  await partner.close();
  rmSync(dir, { recursive: true, force: true });
}

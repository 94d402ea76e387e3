import { z } from 'zod';

/**
 * The hub configuration (`config/*.yaml`). Every key has a default, so each file is checked on
 * its own (an unknown key or a wrong type names that file and line) and again after merging.
 * The descriptions are the manual: docs/configuration.md is generated from them.
 */

const duration = (what: string) => z.number().int().positive().describe(what);

const backoffRule = z.strictObject({
  freeAttempts: z.number().int().min(0).describe('failed attempts without any wait'),
  baseDelaySeconds: duration('first wait after the free attempts; doubles with each further failure'),
  maxDelaySeconds: duration('longest wait between attempts'),
  lockAfter: z.number().int().positive().describe('failed attempts that lock temporarily'),
  lockMinutes: duration('length of the temporary lock'),
  forgetAfterMinutes: duration('a counter with no failure for this long starts again'),
});

const httpsUrlOrEmpty = z.string().refine((v) => {
  if (v === '') return true;
  try {
    return new URL(v).protocol === 'https:';
  } catch {
    return false;
  }
}, 'an https URL, or empty');

const rateRule = z.strictObject({
  max: z.number().int().positive().describe('events allowed per window'),
  windowMinutes: duration('window length'),
});

export const hubConfigSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1').describe('listen address (env HOST)'),
      port: z.number().int().min(0).max(65535).default(8080).describe('listen port; 0 picks a free one (env PORT)'),
      publicUrl: z
        .url({ protocol: /^https?$/ })
        .default('http://localhost:8080')
        .describe('URL citizens and portals use; https turns on Secure cookies (env PUBLIC_URL)'),
      pidFile: z.string().min(1).default('var/hub.pid').describe('where the running hub writes its process id (for `hub trust reload`)'),
      trustedProxies: z
        .array(z.string())
        .default([])
        .describe('addresses of reverse proxies whose X-Forwarded-For is believed; empty: the socket address counts'),
    })
    .prefault({}),
  store: z
    .strictObject({
      databaseUrl: z.string().default('').describe('postgres://… for PostgreSQL; empty uses the SQLite file (env DATABASE_URL)'),
      sqliteFile: z.string().min(1).default('var/hub.sqlite').describe('SQLite database file, relative to the project'),
      schema: z
        .string()
        .regex(/^[a-z_][a-z0-9_]*$/)
        .optional()
        .describe('PostgreSQL schema to use (default: public)'),
    })
    .prefault({}),
  federation: z
    .strictObject({
      portalsFile: z
        .string()
        .min(1)
        .default('federation/portals.yaml')
        .describe('the portals (SAML SPs, OIDC clients) allowed to log citizens in'),
      trustFile: z
        .string()
        .min(1)
        .default('federation/trust.yaml')
        .describe("other states' accounts (and later the eIDAS node) citizens may log in with: metadata source, pinned certificates, maps"),
      fetchTimeoutSeconds: duration('longest wait for a partner metadata download').default(15),
      maxMetadataMegabytes: z.number().int().min(1).max(200).default(20).describe('largest partner metadata document accepted'),
      requestMinutes: duration("how long a citizen may take at the partner before the hub's request to it lapses").default(30),
      statusPollSeconds: duration(
        'how often each hub process looks in the store for metadata another process fetched (the fetch itself runs in one process)',
      ).default(30),
      choiceCookieName: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/)
        .default('skh_konto_wahl')
        .describe('cookie that remembers the last partner chosen in "Anmelden mit anderem deutschen Nutzerkonto"'),
    })
    .prefault({}),
  saml: z
    .strictObject({
      metadataValidHours: z
        .number()
        .int()
        .min(2)
        .max(14 * 24)
        .default(96)
        .describe('validUntil of the signed metadata at /saml/metadata; it is re-signed when half of this has passed'),
      clockSkewSeconds: z
        .number()
        .int()
        .min(0)
        .max(600)
        .default(180)
        .describe('tolerance for the IssueInstant of incoming SAML messages (and NotBefore of assertions)'),
      requestMaxAgeSeconds: duration('how old an AuthnRequest or LogoutRequest may be (by its IssueInstant)').default(300),
      assertionLifetimeSeconds: duration('NotOnOrAfter of assertions and bearer confirmations, from their issue').default(300),
      technicalContact: z
        .string()
        .default('')
        .describe('e-mail address of the technical contact in the metadata; empty: the address in mail.from'),
      supportContact: z.string().default('').describe('e-mail address of the support contact in the metadata; empty: none'),
    })
    .prefault({}),
  keys: z
    .strictObject({
      dir: z.string().min(1).default('var/keys').describe('folder of the hub keys; generated there on first start outside production'),
      retiredEncryptionDays: z.number().int().min(0).default(30).describe('days a retired SAML decryption key keeps decrypting'),
      retiredOidcHours: z
        .number()
        .int()
        .min(1)
        .default(24)
        .describe('hours a retired ID-token key stays in the JWKS (longer than any token lives)'),
    })
    .prefault({}),
  mail: z
    .strictObject({
      from: z.string().min(3).default('Servicekonto <noreply@servicekonto.localhost>').describe('sender of all mails (env MAIL_FROM)'),
      smtpUrl: z
        .string()
        .default('')
        .describe('smtp://user:pass@host:587 or smtps://…; empty writes .eml files to outboxDir (env SMTP_URL)'),
      outboxDir: z.string().min(1).default('var/outbox').describe('folder of the file outbox'),
    })
    .prefault({}),
  accounts: z
    .strictObject({
      minimumAge: z.number().int().min(0).default(16).describe('youngest age allowed to register'),
      confirmationHours: duration('validity of the confirmation link; unconfirmed registrations are deleted after it').default(24),
      resetLinkMinutes: duration('validity of a password reset link').default(60),
    })
    .prefault({}),
  login: z
    .strictObject({
      passwordLoa: z.enum(['basic', 'low']).default('low').describe('level a username/password login yields (DECISIONS 2)'),
    })
    .prefault({}),
  eid: z
    .strictObject({
      enabled: z.boolean().default(true).describe('offer login, registration and step-up with the Online-Ausweisfunktion (LoA high)'),
      serverUrl: httpsUrlOrEmpty.default('').describe("the eID-Server's SOAP eID-Interface (BSI TR-03130), https; empty: the simulator's"),
      eCardServerUrl: httpsUrlOrEmpty
        .default('')
        .describe("the eID-Server's eCard-API address for the TC Token, used when its useID answer names none"),
      serverCertificateFile: z
        .string()
        .min(1)
        .default('var/eid/eid-server.crt')
        .describe("the eID-Server's TLS certificate(s), PEM; its certificate must equal one of them (pinned, several during a rollover)"),
      serverSigningCertificateFile: z
        .string()
        .default('')
        .describe("certificate(s) the eID-Server's WS-Security signatures are checked against; empty: serverCertificateFile"),
      clientKeyFile: z
        .string()
        .min(1)
        .default('var/eid/hub-client.pem')
        .describe("the hub's private key (PKCS#8 PEM, RSA) for mutual TLS and WS-Security signatures towards the eID-Server"),
      clientCertificateFile: z
        .string()
        .min(1)
        .default('var/eid/hub-client.crt')
        .describe("the hub's client certificate, as registered with the eID-Server"),
      wsSecurity: z
        .boolean()
        .default(true)
        .describe('sign requests and require signed answers (WS-Security, TR-03130 3.5.2; Governikus Autent requires it)'),
      clientUrl: z
        .url({ protocol: /^https?$/ })
        .default('http://127.0.0.1:24727/eID-Client')
        .describe("the eID-Client (AusweisApp) address the browser is sent to; the simulator's while it runs"),
      timeoutSeconds: duration('longest wait for an answer of the eID-Server').default(15),
      transactionMinutes: duration('how long an ID card reading may take from start to return').default(10),
      startsPerAddress: rateRule.default({ max: 30, windowMinutes: 60 }).describe('ID card readings started per client address'),
      simulator: z
        .strictObject({
          enabled: z
            .boolean()
            .default(true)
            .describe(
              'run the eID-Server simulator with test cards while eid.serverUrl is empty (development and tests; refused in production)',
            ),
          host: z
            .string()
            .regex(/^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/, 'a loopback address')
            .default('127.0.0.1')
            .describe('loopback address of both listeners'),
          serverPort: z
            .number()
            .int()
            .min(0)
            .max(65535)
            .default(8443)
            .describe('port of its eID-Interface (HTTPS, mutual TLS); 0 picks a free one'),
          clientPort: z
            .number()
            .int()
            .min(0)
            .max(65535)
            .default(8444)
            .describe('port of its AusweisApp stand-in (HTTP, card-choice page); 0 picks a free one'),
          keyFile: z
            .string()
            .min(1)
            .default('var/eid/eid-server.pem')
            .describe('its TLS and signing key; its certificate is eid.serverCertificateFile (both generated when missing)'),
          requireSignedRequests: z.boolean().default(true).describe('refuse requests without a valid WS-Security signature of the hub'),
        })
        .prefault({}),
    })
    .prefault({}),
  postkorb: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe('offer the Postkorb: its pages, the registration checkbox, the sending API for portals with a postkorb section'),
      noticeDelayMinutes: z
        .number()
        .int()
        .min(0)
        .max(60)
        .default(5)
        .describe('a new message is announced by e-mail this long after it arrived; messages arriving meanwhile share that one e-mail'),
      idempotencyHours: duration("how long a portal's Idempotency-Key is remembered (the same key then returns the first message)").default(
        24,
      ),
      deliveryRecordDays: duration(
        'how long the delivery records (delivered, read, deleted; no content) are kept, also after the message is gone',
      ).default(3 * 365),
      ratePerPortal: rateRule
        .default({ max: 600, windowMinutes: 1 })
        .describe('messages a portal may send (and status queries it may make) per window, unless its entry says otherwise'),
    })
    .prefault({}),
  session: z
    .strictObject({
      cookieName: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/)
        .default('skh_session')
        .describe('session cookie name; must not collide with other software on the same host'),
      anonymousIdleMinutes: duration('idle limit of a session without login (forms, registration)').default(60),
    })
    .prefault({}),
  throttle: z
    .strictObject({
      loginPerAccount: backoffRule
        .default({
          freeAttempts: 3,
          baseDelaySeconds: 2,
          maxDelaySeconds: 60,
          lockAfter: 10,
          lockMinutes: 15,
          forgetAfterMinutes: 24 * 60,
        })
        .describe('failed logins per username (counted before the password is checked)'),
      loginPerAddress: backoffRule
        .default({
          freeAttempts: 10,
          baseDelaySeconds: 1,
          maxDelaySeconds: 30,
          lockAfter: 50,
          lockMinutes: 15,
          forgetAfterMinutes: 60,
        })
        .describe('failed logins per client address, across usernames'),
      registrationPerAddress: rateRule.default({ max: 10, windowMinutes: 60 }).describe('registrations per client address'),
      resetPerAddress: rateRule.default({ max: 10, windowMinutes: 60 }).describe('username/password reminder requests per client address'),
      resetPerAccount: rateRule
        .default({ max: 3, windowMinutes: 60 })
        .describe('reminder mails per username or address (beyond it nothing is sent, silently)'),
    })
    .prefault({}),
  web: z
    .strictObject({
      defaultLanguage: z.enum(['de', 'en']).default('de').describe('language when the browser states no preference'),
      contentDir: z
        .string()
        .default('')
        .describe('folder with operator texts (impressum, datenschutz, barrierefreiheit, …) overriding the defaults'),
      operatorName: z.string().default('Servicekonto').describe('name shown in the page header and mails'),
    })
    .prefault({}),
  jobs: z
    .strictObject({
      intervalSeconds: duration('how often the housekeeping jobs run (purge of unconfirmed registrations, expired sessions)').default(60),
    })
    .prefault({}),
  demo: z
    .strictObject({
      enabled: z.boolean().default(false).describe('start the demo portal beside the hub (development only; refused in production)'),
      port: z.number().int().min(0).max(65535).default(8090).describe('port of the demo portal'),
      publicUrl: z
        .url({ protocol: /^https?$/ })
        .default('http://localhost:8090')
        .describe('URL of the demo portal as browsers reach it'),
      dir: z.string().min(1).default('var/demo').describe('where its keys, SAML metadata and OIDC secret are generated'),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('env LOG_LEVEL'),
    })
    .prefault({}),
});

export type HubConfig = z.infer<typeof hubConfigSchema>;

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

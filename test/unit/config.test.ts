import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { loadHubConfig, type Env } from '../../src/config/load.ts';
import { ConfigError, formatConfigProblem, type ConfigProblem } from '../../src/core/errors.ts';

const roots: string[] = [];
test.after.always(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A project folder holding `files` (relative path → text). */
function project(files: Readonly<Record<string, string>>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'hub-config-'));
  roots.push(root);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

function load(defaultYaml: string, env: Env = {}, more: Readonly<Record<string, string>> = {}) {
  return loadHubConfig({ root: project({ 'config/default.yaml': defaultYaml, ...more }), env });
}

/** The problems the loader reports, as the operator reads them. */
function refusal(t: ExecutionContext, run: () => unknown): string[] {
  const err = t.throws(run, { instanceOf: ConfigError });
  return err ? (err as ConfigError).problems.map(formatConfigProblem) : [];
}

function problems(t: ExecutionContext, run: () => unknown): readonly ConfigProblem[] {
  const err = t.throws(run, { instanceOf: ConfigError });
  return err ? (err as ConfigError).problems : [];
}

test('a minimal file loads, and every key it leaves out has its default', (t) => {
  const { config, production, files } = load('server:\n  port: 9000\n');
  t.false(production);
  t.deepEqual(files, ['config/default.yaml']);
  t.is(config.server.port, 9000);
  t.is(config.server.host, '127.0.0.1');
  t.is(config.server.publicUrl, 'http://localhost:8080');
  t.deepEqual(config.server.trustedProxies, []);
  t.is(config.store.databaseUrl, '');
  t.is(config.store.sqliteFile, 'var/hub.sqlite');
  t.is(config.accounts.minimumAge, 16);
  t.is(config.login.passwordLoa, 'low');
  t.is(config.log.level, 'info');
  t.deepEqual(config.throttle.loginPerAccount, {
    freeAttempts: 3,
    baseDelaySeconds: 2,
    maxDelaySeconds: 60,
    lockAfter: 10,
    lockMinutes: 15,
    forgetAfterMinutes: 1440,
  });
});

test('an empty file is a valid configuration', (t) => {
  t.is(load('').config.server.port, 8080);
  t.is(load('# only a comment\n').config.web.defaultLanguage, 'de');
});

test('the committed config/default.yaml loads', (t) => {
  const { config } = loadHubConfig({ root: process.cwd(), env: {} });
  t.is(config.server.port, 8080);
});

test('a wrong type names file, line and key path', (t) => {
  const yaml = ['server:', '  host: 127.0.0.1', '  port: abc', ''].join('\n');
  const err = t.throws(() => load(yaml), { instanceOf: ConfigError })!;
  t.deepEqual(err.problems, [
    { file: 'config/default.yaml', line: 3, path: 'server.port', message: 'expected number, got the text "abc"' },
  ]);
  t.is(formatConfigProblem(err.problems[0]!), 'config/default.yaml:3: server.port: expected number, got the text "abc"');
  t.is(err.message, 'config/default.yaml:3: server.port: expected number, got the text "abc"');
});

test('a mapping where a value belongs, and a value where a mapping belongs, are named as such', (t) => {
  t.deepEqual(
    refusal(t, () => load('web:\n  operatorName:\n    de: Servicekonto\n')),
    ['config/default.yaml:2: web.operatorName: expected string, got a mapping'],
  );
  t.deepEqual(
    refusal(t, () => load('log: [info]\n')),
    ['config/default.yaml:1: log: expected object, got a list'],
  );
  t.deepEqual(
    refusal(t, () => load('server:\n  trustedProxies: [10.0.0.1, 8080]\n')),
    ['config/default.yaml:2: server.trustedProxies.1: expected string, got number 8080'],
  );
});

test('an unknown key names file, line and key path', (t) => {
  t.deepEqual(
    refusal(t, () => load('server:\n  host: 127.0.0.1\n  prot: 8080\n')),
    ['config/default.yaml:3: server.prot: unknown key'],
  );
  t.deepEqual(
    refusal(t, () => load('log:\n  level: info\nlogging: {}\n')),
    ['config/default.yaml:3: logging: unknown key'],
  );
});

test('a value outside an enumeration lists the allowed values', (t) => {
  t.deepEqual(
    refusal(t, () => load('\nlogin:\n  passwordLoa: high\n')),
    ['config/default.yaml:3: login.passwordLoa: must be one of "basic", "low", got the text "high"'],
  );
  t.deepEqual(
    refusal(t, () => load('log:\n  level: loud\n')),
    ['config/default.yaml:2: log.level: must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got the text "loud"'],
  );
});

test('a missing key inside a rule is reported at the rule that lacks it', (t) => {
  const yaml = 'throttle:\n  resetPerAccount:\n    max: 3\n';
  t.deepEqual(
    refusal(t, () => load(yaml)),
    ['config/default.yaml:2: throttle.resetPerAccount.windowMinutes: missing (expected number)'],
  );
});

test('a YAML syntax error names file and line', (t) => {
  const yaml = ['server:', '  host: 127.0.0.1', '  port: 8080', 'log: {level: info,, x: 1}', ''].join('\n');
  const [p, ...rest] = problems(t, () => load(yaml));
  t.deepEqual(rest, []);
  t.is(p?.file, 'config/default.yaml');
  t.is(p?.line, 4);
  t.regex(p?.message ?? '', /^YAML syntax: Unexpected , in flow map/);
});

test('a key given twice is an error naming the line and the key path of the second one', (t) => {
  const yaml = ['server:', '  host: 127.0.0.1', '  port: 8080', '  host: 0.0.0.0', ''].join('\n');
  t.deepEqual(
    refusal(t, () => load(yaml)),
    ['config/default.yaml:4: server.host: YAML syntax: Map keys must be unique'],
  );
  const twice = ['server:', '  port: 8080', 'log:', '  level: info', 'server:', '  host: 0.0.0.0', ''].join('\n');
  t.deepEqual(
    refusal(t, () => load(twice)),
    ['config/default.yaml:5: server: YAML syntax: Map keys must be unique'],
  );
});

test('an alias without its anchor is a configuration problem of that file, not a crash', (t) => {
  const found = problems(t, () => load('server:\n  host: *listen\n'));
  t.is(found.length, 1);
  t.is(found[0]?.file, 'config/default.yaml');
  t.regex(found[0]?.message ?? '', /alias.*listen/);
});

test('an alias bomb is refused as a configuration problem', (t) => {
  const bomb = [
    'x: &a [q, q, q, q, q, q, q, q, q, q]',
    'y: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
    'z: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
    '',
  ].join('\n');
  const found = problems(t, () => load(bomb));
  t.is(found.length, 1);
  t.regex(found[0]?.message ?? '', /alias/i);
});

test('a missing default file is named', (t) => {
  const root = project({});
  t.deepEqual(
    refusal(t, () => loadHubConfig({ root, env: {} })),
    ['config/default.yaml: (top level): file not found'],
  );
});

test('all problems of all files and the environment are reported at once', (t) => {
  const defaultYaml = ['server:', '  port: abc', '  prot: 1', 'log:', '  level: loud', ''].join('\n');
  const site = ['mail:', '  from: x', ''].join('\n');
  const found = refusal(t, () => load(defaultYaml, { HUB_CONFIG: 'site.yaml', PORT: 'eighty' }, { 'site.yaml': site }));
  t.deepEqual(found, [
    'config/default.yaml:2: server.port: expected number, got the text "abc"',
    'config/default.yaml:3: server.prot: unknown key',
    'config/default.yaml:5: log.level: must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got the text "loud"',
    'site.yaml:2: mail.from: Too small: expected string to have >=3 characters',
    'environment variable PORT: server.port: not a port number: "eighty"',
  ]);
});

test('environment variables override the files', (t) => {
  const env = {
    HOST: '0.0.0.0',
    PORT: '9090',
    PUBLIC_URL: 'https://servicekonto.example.de',
    DATABASE_URL: 'postgres://hub@db.internal/hub',
    SMTP_URL: 'smtps://mail.example.de:465',
    MAIL_FROM: 'Servicekonto <noreply@example.de>',
    LOG_LEVEL: 'warn',
  };
  const { config } = load('server:\n  port: 8000\n  publicUrl: http://localhost:8000\nlog:\n  level: debug\n', env);
  t.is(config.server.host, '0.0.0.0');
  t.is(config.server.port, 9090, 'a number, not the text');
  t.is(config.server.publicUrl, 'https://servicekonto.example.de');
  t.is(config.store.databaseUrl, 'postgres://hub@db.internal/hub');
  t.is(config.mail.smtpUrl, 'smtps://mail.example.de:465');
  t.is(config.mail.from, 'Servicekonto <noreply@example.de>');
  t.is(config.log.level, 'warn');
  t.is(config.store.sqliteFile, 'var/hub.sqlite', 'keys next to an overridden one keep their values');
});

test('an empty environment variable overrides nothing', (t) => {
  const { config } = load('server:\n  port: 8000\n', { PORT: '', LOG_LEVEL: '' });
  t.is(config.server.port, 8000);
  t.is(config.log.level, 'info');
});

test('PORT 0 is allowed: it picks a free port', (t) => {
  t.is(load('', { PORT: '0' }).config.server.port, 0);
});

for (const port of ['abc', '70000', '65536', '-1', '80.5', '8080/tcp']) {
  test(`PORT=${port} is refused naming the environment variable`, (t) => {
    t.deepEqual(
      refusal(t, () => load('', { PORT: port })),
      [`environment variable PORT: server.port: not a port number: ${JSON.stringify(port)}`],
    );
  });
}

test('a bad value from the environment is refused naming the key', (t) => {
  const found = problems(t, () => load('', { LOG_LEVEL: 'verbose', PUBLIC_URL: 'ftp://example.de' }));
  t.deepEqual(
    found.map((p) => p.path),
    ['server.publicUrl', 'log.level'],
  );
});

test('HUB_CONFIG names further files, each layered over the one before', (t) => {
  const root = project({
    'config/default.yaml': 'server:\n  host: 127.0.0.1\n  port: 8000\nweb:\n  operatorName: Default\n',
    'site/a.yaml': 'server:\n  port: 8001\n',
    'b.yaml': 'server:\n  port: 8002\nweb:\n  defaultLanguage: en\n',
  });
  const { config, files } = loadHubConfig({ root, env: { HUB_CONFIG: ' site/a.yaml , b.yaml,' } });
  t.deepEqual(files, ['config/default.yaml', 'site/a.yaml', 'b.yaml']);
  t.is(config.server.port, 8002, 'the last file wins');
  t.is(config.server.host, '127.0.0.1', 'keys a later file leaves out are kept');
  t.is(config.web.operatorName, 'Default');
  t.is(config.web.defaultLanguage, 'en');
});

test('HUB_CONFIG may name a file outside the project by absolute path', (t) => {
  const elsewhere = project({ 'hub.yaml': 'web:\n  operatorName: Servicekonto.Beispielland\n' });
  const { config } = load('', { HUB_CONFIG: path.join(elsewhere, 'hub.yaml') });
  t.is(config.web.operatorName, 'Servicekonto.Beispielland');
});

test('a problem in a HUB_CONFIG file names that file and its line', (t) => {
  t.deepEqual(
    refusal(t, () => load('', { HUB_CONFIG: 'site.yaml' }, { 'site.yaml': '\n\nstore:\n  sqlitefile: x.sqlite\n' })),
    ['site.yaml:4: store.sqlitefile: unknown key'],
  );
  t.deepEqual(
    refusal(t, () => load('', { HUB_CONFIG: 'missing.yaml' })),
    ['missing.yaml: (top level): file not found'],
  );
});

test('the environment overrides HUB_CONFIG files too', (t) => {
  const { config } = load('', { HUB_CONFIG: 'site.yaml', PORT: '7000' }, { 'site.yaml': 'server:\n  port: 8001\n' });
  t.is(config.server.port, 7000);
});

test('in production an http public URL, an empty database URL and an empty SMTP URL are refused, all at once', (t) => {
  t.deepEqual(
    refusal(t, () => load('', { NODE_ENV: 'production' })),
    [
      'production configuration: server.publicUrl: must be an https URL in production',
      'production configuration: store.databaseUrl: set DATABASE_URL to a PostgreSQL server; SQLite is for one process only',
      'production configuration: mail.smtpUrl: set SMTP_URL; the file outbox is for development',
      'production configuration: eid.simulator.enabled: the eID-Server simulator is for development and tests; set it to false and configure eid.serverUrl',
      "production configuration: eid.serverUrl: set the eID-Server's https URL (or eid.enabled: false)",
    ],
  );
});

/** A production eID section: the real eID-Server, no simulator. */
const EID_PRODUCTION = 'eid:\n  serverUrl: https://eid.example.de/eID-Server\n  simulator:\n    enabled: false\n';

test('in production the eID-Server simulator is refused and a real eID-Server must be named', (t) => {
  const complete = {
    NODE_ENV: 'production',
    PUBLIC_URL: 'https://servicekonto.example.de',
    DATABASE_URL: 'postgres://hub@db.internal/hub',
    SMTP_URL: 'smtps://mail.example.de:465',
  };
  t.deepEqual(
    problems(t, () => load('eid:\n  serverUrl: https://eid.example.de/eID-Server\n', complete)).map((p) => p.path),
    ['eid.simulator.enabled'],
  );
  t.deepEqual(
    problems(t, () => load('eid:\n  simulator:\n    enabled: false\n', complete)).map((p) => p.path),
    ['eid.serverUrl'],
  );
  t.true(load(EID_PRODUCTION, complete).production);
  t.false(load('eid:\n  enabled: false\n', complete).config.eid.enabled, 'a deployment without eID needs neither');
  t.deepEqual(
    problems(t, () => load('eid:\n  serverUrl: http://eid.example.de/\n  simulator:\n    host: 10.0.0.1\n')).map((p) => p.path),
    ['eid.serverUrl', 'eid.simulator.host'],
    'https only, and the simulator only on loopback',
  );
});

test('in production each rule is checked on its own', (t) => {
  const complete = {
    NODE_ENV: 'production',
    PUBLIC_URL: 'https://servicekonto.example.de',
    DATABASE_URL: 'postgres://hub@db.internal/hub',
    SMTP_URL: 'smtps://mail.example.de:465',
  };
  const loaded = load(EID_PRODUCTION, complete);
  t.true(loaded.production);
  t.is(loaded.config.server.publicUrl, 'https://servicekonto.example.de');
  t.deepEqual(
    problems(t, () => load(EID_PRODUCTION, { ...complete, PUBLIC_URL: 'http://servicekonto.example.de' })).map((p) => p.path),
    ['server.publicUrl'],
  );
  t.deepEqual(
    problems(t, () => load(EID_PRODUCTION, { ...complete, DATABASE_URL: undefined })).map((p) => p.path),
    ['store.databaseUrl'],
  );
  t.deepEqual(
    problems(t, () => load(EID_PRODUCTION, { ...complete, SMTP_URL: undefined })).map((p) => p.path),
    ['mail.smtpUrl'],
  );
});

test('outside production the development defaults are fine', (t) => {
  for (const NODE_ENV of [undefined, 'development', 'test']) {
    t.false(load('', { NODE_ENV }).production, String(NODE_ENV));
  }
});

test('overrides from tests are applied last', (t) => {
  const { config } = loadHubConfig({
    root: project({ 'config/default.yaml': 'server:\n  port: 8000\n' }),
    env: { PORT: '9000' },
    overrides: { server: { port: 0 } },
  });
  t.is(config.server.port, 0);
});

test('the loaded configuration is frozen all the way down', (t) => {
  const { config } = load('server:\n  trustedProxies: [10.0.0.10]\n');
  const unfrozen: string[] = [];
  const walk = (value: unknown, where: string): void => {
    if (typeof value !== 'object' || value === null) return;
    if (!Object.isFrozen(value)) unfrozen.push(where);
    for (const [k, v] of Object.entries(value)) walk(v, `${where}.${k}`);
  };
  walk(config, 'config');
  t.deepEqual(unfrozen, []);
  t.throws(() => {
    (config.server as { port: number }).port = 1;
  });
  t.throws(() => {
    (config.server.trustedProxies as string[]).push('10.6.6.6');
  });
  t.throws(() => {
    (config.throttle.loginPerAccount as { lockAfter: number }).lockAfter = 1000;
  });
  t.is(load('').config.throttle.loginPerAccount.lockAfter, 10, 'a later load is not affected');
});

for (const port of ['0x50', '1e3', ' ', '80.5']) {
  test(`PORT=${JSON.stringify(port)} is not read loosely as a number`, (t) => {
    const found = refusal(t, () => load('', { PORT: port }));
    t.true(found[0]?.startsWith('environment variable PORT: server.port: not a port number'), found.join('\n'));
  });
}

test('a bad value from LOG_LEVEL or PUBLIC_URL names its environment variable', (t) => {
  const found = refusal(t, () => load('', { LOG_LEVEL: 'verbose', PUBLIC_URL: 'ftp://hub.example' }));
  t.true(
    found.some((p) => p.startsWith('environment variable LOG_LEVEL: log.level:')),
    found.join('\n'),
  );
  t.true(
    found.some((p) => p.startsWith('environment variable PUBLIC_URL: server.publicUrl:')),
    found.join('\n'),
  );
});

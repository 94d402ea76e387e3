import path from 'node:path';
import { ConfigError, type ConfigProblem } from '../core/errors.ts';
import { hubConfigSchema, type HubConfig } from './schema.ts';
import { issuesToProblems, readYamlFile, type YamlSource } from './yaml-file.ts';

/**
 * Loads the hub configuration: config/default.yaml, then each file named in HUB_CONFIG
 * (comma-separated), then documented environment variables, then `overrides` (tests). Each file
 * is checked on its own so a mistake is reported where it was made; the result is checked again
 * and frozen. Problems are collected, not stopped at: the operator sees all of them at once.
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** Environment variables that override keys, for containers and secrets. */
export const ENV_OVERRIDES: readonly { env: string; path: readonly string[]; type: 'string' | 'port' }[] = [
  { env: 'HOST', path: ['server', 'host'], type: 'string' },
  { env: 'PORT', path: ['server', 'port'], type: 'port' },
  { env: 'PUBLIC_URL', path: ['server', 'publicUrl'], type: 'string' },
  { env: 'DATABASE_URL', path: ['store', 'databaseUrl'], type: 'string' },
  { env: 'SMTP_URL', path: ['mail', 'smtpUrl'], type: 'string' },
  { env: 'MAIL_FROM', path: ['mail', 'from'], type: 'string' },
  { env: 'LOG_LEVEL', path: ['log', 'level'], type: 'string' },
];

export interface LoadOptions {
  /** The project folder; relative paths in the configuration are resolved against it. */
  readonly root: string;
  readonly env?: Env;
  /** Extra files after HUB_CONFIG's. */
  readonly files?: readonly string[];
  /** Applied last; for tests. */
  readonly overrides?: unknown;
}

export interface LoadedConfig {
  readonly config: HubConfig;
  readonly production: boolean;
  readonly files: readonly string[];
}

type Json = Record<string, unknown>;

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function setIn(target: Json, keys: readonly string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Json;
  }
  node[keys[keys.length - 1] as string] = value;
}

function envLayer(env: Env, problems: ConfigProblem[]): Json {
  const layer: Json = {};
  for (const o of ENV_OVERRIDES) {
    const raw = env[o.env];
    if (raw === undefined || raw === '') continue;
    if (o.type === 'port') {
      const n = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isInteger(n) || n < 0 || n > 65535) {
        problems.push({
          file: `environment variable ${o.env}`,
          path: o.path.join('.'),
          message: `not a port number: ${JSON.stringify(raw)}`,
        });
        continue;
      }
      setIn(layer, o.path, n);
    } else {
      setIn(layer, o.path, raw);
    }
  }
  return layer;
}

/** Rules that only hold in production (NODE_ENV=production). */
function productionProblems(config: HubConfig): ConfigProblem[] {
  const where = 'production configuration';
  const problems: ConfigProblem[] = [];
  if (!config.server.publicUrl.startsWith('https://')) {
    problems.push({ file: where, path: 'server.publicUrl', message: 'must be an https URL in production' });
  }
  if (config.store.databaseUrl === '') {
    problems.push({
      file: where,
      path: 'store.databaseUrl',
      message: 'set DATABASE_URL to a PostgreSQL server; SQLite is for one process only',
    });
  }
  if (config.demo.enabled) {
    problems.push({ file: where, path: 'demo.enabled', message: 'the demo portal is for development; switch it off in production' });
  }
  if (config.mail.smtpUrl === '') {
    problems.push({ file: where, path: 'mail.smtpUrl', message: 'set SMTP_URL; the file outbox is for development' });
  }
  if (config.eid.enabled && config.eid.simulator.enabled) {
    problems.push({
      file: where,
      path: 'eid.simulator.enabled',
      message: 'the eID-Server simulator is for development and tests; set it to false and configure eid.serverUrl',
    });
  }
  if (config.eid.enabled && config.eid.serverUrl === '') {
    problems.push({ file: where, path: 'eid.serverUrl', message: "set the eID-Server's https URL (or eid.enabled: false)" });
  }
  return problems;
}

export function loadHubConfig(options: LoadOptions): LoadedConfig {
  const env = options.env ?? process.env;
  const production = env.NODE_ENV === 'production';
  const hubConfigFiles = (env.HUB_CONFIG ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  const files = [path.join('config', 'default.yaml'), ...hubConfigFiles, ...(options.files ?? [])];

  const problems: ConfigProblem[] = [];
  const sources: YamlSource[] = [];
  for (const file of files) {
    const { source, problems: readProblems } = readYamlFile(path.resolve(options.root, file), file);
    problems.push(...readProblems);
    if (!source) continue;
    const checked = hubConfigSchema.safeParse(source.data, { reportInput: true });
    if (!checked.success) problems.push(...issuesToProblems(checked.error.issues, source));
    else sources.push(source);
  }
  const envData = envLayer(env, problems);

  if (problems.length > 0) throw new ConfigError(problems);

  let merged: unknown = {};
  for (const s of sources) merged = deepMerge(merged, s.data);
  merged = deepMerge(merged, envData);
  if (options.overrides !== undefined) merged = deepMerge(merged, options.overrides);

  const result = hubConfigSchema.safeParse(merged, { reportInput: true });
  if (!result.success) {
    // A value that came from the environment is reported under its variable's name.
    const problems = issuesToProblems(result.error.issues, { file: 'merged configuration' }).map((p) => {
      const o = ENV_OVERRIDES.find((e) => e.path.join('.') === p.path && (env[e.env] ?? '') !== '');
      return o ? { ...p, file: `environment variable ${o.env}` } : p;
    });
    throw new ConfigError(problems);
  }
  if (production) {
    const p = productionProblems(result.data);
    if (p.length > 0) throw new ConfigError(p);
  }
  return { config: deepFreeze(result.data), production, files };
}

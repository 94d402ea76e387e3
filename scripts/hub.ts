/**
 * The operator CLI: `npm run hub -- <command>`. It reads the configuration exactly as the hub
 * does (config/default.yaml, HUB_CONFIG, environment).
 *
 *   config check                 validate the configuration; every problem with file, line, key
 *   config docs                  write docs/configuration.md, errors.md, trust.md and portals.md
 *   trust check                  validate the portals file (federation.portalsFile) and the
 *                                partner states (federation.trustFile) offline: schema, unique
 *                                ids, client ids and entityIDs, referenced files, secrets,
 *                                pinned certificates, metadata files and their signatures
 *   trust status                 per partner state: metadata in use, validUntil, last refresh,
 *                                last error (read from the store); exit 1 when one is unusable
 *   trust reload                 check, then tell the running hub (pid file) to re-read it
 *   status [--url URL]           ask the running hub (/healthz): store, trust configuration
 *                                version, logins per portal today and in the last seven days
 *   metadata export [--profile default|idp|sp|bundid] [--out FILE]
 *                                the hub's signed SAML metadata (both roles by default; bundid:
 *                                the SP role unsigned, as BundID wants it) to stdout or FILE
 *   keys status                  the keys in keys.dir: current, next, retired, expired
 *   keys prepare <family>        write the next key of saml-signing or oidc (published, unused)
 *   keys rotate <family>         next → current (saml-signing, oidc); new current (saml-encryption)
 *
 * Exit codes: 0 success, 1 problems found, 2 wrong usage.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configurationMarkdown, portalsMarkdown, trustMarkdown } from '../src/config/docs.ts';
import { KEY_FAMILIES, KeyRotationError, keyStatus, prepareNext, rotate, type KeyFamily } from '../src/config/key-rotation.ts';
import { loadHubConfig, type LoadedConfig } from '../src/config/load.ts';
import { DAY, HOUR } from '../src/core/clock.ts';
import { errorsMarkdown } from '../src/core/error-docs.ts';
import { ConfigError, formatConfigProblem, type ConfigProblem } from '../src/core/errors.ts';
import { loadPortals, type PortalRegistry } from '../src/config/portals.ts';
import { PROJECT_ROOT } from '../src/main.ts';
import { prepareDemo } from '../src/demo/prepare.ts';
import { checkPortalMetadata, SpIndex } from '../src/portals/saml/sp-metadata.ts';
import { METADATA_PROFILES, MetadataPublisher, metadataSettings, type MetadataProfile } from '../src/portals/saml/metadata-publisher.ts';
import { federationEndpoints } from '../src/federation/index.ts';
import { loadHubKeys } from '../src/config/keys.ts';
import { systemClock } from '../src/core/clock.ts';
import pino from 'pino';
import { loadTrust, readTrust, type TrustRegistry } from '../src/config/trust.ts';
import { checkTrustDetails } from '../src/federation/check.ts';
import { partnerStatus } from '../src/federation/status.ts';
import { metadataStates } from '../src/store/federation.ts';
import { openStore } from '../src/store/db.ts';

const USAGE = `usage: npm run hub -- <command>
  config check | config docs
  trust check | trust reload | trust status
  status [--url URL]
  metadata export [--profile default|idp|sp|bundid] [--out FILE]
  keys status | keys prepare <saml-signing|oidc> | keys rotate <saml-signing|saml-encryption|oidc>
`;

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function fail(text: string, code = 1): never {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  process.exit(code);
}

function loadConfigOrExit(): LoadedConfig {
  try {
    return loadHubConfig({ root: PROJECT_ROOT });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) process.stderr.write(`${formatConfigProblem(p)}\n`);
    return fail(`${err.problems.length} problem(s); the hub would not start.`);
  }
}

/** Checks that need the protocol edges (SAML metadata files); empty when all is well. */
async function checkPortalDetails(registry: PortalRegistry, production: boolean): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = [];
  for (const portal of registry.portals) {
    if (portal.saml) problems.push(...checkPortalMetadata(portal, { production, now: Date.now() }));
  }
  if (problems.length > 0) return problems;
  try {
    SpIndex.load(registry, { production }); // also finds one entityID used by two portals
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  return problems;
}

function family(arg: string | undefined): KeyFamily {
  if (!KEY_FAMILIES.includes(arg as KeyFamily)) fail(`name a key family: ${KEY_FAMILIES.join(', ')}\n${USAGE}`, 2);
  return arg as KeyFamily;
}

async function main(args: readonly string[]): Promise<void> {
  const [group, command, arg] = args;
  if (group === 'config' && command === 'check') {
    const { files, production } = loadConfigOrExit();
    out(`configuration is valid (${files.join(', ')}${production ? ', production rules' : ''})`);
    return;
  }
  if (group === 'config' && command === 'docs') {
    writeFileSync(path.join(PROJECT_ROOT, 'docs', 'configuration.md'), configurationMarkdown());
    writeFileSync(path.join(PROJECT_ROOT, 'docs', 'errors.md'), errorsMarkdown());
    writeFileSync(path.join(PROJECT_ROOT, 'docs', 'trust.md'), trustMarkdown());
    writeFileSync(path.join(PROJECT_ROOT, 'docs', 'portals.md'), portalsMarkdown());
    out('wrote docs/configuration.md, docs/errors.md, docs/trust.md and docs/portals.md');
    return;
  }
  if (group === 'trust' && (command === 'check' || command === 'reload')) {
    const { config, production } = loadConfigOrExit();
    // The committed demo portal refers to files `npm start` generates; make them the same way.
    if (config.demo.enabled) await prepareDemo(path.resolve(PROJECT_ROOT, config.demo.dir), config.demo.publicUrl);
    const problems: ConfigProblem[] = [];
    let registry: PortalRegistry | undefined;
    try {
      registry = loadPortals({ root: PROJECT_ROOT, file: config.federation.portalsFile, production });
      problems.push(...(await checkPortalDetails(registry, production)));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
    // Other states' accounts: federation/trust.yaml, with the metadata files it names.
    const { registry: trust, problems: trustProblems } = readTrust({
      root: PROJECT_ROOT,
      file: config.federation.trustFile,
      production,
      now: Date.now(),
    });
    problems.push(
      ...trustProblems,
      ...checkTrustDetails(trust, { production, maxBytes: config.federation.maxMetadataMegabytes * 1024 * 1024, now: Date.now() }),
    );
    if (problems.length > 0 || !registry) {
      for (const p of problems) process.stderr.write(`${formatConfigProblem(p)}\n`);
      fail(`${problems.length} problem(s) in the trust configuration.`);
    }
    out(`trust configuration is valid: ${registry.portals.length} portal(s) in ${config.federation.portalsFile}`);
    out(`${trust.partners.length} partner(s) in ${config.federation.trustFile}`);
    if (command === 'reload') {
      const pidFile = path.resolve(PROJECT_ROOT, config.server.pidFile);
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
      if (!Number.isInteger(pid) || pid <= 0) fail(`no running hub: ${pidFile} holds no process id`);
      try {
        process.kill(pid, 'SIGHUP');
      } catch (err) {
        fail(`could not signal the hub (pid ${pid}): ${(err as Error).message}`);
      }
      out(`asked the hub (pid ${pid}) to reload; its log says whether it applied the new configuration`);
    }
    return;
  }
  if (group === 'trust' && command === 'status') {
    const { config, production } = loadConfigOrExit();
    let trust: TrustRegistry;
    try {
      trust = loadTrust({ root: PROJECT_ROOT, file: config.federation.trustFile, production, now: Date.now() });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const p of err.problems) process.stderr.write(`${formatConfigProblem(p)}\n`);
      return fail(`${err.problems.length} problem(s) in the trust configuration.`);
    }
    const store = await openStore({
      databaseUrl: config.store.databaseUrl,
      sqliteFile: config.store.sqliteFile === ':memory:' ? ':memory:' : path.resolve(PROJECT_ROOT, config.store.sqliteFile),
      schema: config.store.schema,
    });
    let rows;
    try {
      rows = await metadataStates(store.db);
    } finally {
      await store.close();
    }
    const lines = partnerStatus(trust, rows, undefined, Date.now());
    if (lines.length === 0) out(`no partners in ${config.federation.trustFile}`);
    let unusable = 0;
    for (const s of lines) {
      if (s.enabled && !s.usable) unusable += 1;
      out(`${s.id} (${s.kind}, ${s.enabled ? 'enabled' : 'disabled'}): ${s.usable ? 'usable' : 'NOT USABLE'}, cap ${s.cap}`);
      out(`  entityID      ${s.entityId}`);
      out(
        `  metadata      ${s.source ?? 'none'}${s.fetchedAt ? `, fetched ${s.fetchedAt}` : ''}${s.checkedAt ? `, checked ${s.checkedAt}` : ''}`,
      );
      out(`  validUntil    ${s.validUntil ?? '-'} (serves until ${s.usableUntil ?? '-'})`);
      out(`  next refresh  ${s.nextRefreshAt ?? '-'}`);
      out(`  last error    ${s.lastError ? `${s.lastError} (${s.lastErrorAt ?? ''})` : '-'}`);
    }
    if (unusable > 0) process.exit(1);
    return;
  }
  if (group === 'status') {
    const url = command === '--url' && arg ? arg : loadConfigOrExit().config.server.publicUrl;
    let res: Response;
    try {
      res = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      return fail(`the hub at ${url} does not answer: ${(err as Error).message}`);
    }
    const body = (await res.json()) as {
      status: string;
      version: string;
      startedAt: string;
      store: { kind: string; ok: boolean; error?: string };
      trust?: { portalsFile: string; version: string; portals: number };
      logins?: Record<string, { today: number; last7Days: number }>;
    };
    out(`hub ${url}: ${body.status} (version ${body.version}, up since ${body.startedAt})`);
    out(`store: ${body.store.kind} ${body.store.ok ? 'ok' : `FAILING: ${body.store.error ?? ''}`}`);
    if (body.trust) out(`trust configuration: ${body.trust.portalsFile} version ${body.trust.version}, ${body.trust.portals} portal(s)`);
    const logins = Object.entries(body.logins ?? {});
    out(logins.length === 0 ? 'logins: none in the last seven days' : 'logins (today / last 7 days):');
    for (const [portal, c] of logins) out(`  ${portal.padEnd(24)} ${String(c.today).padStart(6)} / ${String(c.last7Days).padStart(6)}`);
    if (res.status !== 200) process.exit(1);
    return;
  }
  if (group === 'metadata' && command === 'export') {
    const options = args.slice(2);
    const flag = (name: string): string | undefined => {
      const i = options.indexOf(name);
      if (i < 0) return undefined;
      const value = options[i + 1];
      if (value === undefined || value.startsWith('--')) fail(`${name} needs a value\n${USAGE}`, 2);
      return value;
    };
    const unknown = options.filter((o, i) =>
      o.startsWith('--') ? !['--profile', '--out'].includes(o) : !['--profile', '--out'].includes(options[i - 1] ?? ''),
    );
    if (unknown.length > 0) fail(`unknown argument(s): ${unknown.join(' ')}\n${USAGE}`, 2);
    const profile = flag('--profile') ?? 'default';
    if (!METADATA_PROFILES.includes(profile as MetadataProfile)) fail(`--profile must be one of ${METADATA_PROFILES.join(', ')}`, 2);
    const { config, production } = loadConfigOrExit();
    // The same keys the hub serves; outside production missing ones are generated, as at start.
    let keys;
    try {
      ({ keys } = await loadHubKeys(path.resolve(PROJECT_ROOT, config.keys.dir), {
        production,
        commonName: new URL(config.server.publicUrl).hostname,
        now: Date.now(),
      }));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const p of err.problems) process.stderr.write(`${formatConfigProblem(p)}\n`);
      return fail(`${err.problems.length} problem(s) with the keys; no metadata written.`);
    }
    const sp = federationEndpoints(config.server.publicUrl);
    const publisher = new MetadataPublisher(
      metadataSettings(config, { acsUrl: sp.acsUrl, sloUrl: sp.sloUrl }),
      keys.saml,
      systemClock,
      pino({ enabled: false }),
    );
    const doc = publisher.document(profile as MetadataProfile, Date.now());
    const target = flag('--out');
    if (target === undefined) {
      process.stdout.write(doc.xml.endsWith('\n') ? doc.xml : `${doc.xml}\n`);
    } else {
      writeFileSync(target, doc.xml);
      const until = Number.isFinite(doc.validUntil) ? `valid until ${new Date(doc.validUntil).toISOString()}` : 'unsigned, no validUntil';
      out(`wrote the ${profile} metadata of ${metadataSettings(config).entityId} to ${target} (${until})`);
    }
    return;
  }
  if (group === 'keys') {
    const { config } = loadConfigOrExit();
    const dir = path.resolve(PROJECT_ROOT, config.keys.dir);
    const commonName = new URL(config.server.publicUrl).hostname;
    try {
      if (command === 'status') {
        const lines = keyStatus(dir, Date.now(), {
          encryptionMs: config.keys.retiredEncryptionDays * DAY,
          oidcMs: config.keys.retiredOidcHours * HOUR,
        });
        if (lines.length === 0) fail(`no keys in ${dir}`);
        for (const l of lines) {
          const extra = [
            l.certificateNotAfter ? `certificate until ${l.certificateNotAfter}` : '',
            l.retiredAt ? `retired ${l.retiredAt}` : '',
          ]
            .filter(Boolean)
            .join(', ');
          out(`${l.state.padEnd(8)} ${l.alg.padEnd(9)} kid ${l.kid}  ${l.file}${extra ? `  (${extra})` : ''}`);
        }
        return;
      }
      if (command === 'prepare') {
        const written = await prepareNext(dir, family(arg), commonName);
        out(`wrote ${written.map((f) => path.basename(f)).join(', ')}; restart the hub to publish them`);
        return;
      }
      if (command === 'rotate') {
        const r = await rotate(dir, family(arg), Date.now(), commonName);
        out(`now current: ${r.current.join(', ')}; retired: ${r.retired.join(', ')}; restart the hub to use them`);
        return;
      }
    } catch (err) {
      if (err instanceof KeyRotationError) fail(err.message);
      throw err;
    }
  }
  fail(USAGE, 2);
}

await main(process.argv.slice(2));

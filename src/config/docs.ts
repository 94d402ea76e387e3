import { z } from 'zod';
import { ENV_OVERRIDES } from './load.ts';
import { hubConfigSchema } from './schema.ts';
import { portalSchema } from './portals.ts';
import { partnerSchema } from './trust.ts';

/**
 * docs/configuration.md, generated from the schema's descriptions and defaults so the manual
 * cannot drift from the code (a test compares the file with this output).
 */

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (s.type === 'array') return `list of ${typeOf(s.items ?? {})}`;
  return Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function rows(prefix: string, schema: JsonSchema, out: string[]): void {
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (child.type === 'object' && child.properties && !child.description) {
      rows(path, child, out);
      continue;
    }
    const def = child.default === undefined ? '' : `\`${cell(JSON.stringify(child.default))}\``;
    out.push(`| \`${path}\` | ${typeOf(child)} | ${def} | ${cell(child.description ?? '')} |`);
    if (child.type === 'object' && child.properties) {
      for (const [sub, s] of Object.entries(child.properties)) {
        out.push(`| \`${path}.${sub}\` | ${typeOf(s)} | | ${cell(s.description ?? '')} |`);
      }
    }
  }
}

/** One generated page: title, the note that it is generated from `source`, the intro, the key table of `schema`. */
function keyTable(title: string, source: string, schema: z.ZodType, intro: readonly string[]): string[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out = [
    `# ${title}`,
    '',
    `<!-- Generated from ${source} by \`npm run hub -- config docs\`; do not edit by hand. -->`,
    '',
    ...intro,
    '',
    '| key | type | default | meaning |',
    '| --- | --- | --- | --- |',
  ];
  rows('', json, out);
  return out;
}

export function configurationMarkdown(): string {
  const out = keyTable('Configuration', 'src/config/schema.ts', hubConfigSchema, [
    'The hub reads `config/default.yaml`, then every file named in `HUB_CONFIG` (comma-separated),',
    'then the environment variables below. Unknown keys and wrong types stop the hub with file, line',
    'and key path; `npm run hub -- config check` runs the same check without starting it.',
  ]);
  out.push('', '## Environment variables', '', '| variable | key |', '| --- | --- |');
  for (const o of ENV_OVERRIDES) out.push(`| \`${o.env}\` | \`${o.path.join('.')}\` |`);
  out.push(
    '| `HUB_CONFIG` | extra configuration files, comma-separated |',
    '| `NODE_ENV` | `production` enforces https, PostgreSQL, SMTP and existing key files |',
    '',
  );
  return out.join('\n');
}

/** docs/trust.md: every key of a partner entry in federation/trust.yaml, from the same schema the hub checks with. */
export function trustMarkdown(): string {
  const out = keyTable('federation/trust.yaml', 'src/config/trust.ts', partnerSchema, [
    'Other states\' accounts that citizens may log in with ("Anmelden mit anderem deutschen',
    'Nutzerkonto"). The file holds one list, `partners`; each entry has the keys below.',
    'Pinned certificates go into `federation/certs/`, metadata files handed over by a partner into',
    '`federation/metadata/`. `npm run hub -- trust check` checks the file offline (schema, files,',
    'certificate validity and key size, metadata signatures against the pins, duplicate ids and',
    'entityIDs) and names file, line and key path for every problem; `npm run hub -- trust reload`',
    '(or SIGHUP) applies it to the running hub, which keeps the previous configuration when the new',
    'one has a problem.',
    '',
    "Identifiers of the other account are passed on with the partner's prefix; the eIDAS",
    'PersonIdentifier and postbox references (`urn:oid:2.5.4.18`) are never taken from a partner',
    '(FINK). The level a partner states is mapped by `loa.map` and then capped at `loa.cap`; an',
    'AuthnContextClassRef missing from the map fails the login.',
    '',
    'An entry of `kind: eidas` is the German eIDAS node ("Anmelden mit einem ausländischen',
    'eID-Mittel (eIDAS)", a login method of its own; at most one enabled). The hub sends it a signed',
    'AuthnRequest by HTTP-POST with `eidas:SPType`, `eidas:RequestedAttributes` (PersonIdentifier,',
    'FamilyName, FirstName, DateOfBirth required; the optional ones of `eidas.optionalAttributes`),',
    'ForceAuthn and the eIDAS LoA URI with Comparison="minimum". Such an entry has no `attributes`',
    'map and no `identifierAttribute`: the natural-person attributes are mapped by the hub (CurrentAddress',
    'decoded into street, postal code, town, country), an answer without a required one is refused,',
    'and the PersonIdentifier is kept only with the prefix (`EIDAS:ES/DE/…`, as foreignId), never',
    'passed on as PersonIdentifier. Its `loa.map` holds only the eIDAS LoA URIs, each for its own',
    'level; SHA-1, AES-CBC, unsigned Responses, HTTP-Redirect and metadata without validUntil are',
    'refused by `trust check`. Example:',
    '',
    '```yaml',
    '- id: eidas',
    '  kind: eidas',
    '  name: { de: Deutscher eIDAS-Knoten, en: German eIDAS node }',
    '  metadata:',
    '    url: https://eidas-node.example/metadata',
    '    entityId: https://eidas-node.example/metadata',
    '    certificates: [federation/certs/eidas-node-metadata.crt]',
    '  link_accounts: true',
    '  identifierPrefix: EIDAS',
    '  loa:',
    '    map:',
    '      http://eidas.europa.eu/LoA/low: low',
    '      http://eidas.europa.eu/LoA/substantial: substantial',
    '      http://eidas.europa.eu/LoA/high: high',
    '    cap: high',
    '  eidas: { spType: public, optionalAttributes: [BirthName, PlaceOfBirth, CurrentAddress, Gender] }',
    '```',
  ]);
  out.push('');
  return out.join('\n');
}

/** docs/portals.md: every key of a portal entry in federation/portals.yaml, from the schema the hub checks with. */
export function portalsMarkdown(): string {
  const out = keyTable('federation/portals.yaml', 'src/config/portals.ts', portalSchema, [
    'The portals (online services) that log citizens in through the hub, over SAML 2.0 (`saml`) or',
    'OpenID Connect (`oidc`), or both. The file holds one list, `portals`; each entry has the keys',
    'below. `npm run hub -- trust check` checks the file offline and names file, line and key path',
    'for every problem; `npm run hub -- trust reload` (or SIGHUP) applies it to the running hub,',
    "which keeps the previous configuration when the new one has a problem. Other states' hubs that",
    'use this hub as their IdP are entered here like SAML portals, from their SP metadata.',
  ]);
  out.push('');
  return out.join('\n');
}

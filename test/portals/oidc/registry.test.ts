import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { parse, stringify } from 'yaml';
import { ConfigError } from '../../../src/core/errors.ts';
import { startTestHub } from '../../helpers/hub.ts';
import { authorizationUrl, authorize, Browser, newCitizen, redeem, registerPortals, rp, startBed, type OidcBed } from './fixture.ts';

/**
 * The clients are the portals registry: a replaced registry (hub trust reload) takes effect at
 * once, and one that oidc-provider would refuse is refused as a whole, naming the portal.
 */
let bed: OidcBed;

test.before(async () => {
  bed = await startBed([{ id: 'erster', auth: 'client_secret_basic' }]);
});
test.after.always(async () => {
  await bed?.close();
});

function portalsYaml(): { portals: Record<string, unknown>[] } {
  return parse(readFileSync(path.join(bed.dir, 'portals.yaml'), 'utf8')) as { portals: Record<string, unknown>[] };
}

test.serial('a portal added to the registry logs citizens in after a trust reload; a disabled one is an unknown client', async (t) => {
  const before = portalsYaml();
  // registerPortals writes its own portals.yaml: merge its entry into the current one.
  const [added] = await registerPortals(bed.dir, [{ id: 'zweiter', auth: 'none' }]);
  const addedEntry = portalsYaml().portals[0]!;
  writeFileSync(path.join(bed.dir, 'portals.yaml'), stringify({ portals: [...before.portals, addedEntry] }));
  try {
    const result = await bed.h.hub.reloadTrust();
    t.true(result.ok);
    const config = await rp(bed, added!);
    const citizen = await newCitizen(bed);
    const { callback, authorization } = await authorize(new Browser(bed.h.url), config, added!, {}, { username: citizen, consent: 'ja' });
    t.truthy((await redeem(config, callback, authorization)).claims()!.sub);

    writeFileSync(path.join(bed.dir, 'portals.yaml'), stringify({ portals: [...before.portals, { ...addedEntry, enabled: false }] }));
    t.true((await bed.h.hub.reloadTrust()).ok);
    const { url } = await authorizationUrl(config, added!);
    const res = await fetch(url, { redirect: 'manual' });
    t.is(res.status, 400);
    t.regex(await res.text(), /invalid_client/);
  } finally {
    await added?.server.stop();
    writeFileSync(path.join(bed.dir, 'portals.yaml'), stringify(before));
    await bed.h.hub.reloadTrust();
  }
});

test.serial('a registry with a client oidc-provider refuses is not applied, and the problem names the portal', async (t) => {
  const before = portalsYaml();
  const first = before.portals[0]!;
  const broken = {
    ...first,
    id: 'kaputt',
    oidc: { ...(first.oidc as Record<string, unknown>), clientId: 'kaputt', redirectUris: ['http://127.0.0.1:9/callback#fragment'] },
  };
  writeFileSync(path.join(bed.dir, 'portals.yaml'), stringify({ portals: [...before.portals, broken] }));
  try {
    const result = await bed.h.hub.reloadTrust();
    t.false(result.ok);
    if (!result.ok) t.regex(result.problems.join('\n'), /portals\.kaputt\.oidc: .*fragment/);
    t.is(bed.h.hub.portals().byId('kaputt'), undefined, 'the previous registry keeps serving');
  } finally {
    writeFileSync(path.join(bed.dir, 'portals.yaml'), stringify(before));
  }
});

test.serial('the hub does not start with a client oidc-provider refuses, and says which portal', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skh-oidc-bad-'));
  try {
    writeFileSync(
      path.join(dir, 'portals.yaml'),
      stringify({
        portals: [
          {
            id: 'kaputt',
            name: { de: 'Kaputt', en: 'Broken' },
            oidc: { clientId: 'kaputt', tokenEndpointAuthMethod: 'none', redirectUris: ['http://127.0.0.1:9/cb#x'] },
          },
        ],
      }),
    );
    const error = await t.throwsAsync(startTestHub({ dir }));
    t.true(error instanceof ConfigError);
    t.regex(error!.message, /portals\.kaputt\.oidc: .*fragment/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { startTestHub } from '../helpers/hub.ts';

function portalsYaml(ids: string[]): string {
  return [
    'portals:',
    ...ids.flatMap((id) => [
      `  - id: ${id}`,
      `    name: { de: ${id}, en: ${id} }`,
      '    oidc:',
      `      clientId: ${id}`,
      '      tokenEndpointAuthMethod: none',
      `      redirectUris: [http://127.0.0.1:9999/${id}/cb]`,
    ]),
    '',
  ].join('\n');
}

async function health(url: string): Promise<{ trust: { version: string; portals: number } }> {
  return (await (await fetch(`${url}/healthz`)).json()) as { trust: { version: string; portals: number } };
}

test('the trust configuration reloads atomically: a valid file applies, a broken one is refused and the old one keeps serving', async (t) => {
  const h = await startTestHub();
  const file = path.join(h.dir, 'portals.yaml');
  try {
    writeFileSync(file, portalsYaml(['stadt-a']));
    let r = await h.hub.reloadTrust();
    t.true(r.ok);
    const first = await health(h.url);
    t.is(first.trust.portals, 1);
    t.truthy(h.hub.portals().byId('stadt-a'));

    writeFileSync(file, portalsYaml(['stadt-a', 'stadt-b']));
    r = await h.hub.reloadTrust();
    t.true(r.ok);
    const second = await health(h.url);
    t.is(second.trust.portals, 2);
    t.not(second.trust.version, first.trust.version);

    writeFileSync(file, portalsYaml(['stadt-a', 'stadt-a']).replace('stadt-a/cb', 'x'));
    r = await h.hub.reloadTrust();
    t.false(r.ok);
    if (!r.ok)
      t.true(
        r.problems.some((p) => /duplicate portal id "stadt-a"/.test(p)),
        r.problems.join('\n'),
      );
    const third = await health(h.url);
    t.deepEqual(third.trust, second.trust, 'the previous configuration keeps serving');
    t.truthy(h.hub.portals().byId('stadt-b'));
  } finally {
    await h.close();
  }
});

test('a module that refuses the new configuration stops the reload for everyone', async (t) => {
  const h = await startTestHub();
  const file = path.join(h.dir, 'portals.yaml');
  try {
    let committed = 0;
    h.hub.onTrustReload({ prepare: async () => () => committed++ });
    h.hub.onTrustReload({
      prepare: async (next) => {
        if (next.byId('refused')) throw new Error('metadata of portal "refused" is broken');
        return () => undefined;
      },
    });
    writeFileSync(file, portalsYaml(['refused']));
    const r = await h.hub.reloadTrust();
    t.false(r.ok);
    t.is(committed, 0, 'no module applied half of it');
    t.is(h.hub.portals().byId('refused'), undefined);
  } finally {
    await h.close();
  }
});

import path from 'node:path';
import test from 'ava';
import * as oidc from 'openid-client';
import { prepareNext, rotate } from '../../../src/config/key-rotation.ts';
import { authorize, Browser, jwtHeader, newCitizen, redeem, rp, startBed, type OidcBed } from './fixture.ts';

/**
 * Key rollover as the OIDC side honours it (DECISIONS 12): a prepared next key is published
 * before it signs anything; after the rotation it signs, and the retired key stays in the JWKS,
 * verify-only, so tokens signed with it still check (here: as id_token_hint at logout).
 */
interface Jwk {
  kid: string;
  alg: string;
  kty: string;
  use?: string;
  key_ops?: string[];
  d?: string;
}

async function jwks(url: string): Promise<Jwk[]> {
  return ((await (await fetch(`${url}/oidc/jwks`)).json()) as { keys: Jwk[] }).keys;
}

test('next keys are published before use, rotated keys sign, retired keys stay published for verification', async (t) => {
  const first = await startBed([
    { id: 'rs', auth: 'client_secret_basic' },
    { id: 'es', auth: 'client_secret_basic', alg: 'ES256' },
  ]);
  const url = first.h.url;
  const port = Number(new URL(url).port);
  const keysDir = path.join(first.dir, 'keys');
  let current: OidcBed = first;
  const restart = async (): Promise<void> => {
    await current.stopHub();
    current = await startBed([], { sameAs: first, overrides: { server: { port, publicUrl: url } } });
  };
  try {
    const citizen = await newCitizen(first);
    const browser = new Browser(url);
    const signIn = async (id: 'rs' | 'es'): Promise<string> => {
      const portal = first.portals[id]!;
      const config = await rp(current, portal, url);
      const r = await authorize(browser, config, portal, {}, { username: citizen, consent: 'ja' });
      return (await redeem(config, r.callback, r.authorization)).id_token!;
    };

    const before = await jwks(url);
    t.deepEqual(before.map((k) => k.alg).sort(), ['ES256', 'RS256']);
    t.true(
      before.every((k) => k.d === undefined && k.use === 'sig'),
      'public keys only',
    );
    const oldToken = await signIn('rs');
    const oldKid = jwtHeader(oldToken).kid;
    t.is(oldKid, before.find((k) => k.alg === 'RS256')!.kid);

    await prepareNext(keysDir, 'oidc', '127.0.0.1');
    await restart();
    const prepared = await jwks(url);
    t.is(prepared.length, 4);
    const nextKeys = prepared.filter((k) => k.key_ops?.includes('verify'));
    t.deepEqual(nextKeys.map((k) => k.alg).sort(), ['ES256', 'RS256'], 'the next keys are published, verify-only');
    t.is(jwtHeader(await signIn('rs')).kid, oldKid, 'but not used yet');
    const esKid = jwtHeader(await signIn('es')).kid;
    t.is(esKid, before.find((k) => k.alg === 'ES256')!.kid);

    await rotate(keysDir, 'oidc', Date.now(), '127.0.0.1');
    await restart();
    const rotated = await jwks(url);
    const newRs = nextKeys.find((k) => k.alg === 'RS256')!.kid;
    t.is(jwtHeader(await signIn('rs')).kid, newRs, 'the former next key signs now');
    t.is(jwtHeader(await signIn('es')).kid, nextKeys.find((k) => k.alg === 'ES256')!.kid);
    const retired = rotated.find((k) => k.kid === oldKid);
    t.truthy(retired, 'the retired key is still published');
    t.deepEqual(retired!.key_ops, ['verify']);
    t.falsy(rotated.find((k) => k.kid === newRs)!.key_ops);

    // An ID token signed before the rotation still identifies the portal's session at logout.
    const config = await rp(current, first.portals.rs!, url);
    const page = await browser.get(
      oidc.buildEndSessionUrl(config, { id_token_hint: oldToken, post_logout_redirect_uri: first.portals.rs!.postLogoutRedirectUri }).href,
    );
    t.is(page.status, 200);
    t.regex(page.text, /Portal rs/);
  } finally {
    if (current !== first) await current.close();
    await first.close();
  }
});

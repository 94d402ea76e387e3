import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { registerAndConfirm } from '../helpers/citizen.ts';
import { Client } from '../helpers/client.ts';
import { freePort, startTestHub, type TestHub } from '../helpers/hub.ts';
import { LiveClock } from '../portals/saml/helpers.ts';

/**
 * The hub side of an interop test: a whole test hub on a loopback port chosen before it starts
 * (the peer's configuration names the hub's URLs, and the hub's portals.yaml names the peer's),
 * on the real clock (the peers check times against it), with a portals.yaml written from the
 * entries given, in the shape an operator writes it.
 */

/** One entry of federation/portals.yaml (see src/config/portals.ts). */
export interface PortalYaml {
  readonly id: string;
  readonly name: { readonly de: string; readonly en: string };
  readonly minLoa?: string;
  readonly attributes: readonly string[];
  readonly saml?: Record<string, unknown>;
  readonly oidc?: Record<string, unknown>;
}

export function writePortalsYaml(dir: string, portals: readonly PortalYaml[]): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'portals.yaml');
  writeFileSync(file, stringify({ portals }));
  return file;
}

export interface InteropHub {
  readonly h: TestHub;
  /** The hub's public URL (use this, not h.url). */
  readonly url: string;
}

/** The hub's URL before it runs. */
export async function reserveHubUrl(): Promise<{ port: number; url: string }> {
  const port = await freePort();
  return { port, url: `http://127.0.0.1:${port}` };
}

export async function startInteropHub(at: { port: number; url: string }, portalsFile: string): Promise<InteropHub> {
  const h = await startTestHub({
    clock: new LiveClock(),
    overrides: {
      server: { port: at.port, publicUrl: at.url },
      federation: { portalsFile },
      eid: { enabled: false },
    },
  });
  // h.url names the port startTestHub reserved for itself; the override above is the one in use.
  return { h, url: at.url };
}

export const CITIZEN = { username: 'erika', email: 'erika@example.org' } as const;

/** Registers Erika Mustermann (the helpers' data) over HTTP and opens her confirmation link. */
export async function registerCitizen(hub: InteropHub): Promise<void> {
  const client = new Client(hub.url);
  const page = await registerAndConfirm(client, hub.h.outbox, { username: CITIZEN.username });
  if (page.status !== 200) throw new Error(`confirmation failed: ${page.text.slice(0, 300)}`);
}

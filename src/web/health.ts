import type { Store } from '../store/db.ts';
import type { HubRouter } from './app.ts';

/** `/healthz`: 200 with the store's state when the hub can serve logins, 503 otherwise. */
export function registerHealth(
  router: HubRouter,
  store: Store,
  info: { version: string; startedAt: number },
  /** Further sections (trust configuration, logins per portal); read only when the store is up. */
  extras: () => Promise<Record<string, unknown>> = async () => ({}),
): void {
  router.get('/healthz', async (ctx) => {
    let storeOk = true;
    let storeError: string | undefined;
    try {
      await store.ping();
    } catch (err) {
      storeOk = false;
      storeError = (err as Error).message.split('\n')[0];
    }
    let more: Record<string, unknown> = {};
    if (storeOk) {
      try {
        more = await extras();
      } catch (err) {
        more = { extrasError: (err as Error).message.split('\n')[0] };
      }
    }
    ctx.status = storeOk ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      status: storeOk ? 'ok' : 'error',
      version: info.version,
      startedAt: new Date(info.startedAt).toISOString(),
      store: { kind: store.kind, ok: storeOk, ...(storeError ? { error: storeError } : {}) },
      ...more,
    };
  });
}

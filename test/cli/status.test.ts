import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import { startTestHub } from '../helpers/hub.ts';
import { countPortalLogin } from '../../src/store/login-counts.ts';

const run = promisify(execFile);

test('hub status reports the store, the trust configuration and logins per portal of a running hub', async (t) => {
  const h = await startTestHub();
  try {
    await countPortalLogin(h.hub.store.db, 'stadt-a', h.clock.now());
    await countPortalLogin(h.hub.store.db, 'stadt-a', h.clock.now());
    await countPortalLogin(h.hub.store.db, 'stadt-b', h.clock.now() - 3 * 86_400_000);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/hub.ts', 'status', '--url', h.url]);
    t.regex(stdout, /: ok \(version /);
    t.regex(stdout, /store: (sqlite|postgres) ok/);
    t.regex(stdout, /trust configuration: .*portals\.yaml version none, 0 portal\(s\)/);
    t.regex(stdout, /stadt-a\s+2 \/\s+2/);
    t.regex(stdout, /stadt-b\s+0 \/\s+1/);
  } finally {
    await h.close();
  }
});

test('hub status says so when no hub answers', async (t) => {
  const err = (await t.throwsAsync(
    run(process.execPath, ['--import', 'tsx', 'scripts/hub.ts', 'status', '--url', 'http://127.0.0.1:1']),
  )) as unknown as {
    code: number;
    stderr: string;
  };
  t.is(err.code, 1);
  t.regex(err.stderr, /does not answer/);
});

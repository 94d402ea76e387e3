import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, closeSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '../helpers/hub.ts';

/**
 * What the interop harnesses share: a third-party server started as its own process group on a
 * loopback port (its output kept in a log file for the failure message), stopped by signalling
 * the whole group; Debian's Chromium, headless; screenshots for a human to look at.
 */

export const RESULTS_DIR = path.resolve('test-results');

export interface PeerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** What the process wrote so far (stdout and stderr). */
  output(): string;
  /** SIGTERM to the process group, SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/** Starts `command` detached (its own process group), stdout and stderr into `logFile`. */
export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; logFile: string },
): PeerProcess {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  closeSync(fd);
  let exited = child.exitCode !== null;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  const signal = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // the group is gone already
    }
  };
  return {
    name,
    child,
    output: () => {
      try {
        return readFileSync(options.logFile, 'utf8');
      } catch {
        return '';
      }
    },
    async stop() {
      if (exited) {
        // The leader may have gone while children of its group (apache2 workers) live on.
        signal('SIGKILL');
        return;
      }
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 3000);
      await exit;
      clearTimeout(timer);
      signal('SIGKILL');
    },
  };
}

/** A free loopback port for a peer, other than those already handed out (the hub's). */
export async function peerPort(taken: readonly number[] = []): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!taken.includes(port)) return port;
  }
}

/** Polls `url` until it answers (any HTTP status) or the peer process has died. */
export async function waitForHttp(url: string, peer: PeerProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (peer.child.exitCode !== null) throw new Error(`${peer.name} exited with ${peer.child.exitCode}:\n${peer.output()}`);
    try {
      const res = await fetch(url, { redirect: 'manual' });
      await res.arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${peer.name} did not answer at ${url}:\n${peer.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/** What each window's console said (CSP refusals show up there), for failure messages. */
const CONSOLE = new WeakMap<Page, string[]>();

/** A fresh browser window in German. */
export async function newWindow(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const lines: string[] = [];
  CONSOLE.set(page, lines);
  page.on('console', (m) => void lines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => void lines.push(`pageerror: ${e.message}`));
  return { context, page };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS_DIR, `interop-${name}.png`), fullPage: true });
}

/**
 * Waits for the page to arrive where `arrived` says; if it does not, a screenshot and an error
 * with where the flow ended, the page text, the browser console and the peer's log: the peers'
 * error pages come with HTTP 200, so a flow is judged by where it ends.
 */
export async function expectArrival(
  page: Page,
  arrived: (url: URL) => boolean,
  what: string,
  peerLog: () => string = () => '',
  timeout = 15_000,
): Promise<void> {
  try {
    await page.waitForURL(arrived, { timeout });
  } catch (err) {
    const name = what.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    await screenshot(page, `failed-${name}`).catch(() => undefined);
    const body = await page.innerText('body').catch(() => '(no body)');
    throw new Error(
      `${what}: ${String(err)}\nended at ${page.url()}\n--- page ---\n${body.slice(0, 3000)}\n--- console ---\n${(CONSOLE.get(page) ?? []).join('\n')}\n--- peer log ---\n${peerLog().slice(-4000)}`,
    );
  }
}

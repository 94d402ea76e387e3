import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

/**
 * Debian's Chromium for the browser tests, driven by playwright-core, and axe-core for WCAG 2.1
 * A/AA (BITV 2.0). Pages run with the hub's Content-Security-Policy in force: axe is evaluated
 * through the DevTools protocol, which the page's CSP does not govern, so a CSP mistake (a
 * blocked form target, a blocked script) fails the test as it would fail a citizen.
 */

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
export const RESULTS_DIR = path.resolve('test-results');

export function launchChromium(): Promise<Browser> {
  mkdirSync(RESULTS_DIR, { recursive: true });
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

/** A fresh browser window (German unless told otherwise) with a 10-second default timeout. */
export async function newWindow(browser: Browser, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 900 }, ...options });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  return { context, page };
}

interface Violation {
  readonly id: string;
  readonly impact: string | null | undefined;
  readonly help: string;
  readonly targets: string[];
}

/** Runs axe on the page as it stands and asserts that it finds nothing. */
export async function audit(t: ExecutionContext, page: Page, label: string): Promise<void> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(`${AXE_SOURCE}\n;0`);
  const violations = await page.evaluate(async (tags): Promise<Violation[]> => {
    interface AxeResult {
      violations: { id: string; impact?: string | null; help: string; nodes: { target: unknown[] }[] }[];
    }
    const axe = (window as unknown as { axe: { run(context: Document, options: unknown): Promise<AxeResult> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  }, WCAG_TAGS);
  const report = violations.map((v) => `  ${v.id} (${v.impact ?? '?'}): ${v.help}\n    ${v.targets.join('\n    ')}`).join('\n');
  t.is(violations.length, 0, `axe on ${label} (${page.url()}):\n${report}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(RESULTS_DIR, `${name}.png`), fullPage: true });
}

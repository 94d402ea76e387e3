import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HubError } from '../core/errors.ts';
import type { HubRouter } from './app.ts';
import { trustedHtml, type Html } from './html.ts';
import { LANGUAGES, type Lang } from './i18n.ts';
import { renderPage } from './layout.ts';
import { frameText } from './messages.ts';

/**
 * Pages whose text the operator owns (BITV 2.0 and the law require them on every site):
 * Impressum, Datenschutzerklärung, Erklärung zur Barrierefreiheit, Leichte Sprache,
 * Gebärdensprache. Defaults ship in ./content; a file of the same name in `web.contentDir`
 * replaces one. Read once at start.
 */
export const CONTENT_PAGES = {
  impressum: 'impressum',
  datenschutz: 'datenschutz',
  barrierefreiheit: 'barrierefreiheit',
  'leichte-sprache': 'leichteSprache',
  gebaerdensprache: 'gebaerdensprache',
} as const;

type Slug = keyof typeof CONTENT_PAGES;

const DEFAULT_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'content');

export function loadContentPages(operatorDir: string | undefined): ReadonlyMap<string, Html> {
  const pages = new Map<string, Html>();
  for (const slug of Object.keys(CONTENT_PAGES) as Slug[]) {
    for (const lang of LANGUAGES) {
      const name = `${slug}.${lang}.html`;
      const own = operatorDir ? path.join(operatorDir, name) : undefined;
      const file = own && existsSync(own) ? own : path.join(DEFAULT_DIR, name);
      pages.set(`${slug}.${lang}`, trustedHtml(readFileSync(file, 'utf8')));
    }
  }
  return pages;
}

export function registerContentPages(router: HubRouter, pages: ReadonlyMap<string, Html>): void {
  for (const slug of Object.keys(CONTENT_PAGES) as Slug[]) {
    router.get(`/${slug}`, (ctx) => {
      const lang: Lang = ctx.state.lang;
      const body = pages.get(`${slug}.${lang}`);
      if (!body) throw new HubError('not_found');
      renderPage(ctx, { title: frameText(lang)[CONTENT_PAGES[slug]], main: body });
    });
  }
}

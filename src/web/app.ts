import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import { Router } from '@koa/router';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import { HubError } from '../core/errors.ts';
import type { Store } from '../store/db.ts';
import { clientAddress } from './client-address.ts';
import type { HubContext, HubMiddleware, HubState } from './context.ts';
import { errorBoundary } from './error-boundary.ts';
import { EMPTY_FORM, readFormBody } from './form-body.ts';
import { isLang, negotiateLanguage, type Lang } from './i18n.ts';
import { securityHeaders } from './security-headers.ts';
import { sessionMiddleware } from './session-middleware.ts';
import type { SessionOptions } from './session.ts';

export type HubRouter = Router<HubState>;

export interface WebOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly publicUrl: string;
  readonly trustedProxies: readonly string[];
  readonly defaultLanguage: Lang;
  readonly session: Omit<SessionOptions, 'secure'>;
  /** Largest form body accepted. */
  readonly formLimitBytes?: number;
  /** Paths whose POSTs carry no CSRF token because another party sends them (SAML, OIDC). */
  readonly csrfExemptPrefixes?: readonly string[];
  /**
   * Paths whose bodies this app must not read at all, because a mounted library reads them itself
   * (oidc-provider's token, revocation and end-session endpoints); no CSRF check there either.
   */
  readonly untouchedBodyPrefixes?: readonly string[];
}

export interface WebApp {
  readonly app: Koa<HubState>;
  /** Routes of every module are added here before `finish()`. */
  readonly router: HubRouter;
  /** Mounts the router; call once after all modules registered their routes. */
  finish(): void;
}

const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');
const STATIC_TYPES: Readonly<Record<string, string>> = {
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.js': 'text/javascript; charset=utf-8',
};

/** The hub's own assets, read once at start; nothing outside this folder is ever served. */
function staticAssets(): HubMiddleware {
  const files = new Map<string, { body: Buffer; type: string }>();
  if (existsSync(STATIC_DIR)) {
    for (const name of readdirSync(STATIC_DIR)) {
      const type = STATIC_TYPES[path.extname(name)];
      if (type) files.set(`/static/${name}`, { body: readFileSync(path.join(STATIC_DIR, name)), type });
    }
  }
  return async (ctx, next) => {
    const file = ctx.method === 'GET' || ctx.method === 'HEAD' ? files.get(ctx.path) : undefined;
    if (!file) return next();
    ctx.type = file.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = file.body;
  };
}

function requestContext(options: WebOptions): HubMiddleware {
  return async (ctx, next) => {
    const started = performance.now();
    ctx.state.requestId = randomBytes(6).toString('hex');
    ctx.state.clientIp = clientAddress(ctx.req.socket.remoteAddress, ctx.get('X-Forwarded-For') || undefined, options.trustedProxies);
    ctx.state.log = options.log.child({ req: ctx.state.requestId });
    const chosen = ctx.cookies.get('lang');
    ctx.state.lang = isLang(chosen) ? chosen : negotiateLanguage(ctx.get('Accept-Language') || undefined, options.defaultLanguage);
    ctx.state.form = EMPTY_FORM;
    try {
      await next();
    } finally {
      // The path only: queries may carry tokens from mailed links.
      ctx.state.log.info(
        { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) },
        'request',
      );
    }
  };
}

/** Parses form posts and checks their CSRF token against the session. */
function formsAndCsrf(options: WebOptions): HubMiddleware {
  const limit = options.formLimitBytes ?? 64 * 1024;
  const exempt = options.csrfExemptPrefixes ?? [];
  const untouched = options.untouchedBodyPrefixes ?? [];
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || untouched.some((p) => ctx.path.startsWith(p))) return next();
    if (ctx.is('application/x-www-form-urlencoded')) ctx.state.form = await readFormBody(ctx.req, limit);
    else if (ctx.request.length) throw new HubError('bad_request', `unsupported content type ${ctx.get('Content-Type')}`);
    if (!exempt.some((p) => ctx.path.startsWith(p)) && !ctx.state.session.checkCsrf(ctx.state.form.get('_csrf'))) {
      throw new HubError('csrf_invalid', `POST ${ctx.path} without a valid CSRF token`);
    }
    await next();
  };
}

/** A path of this site to return to: absolute path, no scheme, no "//" (open redirect). */
export function safeLocalPath(candidate: string | undefined, fallback = '/'): string {
  if (!candidate || !candidate.startsWith('/') || candidate.startsWith('//') || candidate.includes('\\')) return fallback;
  if ([...candidate].some((c) => c.charCodeAt(0) < 0x20)) return fallback;
  return candidate;
}

export function createWebApp(options: WebOptions): WebApp {
  const https = options.publicUrl.startsWith('https://');
  const app = new Koa<HubState>({ proxy: options.trustedProxies.length > 0 });
  app.silent = true;
  const router: HubRouter = new Router<HubState>();

  app.use(requestContext(options));
  app.use(securityHeaders({ https }));
  app.use(errorBoundary(() => options.clock.now()));
  app.use(staticAssets());
  app.use(sessionMiddleware(options.store.db, options.clock, { ...options.session, secure: https }));
  app.use(formsAndCsrf(options));

  router.get('/sprache/:lang', (ctx: HubContext & { params: { lang: string } }) => {
    const lang = ctx.params.lang;
    if (!isLang(lang)) throw new HubError('not_found');
    ctx.cookies.set('lang', lang, { httpOnly: true, sameSite: 'lax', maxAge: 365 * 24 * 3600 * 1000, secure: false, overwrite: true });
    ctx.redirect(safeLocalPath(typeof ctx.query.zurueck === 'string' ? ctx.query.zurueck : undefined));
  });

  return {
    app,
    router,
    finish() {
      app.use(router.routes());
      app.use(router.allowedMethods());
    },
  };
}

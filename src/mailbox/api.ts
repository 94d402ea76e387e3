import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { PortalConfig, PortalRegistry } from '../config/portals.ts';
import { POSTKORB_SCOPE, type AccessTokenVerifier } from '../core/access-token.ts';
import { MINUTE, type Clock } from '../core/clock.ts';
import { parseLoa, type Loa } from '../core/loa.ts';
import type { Db } from '../store/db.ts';
import { keyedHash } from '../store/keyed-hash.ts';
import { findMailboxByHandle } from '../store/postkorb.ts';
import { takeAttempt } from '../store/throttle.ts';
import type { HubContext, HubMiddleware } from '../web/context.ts';
import {
  base64Length,
  checkContent,
  decodeBase64,
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENTS,
  MAX_TOTAL_BYTES,
  sanitizeFileName,
} from './content.ts';
import { openApiDocument } from './openapi.ts';
import { API_BASE, ApiProblem, problemList, sendProblem, type FieldError } from './problems.ts';
import { Postkorb, type Delivery, type PostkorbSettings } from './service.ts';

/**
 * The sending API for authorities (through their portal's server):
 *
 *   POST /api/postkorb/v1/mailboxes/{handle}/messages        a message, JSON, attachments in base64
 *   GET  /api/postkorb/v1/mailboxes/{handle}/messages/{id}   its delivery state, for the sender only
 *   GET  /api/postkorb/v1/openapi.json                       the OpenAPI 3.1 description
 *   GET  /api/postkorb/v1/problems                           the problem types and what to do
 *
 * Bearer tokens come from the hub's own token endpoint (client credentials, scope `postkorb`)
 * and are checked through the AccessTokenVerifier port. Errors are RFC 9457 problem details.
 * Checks run in this order and each refusal stores nothing: token (401), scope (403), portal
 * (403), rate limit (429), request type (415), size (413), Idempotency-Key (400), JSON (400),
 * fields (422), handle (404), the key seen before (the first answer again, or 422), attachment
 * sizes (413) and types (415). Then one transaction stores everything.
 */

const HANDLE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MESSAGE_ID = HANDLE;
/** Base64 of the attachments, the texts and the JSON around them. */
export const MAX_BODY_BYTES = Math.ceil((MAX_TOTAL_BYTES * 4) / 3) + 2 * 1024 * 1024;

export interface ApiDeps {
  readonly postkorb: Postkorb;
  readonly verifier: AccessTokenVerifier;
  readonly portals: () => PortalRegistry;
  readonly db: Db;
  readonly clock: Clock;
  readonly hmacKey: Buffer;
  readonly settings: PostkorbSettings;
  readonly publicUrl: string;
}

// Subject and reference: one line; text: lines and tabs. No other control characters.
// eslint-disable-next-line no-control-regex
const LINE_CONTROLS = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const TEXT_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

const attachmentSchema = z.strictObject({
  fileName: z.string().min(1).max(255),
  contentType: z.string().min(1).max(100),
  content: z.string(),
});

const messageSchema = z.strictObject({
  subject: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine((s) => !LINE_CONTROLS.test(s), 'must be one line without control characters'),
  text: z
    .string()
    .min(1)
    .max(20_000)
    .refine((s) => !TEXT_CONTROLS.test(s), 'must not contain control characters other than line breaks and tabs'),
  reference: z
    .string()
    .trim()
    .max(100)
    .refine((s) => !LINE_CONTROLS.test(s), 'must be one line without control characters')
    .optional(),
  level: z.string().min(1).max(200),
  attachments: z.array(attachmentSchema).max(MAX_ATTACHMENTS).default([]),
});

function pointer(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '' : `/${path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

function fieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          pointer: pointer([...issue.path, key]),
          detail:
            key === 'sender' || key === 'senderName'
              ? "unknown field: the sender is the authority named in the portal's entry, a message cannot set it"
              : 'unknown field',
        });
      }
      continue;
    }
    out.push({ pointer: pointer(issue.path), detail: issue.message });
  }
  return out;
}

/** Reads the body up to `limit` bytes; more is refused with 413 without reading on. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    throw new ApiProblem('too-large', `the request body has ${declared} bytes; at most ${limit} are accepted`, {
      headers: { Connection: 'close' },
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) {
      throw new ApiProblem('too-large', `the request body exceeds ${limit} bytes`, { headers: { Connection: 'close' } });
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks, size);
}

function idempotencyKey(ctx: HubContext): string {
  let raw = ctx.get('Idempotency-Key').trim();
  // RFC 8941 sf-string as the IETF draft writes it ("…"), or the bare value.
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) raw = raw.slice(1, -1);
  if (raw === '')
    throw new ApiProblem('invalid-request', 'the Idempotency-Key header is missing; send a new unique value with every new message');
  if (raw.length > 255 || !/^[\x21-\x7e]+$/.test(raw)) {
    throw new ApiProblem('invalid-request', 'the Idempotency-Key header must be 1 to 255 visible ASCII characters');
  }
  return raw;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function postkorbApi(deps: ApiDeps): HubMiddleware {
  const { postkorb, verifier, portals, db, clock, settings } = deps;
  const publicUrl = deps.publicUrl.replace(/\/+$/, '');
  const bearer = 'Bearer realm="postkorb"';

  /** Token, scope and portal: who is asking, and may it. */
  async function authorize(ctx: HubContext): Promise<PortalConfig> {
    const header = ctx.get('Authorization');
    const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim());
    if (!m) {
      throw new ApiProblem(
        'invalid-token',
        header === '' ? 'no access token was sent' : 'the Authorization header is not "Bearer <token>"',
        {
          headers: { 'WWW-Authenticate': bearer },
        },
      );
    }
    const token = await verifier.verify(m[1]!);
    if (!token) {
      throw new ApiProblem('invalid-token', 'the access token is unknown, expired or revoked', {
        headers: { 'WWW-Authenticate': `${bearer}, error="invalid_token", error_description="unknown, expired or revoked"` },
      });
    }
    if (!token.scopes.has(POSTKORB_SCOPE)) {
      throw new ApiProblem('insufficient-scope', `the access token has the scope "${[...token.scopes].join(' ')}", not ${POSTKORB_SCOPE}`, {
        headers: { 'WWW-Authenticate': `${bearer}, error="insufficient_scope", scope="${POSTKORB_SCOPE}"` },
      });
    }
    const portal = portals().byOidcClientId(token.clientId);
    if (!portal?.enabled || !portal.postkorb || portal.postkorb.clientId !== token.clientId) {
      throw new ApiProblem('portal-not-allowed', `the client "${token.clientId}" belongs to no portal that may send to the Postkorb`);
    }
    if (!portal.postkorb.enabled) throw new ApiProblem('portal-not-allowed', `sending is switched off for the portal "${portal.id}"`);
    const rule = portal.postkorb.rateLimit ?? settings.ratePerPortal;
    const verdict = await takeAttempt(
      db,
      keyedHash(deps.hmacKey, 'throttle', 'postkorbApi', portal.id),
      { kind: 'rate', max: rule.max, windowMs: rule.windowMinutes * MINUTE },
      clock.now(),
    );
    if (!verdict.allowed) {
      const seconds = Math.max(1, Math.ceil((verdict.retryAt - clock.now()) / 1000));
      throw new ApiProblem('rate-limited', `at most ${rule.max} requests per ${rule.windowMinutes} minute(s); try again in ${seconds} s`, {
        headers: { 'Retry-After': String(seconds) },
      });
    }
    return portal;
  }

  async function send(ctx: HubContext, handle: string): Promise<void> {
    const portal = await authorize(ctx);
    if (!ctx.is('application/json')) {
      throw new ApiProblem('unsupported-type', `the request must be application/json, not "${ctx.get('Content-Type') || 'none'}"`);
    }
    const key = idempotencyKey(ctx);
    const body = await readBody(ctx.req, MAX_BODY_BYTES);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new ApiProblem('invalid-request', `the body is not JSON: ${(err as Error).message}`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new ApiProblem('invalid-request', 'the body must be a JSON object');
    const parsed = messageSchema.safeParse(json);
    const errors: FieldError[] = parsed.success ? [] : fieldErrors(parsed.error.issues);
    let level: Loa | undefined;
    if (parsed.success) {
      level = parseLoa('oidc', parsed.data.level);
      if (level === undefined) {
        errors.push({
          pointer: '/level',
          detail: `unknown level "${parsed.data.level}": use low, substantial or high, an eIDAS LoA URI (http://eidas.europa.eu/LoA/…) or STORK-QAA-Level-1 to 4`,
        });
      }
      parsed.data.attachments.forEach((a, i) => {
        // The full check (alphabet, canonical padding) comes with the decoding below.
        if (base64Length(a.content) === undefined) {
          errors.push({ pointer: `/attachments/${i}/content`, detail: 'must be base64 (RFC 4648, padded, without line breaks)' });
        } else if (a.content === '') {
          errors.push({ pointer: `/attachments/${i}/content`, detail: 'the attachment is empty' });
        }
      });
    }
    if (!parsed.success || errors.length > 0 || level === undefined) {
      throw new ApiProblem('invalid-fields', `${errors.length} field(s) are missing or invalid`, { errors });
    }
    const input = parsed.data;
    if (!HANDLE.test(handle)) throw new ApiProblem('unknown-mailbox', 'the handle is not a Postkorb handle (a UUID)');

    // The same key again: the first answer (nothing new stored), or a conflict for another request.
    const requestHash = Postkorb.requestHash(handle, body);
    const seen = await postkorb.replay(portal.id, key, requestHash);
    if (seen?.kind === 'keyReused') {
      throw new ApiProblem('idempotency-key-reused', `the Idempotency-Key "${key}" was used for message ${seen.id} with another request`);
    }
    if (seen?.kind === 'replayed') return created(ctx, handle, seen.id, seen.deliveredAt, true);

    if (!(await findMailboxByHandle(db, handle.toLowerCase()))) throw new ApiProblem('unknown-mailbox', 'no Postkorb has this handle');

    let total = 0;
    for (const [i, a] of input.attachments.entries()) {
      const size = base64Length(a.content) ?? 0;
      total += size;
      if (size > MAX_ATTACHMENT_BYTES) {
        throw new ApiProblem('too-large', `/attachments/${i} has ${size} bytes; at most ${MAX_ATTACHMENT_BYTES} (10 MB) per attachment`);
      }
    }
    if (total > MAX_TOTAL_BYTES)
      throw new ApiProblem('too-large', `the attachments have ${total} bytes together; at most ${MAX_TOTAL_BYTES} (25 MB)`);
    const attachments: Delivery['attachments'][number][] = [];
    for (const [i, a] of input.attachments.entries()) {
      const content = decodeBase64(a.content);
      if (!content) {
        throw new ApiProblem('invalid-fields', '1 field(s) are missing or invalid', {
          errors: [{ pointer: `/attachments/${i}/content`, detail: 'must be canonical base64 (RFC 4648)' }],
        });
      }
      const check = await checkContent(a.contentType, content);
      if (!check.ok) throw new ApiProblem('unsupported-type', `/attachments/${i} ("${a.fileName}"): ${check.detail}`);
      attachments.push({ fileName: sanitizeFileName(a.fileName, check.type, i), contentType: check.type, content });
    }

    const result = await postkorb.deliver(
      portal,
      {
        handle,
        subject: input.subject.normalize('NFC'),
        text: input.text.normalize('NFC'),
        reference: input.reference ? input.reference.normalize('NFC') : null,
        level,
        attachments,
      },
      { key, requestHash },
    );
    switch (result.kind) {
      case 'unknownHandle':
        throw new ApiProblem('unknown-mailbox', 'no Postkorb has this handle');
      case 'keyReused':
        throw new ApiProblem(
          'idempotency-key-reused',
          `the Idempotency-Key "${key}" was used for message ${result.id} with another request`,
        );
      case 'replayed':
        return created(ctx, handle, result.id, result.deliveredAt, true);
      case 'delivered':
        return created(ctx, handle, result.id, result.deliveredAt, false);
    }
  }

  function created(ctx: HubContext, handle: string, id: string, deliveredAt: number, replayed: boolean): void {
    ctx.status = 201;
    ctx.set('Location', `${publicUrl}${API_BASE}/mailboxes/${handle.toLowerCase()}/messages/${id}`);
    ctx.set('Cache-Control', 'no-store');
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.type = 'application/json';
    ctx.body = JSON.stringify({ id, deliveredAt: iso(deliveredAt) });
  }

  async function status(ctx: HubContext, handle: string, id: string): Promise<void> {
    const portal = await authorize(ctx);
    const found = HANDLE.test(handle) && MESSAGE_ID.test(id) ? await postkorb.status(portal.id, handle, id.toLowerCase()) : undefined;
    if (!found) throw new ApiProblem('unknown-message', 'this portal sent no message with this id to this Postkorb');
    ctx.status = 200;
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'application/json';
    ctx.body = JSON.stringify({
      id: found.id,
      state: found.deletedAt !== null ? 'deleted' : found.readAt !== null ? 'read' : 'delivered',
      deliveredAt: iso(found.deliveredAt),
      readAt: iso(found.readAt),
      deletedAt: iso(found.deletedAt),
      deletedBy: found.deletedBy,
    });
  }

  function json(ctx: HubContext, value: unknown): void {
    ctx.status = 200;
    ctx.type = 'application/json';
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = JSON.stringify(value, null, 2);
  }

  async function route(ctx: HubContext): Promise<void> {
    const rest = ctx.path.slice(API_BASE.length);
    const parts = rest.split('/').filter((p) => p !== '');
    const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
    const allow = (allowed: string): never => {
      throw new ApiProblem('method-not-allowed', `${ctx.method} is not allowed here; use ${allowed}`, { headers: { Allow: allowed } });
    };
    if (parts.length === 1 && parts[0] === 'openapi.json') {
      if (method !== 'GET') allow('GET');
      return json(ctx, openApiDocument(publicUrl));
    }
    if (parts.length === 1 && parts[0] === 'problems') {
      if (method !== 'GET') allow('GET');
      return json(ctx, problemList(publicUrl));
    }
    if (parts.length === 3 && parts[0] === 'mailboxes' && parts[2] === 'messages') {
      if (method !== 'POST') allow('POST');
      return send(ctx, decodeURIComponent(parts[1]!));
    }
    if (parts.length === 4 && parts[0] === 'mailboxes' && parts[2] === 'messages') {
      if (method !== 'GET') allow('GET');
      return status(ctx, decodeURIComponent(parts[1]!), decodeURIComponent(parts[3]!));
    }
    throw new ApiProblem('not-found', `nothing at ${ctx.path}`);
  }

  return async (ctx, next) => {
    if (ctx.path !== API_BASE && !ctx.path.startsWith(`${API_BASE}/`)) return next();
    try {
      await route(ctx);
    } catch (err) {
      if (err instanceof ApiProblem) {
        ctx.state.log.info({ problem: err.kind, detail: err.detail }, 'postkorb API request refused');
        return sendProblem(ctx, publicUrl, err);
      }
      if (err instanceof URIError) return sendProblem(ctx, publicUrl, new ApiProblem('not-found', 'the path is not valid URL encoding'));
      ctx.state.log.error({ err }, 'postkorb API request failed');
      sendProblem(ctx, publicUrl, new ApiProblem('internal', `an internal error occurred (request ${ctx.state.requestId})`));
    }
  };
}

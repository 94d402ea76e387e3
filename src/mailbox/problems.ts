import type { HubContext } from '../web/context.ts';

/**
 * Errors of the sending API as RFC 9457 problem details (`application/problem+json`). Each kind
 * has a stable type URI under the API (listed, with what to do, at `/api/postkorb/v1/problems`),
 * a status, a title; `detail` says what was wrong with this request, `errors` which fields.
 */

export const API_BASE = '/api/postkorb/v1';

export const PROBLEMS = {
  'invalid-token': {
    status: 401,
    title: 'Missing, unknown or expired access token',
    todo: 'Get a token with the client credentials grant at the token endpoint (scope postkorb) and send it as "Authorization: Bearer <token>".',
  },
  'insufficient-scope': {
    status: 403,
    title: 'The access token lacks the scope postkorb',
    todo: 'Ask the token endpoint for scope=postkorb.',
  },
  'portal-not-allowed': {
    status: 403,
    title: 'This portal may not use the Postkorb',
    todo: "Its entry in the hub's portals file needs a postkorb section (enabled); ask the hub's operator.",
  },
  'invalid-request': {
    status: 400,
    title: 'The request cannot be read',
    todo: 'Send a JSON object (Content-Type: application/json) and an Idempotency-Key header.',
  },
  'invalid-fields': {
    status: 422,
    title: 'Some fields are missing or invalid',
    todo: 'See errors: each names the field by JSON Pointer and what is wrong with it.',
  },
  'idempotency-key-reused': {
    status: 422,
    title: 'This Idempotency-Key was used for another request',
    todo: 'Use a new key for a new message; repeat a request only with the same key and the same body.',
  },
  'unknown-mailbox': {
    status: 404,
    title: 'No Postkorb has this handle',
    todo: "Use the handle the citizen's login released (urn:oid:2.5.4.18 or the claim postkorb_handle); the citizen may have removed the Postkorb or the account.",
  },
  'unknown-message': {
    status: 404,
    title: 'No message of this portal has this id in this Postkorb',
    todo: 'Only the portal that sent a message can read its state, with the handle it sent it to.',
  },
  'not-found': { status: 404, title: 'No such API resource', todo: 'See the OpenAPI description at /api/postkorb/v1/openapi.json.' },
  'method-not-allowed': {
    status: 405,
    title: 'Method not allowed here',
    todo: 'See the OpenAPI description at /api/postkorb/v1/openapi.json.',
  },
  'too-large': { status: 413, title: 'Too large', todo: 'An attachment may have at most 10 MB, all attachments together at most 25 MB.' },
  'unsupported-type': {
    status: 415,
    title: 'Type not allowed',
    todo: 'Attachments may be PDF, PNG, JPEG, XML or plain text (UTF-8); the type is checked from the content and must match contentType.',
  },
  'rate-limited': { status: 429, title: "Over this portal's rate limit", todo: 'Wait for the number of seconds in Retry-After.' },
  internal: { status: 500, title: 'Internal error', todo: 'Try again later; the hub logged the error with the request id.' },
} as const satisfies Record<string, { status: number; title: string; todo: string }>;

export type ProblemKind = keyof typeof PROBLEMS;

export interface FieldError {
  /** JSON Pointer (RFC 6901) into the request body. */
  readonly pointer: string;
  readonly detail: string;
}

export class ApiProblem extends Error {
  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    readonly extra: { readonly errors?: readonly FieldError[]; readonly headers?: Readonly<Record<string, string>> } = {},
  ) {
    super(`${kind}: ${detail}`);
  }
}

export function problemType(publicUrl: string, kind: ProblemKind): string {
  return `${publicUrl.replace(/\/+$/, '')}${API_BASE}/problems#${kind}`;
}

export function sendProblem(ctx: HubContext, publicUrl: string, p: ApiProblem): void {
  const def = PROBLEMS[p.kind];
  ctx.status = def.status;
  for (const [k, v] of Object.entries(p.extra.headers ?? {})) ctx.set(k, v);
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'application/problem+json';
  ctx.body = JSON.stringify({
    type: problemType(publicUrl, p.kind),
    title: def.title,
    status: def.status,
    detail: p.detail,
    instance: ctx.path,
    ...(p.extra.errors && p.extra.errors.length > 0 ? { errors: p.extra.errors } : {}),
    requestId: ctx.state.requestId,
  });
}

/** The list the type URIs point at. */
export function problemList(publicUrl: string): unknown {
  return {
    problems: Object.entries(PROBLEMS).map(([kind, d]) => ({
      type: problemType(publicUrl, kind as ProblemKind),
      status: d.status,
      title: d.title,
      whatToDo: d.todo,
    })),
  };
}

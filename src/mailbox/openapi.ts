import { ALLOWED_TYPES, MAX_ATTACHMENTS } from './content.ts';
import { API_BASE, PROBLEMS, problemType } from './problems.ts';

/**
 * The sending API described in OpenAPI 3.1, served at /api/postkorb/v1/openapi.json with the
 * hub's own URLs filled in. Written by hand next to api.ts (which checks what it says).
 */
export function openApiDocument(publicUrl: string): Record<string, unknown> {
  const problem = (kinds: readonly (keyof typeof PROBLEMS)[], description: string) => ({
    description,
    content: {
      'application/problem+json': {
        schema: { $ref: '#/components/schemas/Problem' },
        examples: Object.fromEntries(
          kinds.map((k) => [
            k,
            {
              value: { type: problemType(publicUrl, k), title: PROBLEMS[k].title, status: PROBLEMS[k].status, detail: '…', instance: '…' },
            },
          ]),
        ),
      },
    },
  });
  const handleParam = {
    name: 'handle',
    in: 'path',
    required: true,
    description:
      "The citizen's Postkorb handle, as the login released it (SAML urn:oid:2.5.4.18 legacyPostkorbHandle, OIDC claim postkorb_handle).",
    schema: { type: 'string', format: 'uuid' },
  };
  const authErrors = {
    '401': problem(['invalid-token'], 'No, an unknown or an expired access token.'),
    '403': problem(['insufficient-scope', 'portal-not-allowed'], 'The token lacks the scope postkorb, or its portal may not send.'),
    '429': {
      ...problem(['rate-limited'], "Over the portal's rate limit."),
      headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Servicekonto Postkorb – sending API',
      version: '1.0.0',
      description: [
        "Authorities send messages and documents to a citizen's Postkorb through their portal's server. The citizen is told by e-mail (authority name only) and reads the message after logging in; a message is shown only to a session of at least its level of assurance.",
        'Authentication: OAuth 2.0 client credentials at the token endpoint with the scope `postkorb`, using the client registered for the portal (private_key_jwt or a client secret).',
        "The sender the citizen sees is the authority named in the portal's entry; a message cannot set it.",
        `Attachments: ${ALLOWED_TYPES.join(', ')}; the type is checked from the content and must match contentType; at most 10 MB each, 25 MB together, ${MAX_ATTACHMENTS} per message. File names are sanitised.`,
      ].join('\n\n'),
    },
    servers: [{ url: `${publicUrl}${API_BASE}` }],
    security: [{ clientCredentials: ['postkorb'] }],
    paths: {
      '/mailboxes/{handle}/messages': {
        post: {
          operationId: 'sendMessage',
          summary: 'Deliver a message to a Postkorb',
          parameters: [
            handleParam,
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: true,
              description:
                'A new unique value per message (e.g. a UUID), 1–255 visible ASCII characters, optionally in double quotes. The same key with the same request within 24 hours returns the first message again (201, header Idempotent-Replayed: true) and stores nothing; with another request it is refused (422).',
              schema: { type: 'string', minLength: 1, maxLength: 255 },
            },
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/NewMessage' } } },
          },
          responses: {
            '201': {
              description: 'Delivered (or, for a repeated Idempotency-Key with the same request, delivered before).',
              headers: {
                Location: { description: 'The status resource of the message.', schema: { type: 'string', format: 'uri' } },
                'Idempotent-Replayed': { description: '`true` when this answers a repeated request.', schema: { type: 'string' } },
              },
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Delivered' } } },
            },
            '400': problem(['invalid-request'], 'Not a JSON object, or the Idempotency-Key header is missing or malformed.'),
            ...authErrors,
            '404': problem(['unknown-mailbox'], 'No Postkorb has this handle.'),
            '413': problem(['too-large'], 'An attachment over 10 MB, all over 25 MB, or the body over its limit.'),
            '415': problem(
              ['unsupported-type'],
              'The request is not JSON, or an attachment is not an allowed type or not what contentType says.',
            ),
            '422': problem(
              ['invalid-fields', 'idempotency-key-reused'],
              'Fields missing or invalid (see errors), or the Idempotency-Key was used for another request.',
            ),
          },
        },
      },
      '/mailboxes/{handle}/messages/{id}': {
        get: {
          operationId: 'messageStatus',
          summary: 'The delivery state of a message, for the portal that sent it',
          parameters: [handleParam, { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
          responses: {
            '200': { description: 'The state.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Status' } } } },
            ...authErrors,
            '404': problem(['unknown-message'], 'This portal sent no message with this id to this Postkorb.'),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        clientCredentials: {
          type: 'oauth2',
          flows: {
            clientCredentials: { tokenUrl: `${publicUrl}/oidc/token`, scopes: { postkorb: 'send messages to citizens\u2019 Postkorb' } },
          },
        },
      },
      schemas: {
        NewMessage: {
          type: 'object',
          additionalProperties: false,
          required: ['subject', 'text', 'level'],
          properties: {
            subject: { type: 'string', minLength: 1, maxLength: 200, description: 'One line.' },
            text: { type: 'string', minLength: 1, maxLength: 20000, description: 'Plain text; line breaks are kept.' },
            reference: { type: 'string', maxLength: 100, description: 'The file reference (Aktenzeichen).' },
            level: {
              type: 'string',
              description:
                'The level of assurance a session needs to open the message and its attachments: low, substantial, high, an eIDAS URI (http://eidas.europa.eu/LoA/low|substantial|high), STORK-QAA-Level-1…4 or a BSI TR-03130 URI.',
              examples: ['substantial', 'http://eidas.europa.eu/LoA/high', 'STORK-QAA-Level-3'],
            },
            attachments: { type: 'array', maxItems: MAX_ATTACHMENTS, items: { $ref: '#/components/schemas/Attachment' } },
          },
        },
        Attachment: {
          type: 'object',
          additionalProperties: false,
          required: ['fileName', 'contentType', 'content'],
          properties: {
            fileName: {
              type: 'string',
              minLength: 1,
              maxLength: 255,
              description: 'Sanitised on arrival; the extension is made to fit the type.',
            },
            contentType: { type: 'string', enum: [...ALLOWED_TYPES, 'text/xml', 'image/jpg'] },
            content: {
              type: 'string',
              contentEncoding: 'base64',
              description: 'The bytes, base64 (RFC 4648, padded, no line breaks); at most 10 MB decoded.',
            },
          },
        },
        Delivered: {
          type: 'object',
          required: ['id', 'deliveredAt'],
          properties: { id: { type: 'string', format: 'uuid' }, deliveredAt: { type: 'string', format: 'date-time' } },
        },
        Status: {
          type: 'object',
          required: ['id', 'state', 'deliveredAt', 'readAt', 'deletedAt', 'deletedBy'],
          properties: {
            id: { type: 'string', format: 'uuid' },
            state: { type: 'string', enum: ['delivered', 'read', 'deleted'] },
            deliveredAt: { type: 'string', format: 'date-time' },
            readAt: { type: ['string', 'null'], format: 'date-time', description: 'The first opening by the citizen.' },
            deletedAt: { type: ['string', 'null'], format: 'date-time' },
            deletedBy: {
              type: ['string', 'null'],
              enum: ['citizen', 'postkorb', 'account', null],
              description: 'citizen: the message was deleted; postkorb: the Postkorb was removed; account: the Servicekonto was deleted.',
            },
          },
        },
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details.',
          required: ['type', 'title', 'status', 'detail'],
          properties: {
            type: { type: 'string', format: 'uri' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            requestId: { type: 'string', description: "The id of the request in the hub's log." },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                required: ['pointer', 'detail'],
                properties: { pointer: { type: 'string', description: 'JSON Pointer into the request body.' }, detail: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  };
}

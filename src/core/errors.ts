/**
 * Errors that cross module boundaries. Each carries a stable code (documented in
 * docs/errors.md, kept in step by a test), an HTTP status, and whether its public text may be
 * shown. `detail` is for the log only and must not hold personal data or secrets.
 */

export const ERROR_CODES = {
  bad_request: { status: 400, expose: true },
  csrf_invalid: { status: 403, expose: true },
  login_required: { status: 401, expose: true },
  not_found: { status: 404, expose: true },
  payload_too_large: { status: 413, expose: true },
  throttled: { status: 429, expose: true },
  token_invalid: { status: 400, expose: true },
  saml_request_invalid: { status: 400, expose: true },
  saml_unknown_sp: { status: 403, expose: true },
  saml_signature_invalid: { status: 403, expose: true },
  saml_acs_not_registered: { status: 400, expose: true },
  saml_replay: { status: 400, expose: true },
  oidc_request_invalid: { status: 400, expose: true },
  federation_partner_unavailable: { status: 503, expose: true },
  federation_unsolicited: { status: 400, expose: true },
  federation_response_invalid: { status: 403, expose: true },
  federation_level_unknown: { status: 403, expose: true },
  internal: { status: 500, expose: false },
  store_unavailable: { status: 503, expose: false },
} as const satisfies Record<string, { status: number; expose: boolean }>;

export type HubErrorCode = keyof typeof ERROR_CODES;

export class HubError extends Error {
  readonly code: HubErrorCode;
  readonly status: number;
  readonly expose: boolean;
  /** Values for the public message, e.g. the seconds to wait. */
  readonly params: Readonly<Record<string, string | number>>;

  constructor(code: HubErrorCode, detail?: string, options?: { params?: Record<string, string | number>; cause?: unknown }) {
    super(detail ?? code, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HubError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.expose = ERROR_CODES[code].expose;
    this.params = options?.params ?? {};
  }
}

/** A configuration problem: where it is and what is wrong, for the operator. */
export interface ConfigProblem {
  file: string;
  line?: number;
  path: string;
  message: string;
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map(formatConfigProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatConfigProblem(p: ConfigProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  return `${where}: ${p.path || '(top level)'}: ${p.message}`;
}

import { ERROR_CODES, type HubErrorCode } from './errors.ts';

/** What each error code means for an operator reading logs; docs/errors.md is generated from it. */
export const ERROR_MEANING: Readonly<Record<HubErrorCode, string>> = {
  bad_request: 'The request was malformed (unsupported content type, missing parameter).',
  csrf_invalid: 'A form was posted without the CSRF token of its session, often after the session expired.',
  login_required: 'A page for logged-in citizens was opened without a session.',
  not_found: 'No page at this path.',
  payload_too_large: 'A request body exceeded the size limit and was not read further.',
  throttled: 'Too many attempts (logins, registrations, reset mails); the answer says when to try again.',
  token_invalid: 'A mailed link was unknown, already used or tampered with.',
  saml_request_invalid:
    'A SAML message could not be read or failed a check before its sender was trusted (size, encoding, DOCTYPE, Destination, IssueInstant, schema); nothing was changed.',
  saml_unknown_sp: 'A SAML message came from an Issuer that is no enabled portal with valid metadata in federation/portals.yaml.',
  saml_signature_invalid:
    "A SAML message's signature was missing where required, wrong, made with SHA-1, not by a key pinned in the portal's metadata, or not over the element read (wrapping).",
  saml_acs_not_registered:
    "An AuthnRequest named an AssertionConsumerService URL, index or binding that the portal's metadata does not list.",
  saml_replay: 'A SAML message ID was used a second time (the replay cache is shared by all hub processes).',
  oidc_request_invalid:
    'An OpenID Connect request could not be answered to the portal (unknown or disabled client, redirect_uri not registered, bad parameters, expired login); the page names the OAuth error, and nothing was sent to the portal.',
  federation_partner_unavailable:
    "Another state's account was chosen that is not configured, disabled, or has no valid metadata (never fetched, expired, refused); `hub trust status` shows why.",
  federation_unsolicited:
    'A SAML Response reached /saml/acs for no request this hub sent from this browser (no or unknown RelayState, already used, expired, another browser, or no InResponseTo); nothing was stored.',
  federation_response_invalid:
    "A partner's SAML Response failed a check (node-saml or the hub's own: signature by the key in its verified metadata, SHA-1 or AES-CBC not allowed for it, Destination, Audience, Recipient, InResponseTo, time window, replayed assertion, status not Success); nothing was stored.",
  federation_level_unknown:
    "A partner answered with an AuthnContextClassRef its trust entry's LoA map does not list; the login fails rather than guess a level.",
  internal: 'An unexpected failure; the log line with the same reference has the stack trace.',
  store_unavailable: 'The database could not be reached.',
};

export function errorsMarkdown(): string {
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated from src/core/errors.ts by `npm run hub -- config docs`; do not edit by hand. -->',
    '',
    'Every error page shows a reference ("Fehlernummer") that is also in the log line of the request.',
    '',
    '| code | HTTP status | shown to the citizen | meaning |',
    '| --- | --- | --- | --- |',
  ];
  for (const [code, def] of Object.entries(ERROR_CODES) as [HubErrorCode, { status: number; expose: boolean }][]) {
    lines.push(`| \`${code}\` | ${def.status} | ${def.expose ? 'its own text' : 'a generic text'} | ${ERROR_MEANING[code]} |`);
  }
  return lines.join('\n') + '\n';
}

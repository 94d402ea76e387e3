import type { Element } from '@xmldom/xmldom';
import { attr, childNamed, childrenNamed, elementChildren, parseBoolean, textOf, XmlRefusal } from '../../core/xml-read.ts';

/**
 * The AKDB request extension (`akdb:AuthenticationRequest`, BundID interface description
 * section 9; specs.md 1.3), version 2, which BundID-style portals put into
 * `samlp:Extensions`. The caller honours it only when the AuthnRequest was signed.
 *
 *   AuthnMethods/<Method>/Enabled   Benutzername → password, eID → eid, eIDAS → eidas,
 *                                   FINK → upstream; other methods are not offered here
 *   RequestedAttributes             urn:oid names with RequiredAttribute (default false)
 *   DisplayInformation/classic-ui:Version
 *                                   OrganizationDisplayName (shown on the login and consent
 *                                   pages), BackURL (checked by the caller), OnlineServiceId
 */

export const AKDB_NS = 'https://www.akdb.de/request/2018/09';
export const CLASSIC_UI_NS = 'https://www.akdb.de/request/2018/09/classic-ui/v1';

const METHODS: Readonly<Record<string, string>> = {
  Benutzername: 'password',
  eID: 'eid',
  eIDAS: 'eidas',
  FINK: 'upstream',
};

export const MAX_DISPLAY_NAME = 80;

export interface AkdbRequest {
  readonly version: string;
  /** urn:oid names; undefined when the element is absent. */
  readonly requestedAttributes?: readonly { readonly name: string; readonly required: boolean }[];
  /** Hub login method ids; undefined when AuthnMethods is absent. */
  readonly authnMethods?: readonly string[];
  readonly organizationDisplayName?: string;
  readonly backUrl?: string;
  readonly onlineServiceId?: string;
}

function clean(text: string, max: number): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, max);
}

/** The extension inside `extensions`, or undefined when there is none. */
export function readAkdb(extensions: Element | undefined): AkdbRequest | undefined {
  if (!extensions) return undefined;
  const request = childNamed(extensions, AKDB_NS, 'AuthenticationRequest');
  if (!request) return undefined;
  const version = (attr(request, 'Version') ?? '').trim();

  let requestedAttributes: AkdbRequest['requestedAttributes'];
  const list = childNamed(request, AKDB_NS, 'RequestedAttributes');
  if (list) {
    requestedAttributes = childrenNamed(list, AKDB_NS, 'RequestedAttribute').map((e) => {
      const name = (attr(e, 'Name') ?? '').trim();
      if (name === '') throw new XmlRefusal('unexpected', 'akdb:RequestedAttribute without Name');
      return { name, required: parseBoolean(attr(e, 'RequiredAttribute'), false) };
    });
  }

  let authnMethods: string[] | undefined;
  const methods = childNamed(request, AKDB_NS, 'AuthnMethods');
  if (methods) {
    authnMethods = [];
    for (const m of elementChildren(methods)) {
      if (m.namespaceURI !== AKDB_NS) continue;
      const enabled = childNamed(m, AKDB_NS, 'Enabled');
      const id = METHODS[m.localName ?? ''];
      if (id && enabled && parseBoolean(textOf(enabled), false) && !authnMethods.includes(id)) authnMethods.push(id);
    }
  }

  let organizationDisplayName: string | undefined;
  let backUrl: string | undefined;
  let onlineServiceId: string | undefined;
  const display = childNamed(request, AKDB_NS, 'DisplayInformation');
  const ui = display && childNamed(display, CLASSIC_UI_NS, 'Version');
  if (ui) {
    const text = (name: string): string | undefined => {
      const e = childNamed(ui, CLASSIC_UI_NS, name);
      const v = e && textOf(e).trim();
      return v === undefined || v === '' ? undefined : v;
    };
    const name = text('OrganizationDisplayName');
    organizationDisplayName = name === undefined ? undefined : clean(name, MAX_DISPLAY_NAME);
    backUrl = text('BackURL');
    const service = text('OnlineServiceId');
    onlineServiceId = service === undefined ? undefined : clean(service, 200);
  }

  return {
    version,
    ...(requestedAttributes ? { requestedAttributes } : {}),
    ...(authnMethods ? { authnMethods } : {}),
    ...(organizationDisplayName ? { organizationDisplayName } : {}),
    ...(backUrl ? { backUrl } : {}),
    ...(onlineServiceId ? { onlineServiceId } : {}),
  };
}

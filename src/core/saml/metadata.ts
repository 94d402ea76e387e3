import { el, signable, textEl, type Child, type Signable, type Xml } from './build.ts';

/**
 * SAML 2.0 metadata (SAML Metadata, MDUI, algorithm support) in exclusive canonical form. An
 * EntityDescriptor carries any number of role descriptors, built separately: the IdP role for
 * portals and the SP role of the broker towards partners, in one signed document (DECISIONS 12).
 */

export const BINDING = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;

export const SAML2_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';

export type Localized = Readonly<Record<'de' | 'en', string>>;

export interface KeyDescriptorSpec {
  readonly use: 'signing' | 'encryption';
  readonly certificateDer: Buffer;
  /** EncryptionMethod algorithms the key holder supports (encryption keys). */
  readonly encryptionMethods?: readonly string[];
}

export interface EndpointSpec {
  readonly binding: string;
  readonly location: string;
  readonly responseLocation?: string | undefined;
}

export interface RequestedAttributeSpec {
  readonly name: string;
  readonly friendlyName: string;
  readonly nameFormat: string;
}

export interface UiInfo {
  readonly displayName: Localized;
  readonly description?: Localized | undefined;
  readonly informationUrl?: Localized | undefined;
  readonly privacyStatementUrl?: Localized | undefined;
}

export interface IdpRoleSpec {
  readonly wantAuthnRequestsSigned: boolean;
  readonly errorUrl?: string | undefined;
  readonly ui: UiInfo;
  readonly keys: readonly KeyDescriptorSpec[];
  readonly singleLogout: readonly EndpointSpec[];
  readonly nameIdFormats: readonly string[];
  readonly singleSignOn: readonly EndpointSpec[];
  readonly attributes: readonly RequestedAttributeSpec[];
}

function localized(name: string, values: Localized | undefined): Xml[] {
  if (!values) return [];
  return (['de', 'en'] as const).map((lang) => textEl(name, { 'xml:lang': lang }, values[lang]));
}

function keyDescriptor(k: KeyDescriptorSpec): Xml {
  return el('md:KeyDescriptor', { use: k.use }, [
    el('ds:KeyInfo', { xmlns: ['ds'] }, [el('ds:X509Data', {}, [textEl('ds:X509Certificate', {}, k.certificateDer.toString('base64'))])]),
    ...(k.encryptionMethods ?? []).map((a) => el('md:EncryptionMethod', { Algorithm: a })),
  ]);
}

function endpoint(name: string, e: EndpointSpec): Xml {
  return el(name, { Binding: e.binding, Location: e.location, ResponseLocation: e.responseLocation });
}

function uiInfo(ui: UiInfo): Xml {
  return el('mdui:UIInfo', { xmlns: ['mdui'] }, [
    ...localized('mdui:DisplayName', ui.displayName),
    ...localized('mdui:Description', ui.description),
    ...localized('mdui:InformationURL', ui.informationUrl),
    ...localized('mdui:PrivacyStatementURL', ui.privacyStatementUrl),
  ]);
}

export function idpRole(r: IdpRoleSpec): Xml {
  return el(
    'md:IDPSSODescriptor',
    { WantAuthnRequestsSigned: String(r.wantAuthnRequestsSigned), errorURL: r.errorUrl, protocolSupportEnumeration: SAML2_PROTOCOL },
    [
      el('md:Extensions', {}, [uiInfo(r.ui)]),
      ...r.keys.map(keyDescriptor),
      ...r.singleLogout.map((e) => endpoint('md:SingleLogoutService', e)),
      ...r.nameIdFormats.map((f) => textEl('md:NameIDFormat', {}, f)),
      ...r.singleSignOn.map((e) => endpoint('md:SingleSignOnService', e)),
      ...r.attributes.map((a) =>
        el('saml:Attribute', { xmlns: ['saml'], FriendlyName: a.friendlyName, Name: a.name, NameFormat: a.nameFormat }),
      ),
    ],
  );
}

export interface IndexedEndpointSpec extends EndpointSpec {
  readonly index: number;
  readonly isDefault?: boolean | undefined;
}

export interface SpRoleSpec {
  readonly authnRequestsSigned: boolean;
  readonly wantAssertionsSigned: boolean;
  readonly ui: UiInfo;
  readonly keys: readonly KeyDescriptorSpec[];
  readonly singleLogout: readonly EndpointSpec[];
  readonly nameIdFormats: readonly string[];
  readonly assertionConsumers: readonly IndexedEndpointSpec[];
}

/** The SP role of the hub as a broker towards partner states (and later the eIDAS node). */
export function spRole(r: SpRoleSpec): Xml {
  return el(
    'md:SPSSODescriptor',
    {
      AuthnRequestsSigned: String(r.authnRequestsSigned),
      WantAssertionsSigned: String(r.wantAssertionsSigned),
      protocolSupportEnumeration: SAML2_PROTOCOL,
    },
    [
      el('md:Extensions', {}, [uiInfo(r.ui)]),
      ...r.keys.map(keyDescriptor),
      ...r.singleLogout.map((e) => endpoint('md:SingleLogoutService', e)),
      ...r.nameIdFormats.map((f) => textEl('md:NameIDFormat', {}, f)),
      ...r.assertionConsumers.map((a) =>
        el('md:AssertionConsumerService', {
          Binding: a.binding,
          Location: a.location,
          index: a.index,
          isDefault: a.isDefault === undefined ? undefined : String(a.isDefault),
        }),
      ),
    ],
  );
}

export interface OrganizationSpec {
  readonly name: Localized;
  readonly displayName: Localized;
  readonly url: Localized;
}

export interface ContactSpec {
  readonly type: 'technical' | 'support' | 'administrative' | 'billing' | 'other';
  readonly company?: string | undefined;
  readonly email: string;
}

export interface EntitySpec {
  readonly id: string;
  readonly entityId: string;
  readonly validUntil: string;
  /** Algorithms the entity uses and accepts (SAML V2.0 Metadata Profile for Algorithm Support). */
  readonly digestMethods: readonly string[];
  readonly signingMethods: readonly string[];
  readonly roles: readonly Xml[];
  readonly organization: OrganizationSpec;
  readonly contacts: readonly ContactSpec[];
}

function entityChildren(e: Omit<EntitySpec, 'id' | 'validUntil'>): Child[] {
  return [
    el('md:Extensions', {}, [
      ...e.digestMethods.map((a) => el('alg:DigestMethod', { xmlns: ['alg'], Algorithm: a })),
      ...e.signingMethods.map((a) => el('alg:SigningMethod', { xmlns: ['alg'], Algorithm: a })),
    ]),
    ...e.roles,
    el('md:Organization', {}, [
      ...localized('md:OrganizationName', e.organization.name),
      ...localized('md:OrganizationDisplayName', e.organization.displayName),
      ...localized('md:OrganizationURL', e.organization.url),
    ]),
    ...e.contacts.map((c) =>
      el('md:ContactPerson', { contactType: c.type }, [
        c.company !== undefined && textEl('md:Company', {}, c.company),
        textEl('md:EmailAddress', {}, c.email.startsWith('mailto:') ? c.email : `mailto:${c.email}`),
      ]),
    ),
  ];
}

export function entityDescriptor(e: EntitySpec): Signable {
  return signable(
    'md:EntityDescriptor',
    { xmlns: ['md'], ID: e.id, entityID: e.entityId, validUntil: e.validUntil },
    [],
    entityChildren(e),
  );
}

/**
 * An EntityDescriptor without ID and, when `validUntil` is left out, without validity: not to
 * be signed. BundID wants its partners' SP metadata so (DECISIONS 12, `hub metadata export`).
 */
export function unsignedEntityDescriptor(e: Omit<EntitySpec, 'id' | 'validUntil'> & { readonly validUntil?: string | undefined }): Xml {
  return el('md:EntityDescriptor', { xmlns: ['md'], entityID: e.entityId, validUntil: e.validUntil }, entityChildren(e));
}

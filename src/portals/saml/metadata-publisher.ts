import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { HubKeys } from '../../config/keys.ts';
import type { HubConfig } from '../../config/schema.ts';
import type { Clock } from '../../core/clock.ts';
import { HOUR } from '../../core/clock.ts';
import { RSA_SHA256, SHA256 } from '../../core/saml/algorithms.ts';
import { offeredAttributes } from './attributes.ts';
import { AES256_GCM, RSA_OAEP_11, RSA_OAEP_MGF1P } from './xml/encrypt.ts';
import {
  BINDING,
  entityDescriptor,
  idpRole,
  spRole,
  unsignedEntityDescriptor,
  type ContactSpec,
  type KeyDescriptorSpec,
  type Localized,
} from '../../core/saml/metadata.ts';
import { NAMEID_FORMAT, samlTime } from '../../core/saml/protocol.ts';
import { signEnveloped } from '../../core/saml/sign.ts';

/**
 * The hub's signed metadata at /saml/metadata (DECISIONS 12): one EntityDescriptor, entityID
 * `<publicUrl>/saml/metadata`, with an ID and a validUntil a few days ahead. The signed document
 * is cached; once half of its validity has passed, the next request triggers a re-signing in the
 * background (it is served meanwhile), and a document that would expire within the hour is never
 * served. Both roles are in it (DECISIONS 12): the IdP for portals and other states' hubs, and the
 * SP of the broker towards partner states (ACS /saml/acs, SLO /saml/sp/slo, signed requests).
 * `hub metadata export --profile NAME` writes variants (`document()`).
 */

/**
 * Variants of the metadata for partners that want something else (DECISIONS 12):
 * `default` is what /saml/metadata serves; `idp` and `sp` one role each, signed; `bundid` the SP
 * role unsigned, without ID and validUntil (BundID's rules for partners' SP metadata).
 */
export const METADATA_PROFILES = ['default', 'idp', 'sp', 'bundid'] as const;
export type MetadataProfile = (typeof METADATA_PROFILES)[number];

export interface IdpEndpoints {
  readonly publicUrl: string;
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly sloUrl: string;
}

export interface MetadataSettings extends IdpEndpoints {
  readonly operatorName: string;
  readonly validHours: number;
  readonly technicalContact: string;
  readonly supportContact?: string | undefined;
  readonly wantAuthnRequestsSigned: boolean;
  /** The broker's SP endpoints (src/federation). */
  readonly sp?: { readonly acsUrl: string; readonly sloUrl: string } | undefined;
}

export interface SignedMetadata {
  readonly xml: string;
  readonly id: string;
  readonly signedAt: number;
  readonly validUntil: number;
}

function mailAddress(from: string): string {
  return /<([^>]+)>/.exec(from)?.[1] ?? from;
}

/** The metadata's settings from the hub's configuration: one place for the edge and `hub metadata export`. */
export function metadataSettings(config: HubConfig, sp?: MetadataSettings['sp']): MetadataSettings {
  const publicUrl = config.server.publicUrl.replace(/\/+$/, '');
  const c = config.saml;
  return {
    publicUrl,
    entityId: `${publicUrl}/saml/metadata`,
    ssoUrl: `${publicUrl}/saml/sso`,
    sloUrl: `${publicUrl}/saml/slo`,
    operatorName: config.web.operatorName,
    validHours: c.metadataValidHours,
    technicalContact: c.technicalContact || mailAddress(config.mail.from),
    supportContact: c.supportContact || undefined,
    wantAuthnRequestsSigned: false,
    sp,
  };
}

function same(text: string): Localized {
  return { de: text, en: text };
}

export class MetadataPublisher {
  private cached: SignedMetadata | undefined;
  private refreshing = false;

  constructor(
    private readonly settings: MetadataSettings,
    private readonly keys: HubKeys['saml'],
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** The signed document to serve now. */
  current(): SignedMetadata {
    const now = this.clock.now();
    const doc = this.cached;
    if (!doc || now >= doc.validUntil - HOUR) {
      this.cached = this.sign(now);
      return this.cached;
    }
    const validity = doc.validUntil - doc.signedAt;
    if (now >= doc.signedAt + validity / 2 && !this.refreshing) {
      this.refreshing = true;
      setImmediate(() => {
        try {
          this.cached = this.sign(this.clock.now());
        } catch (err) {
          this.log.error({ err }, 'could not re-sign the SAML metadata');
        } finally {
          this.refreshing = false;
        }
      });
    }
    return doc;
  }

  private sign(now: number): SignedMetadata {
    const doc = this.document('default', now);
    this.log.info({ id: doc.id, validUntil: new Date(doc.validUntil).toISOString() }, 'signed the SAML metadata');
    return doc;
  }

  /** A metadata document in one of the profiles (signed unless the profile says otherwise). */
  document(profile: MetadataProfile, now: number): SignedMetadata {
    const s = this.settings;
    const id = `_${randomBytes(20).toString('hex')}`;
    const validUntil = Math.floor(now / 1000) * 1000 + s.validHours * HOUR;
    const keys: KeyDescriptorSpec[] = [];
    const signing = [this.keys.signing, ...(this.keys.signingNext ? [this.keys.signingNext] : [])];
    for (const k of signing) if (k.certificateDer) keys.push({ use: 'signing', certificateDer: k.certificateDer });
    const encryption = this.keys.encryption[0];
    if (encryption?.certificateDer) {
      keys.push({
        use: 'encryption',
        certificateDer: encryption.certificateDer,
        encryptionMethods: [AES256_GCM, RSA_OAEP_MGF1P, RSA_OAEP_11],
      });
    }
    const contacts: ContactSpec[] = [{ type: 'technical', company: s.operatorName, email: s.technicalContact }];
    if (s.supportContact) contacts.push({ type: 'support', company: s.operatorName, email: s.supportContact });
    const idp = idpRole({
      wantAuthnRequestsSigned: s.wantAuthnRequestsSigned,
      ui: {
        displayName: same(s.operatorName),
        informationUrl: same(`${s.publicUrl}/`),
        privacyStatementUrl: same(`${s.publicUrl}/datenschutz`),
      },
      keys,
      singleLogout: [{ binding: BINDING.redirect, location: s.sloUrl }],
      nameIdFormats: [NAMEID_FORMAT.persistent, NAMEID_FORMAT.transient],
      singleSignOn: [
        { binding: BINDING.redirect, location: s.ssoUrl },
        { binding: BINDING.post, location: s.ssoUrl },
      ],
      attributes: offeredAttributes(),
    });
    const sp =
      s.sp &&
      spRole({
        authnRequestsSigned: true,
        wantAssertionsSigned: true,
        ui: {
          displayName: same(s.operatorName),
          informationUrl: same(`${s.publicUrl}/`),
          privacyStatementUrl: same(`${s.publicUrl}/datenschutz`),
        },
        keys,
        singleLogout: [{ binding: BINDING.redirect, location: s.sp.sloUrl }],
        nameIdFormats: [NAMEID_FORMAT.persistent, NAMEID_FORMAT.transient],
        assertionConsumers: [{ binding: BINDING.post, location: s.sp.acsUrl, index: 0, isDefault: true }],
      });
    const roles = profile === 'idp' ? [idp] : profile === 'sp' || profile === 'bundid' ? (sp ? [sp] : []) : [idp, ...(sp ? [sp] : [])];
    const common = {
      entityId: s.entityId,
      digestMethods: [SHA256],
      signingMethods: [RSA_SHA256],
      roles,
      organization: { name: same(s.operatorName), displayName: same(s.operatorName), url: same(`${s.publicUrl}/`) },
      contacts,
    };
    if (profile === 'bundid') return { xml: unsignedEntityDescriptor(common), id: '', signedAt: now, validUntil: Infinity };
    const entity = entityDescriptor({ ...common, id, validUntil: samlTime(validUntil) });
    const xml = signEnveloped(entity, { privateKey: this.keys.signing.privateKey, certificateDer: this.keys.signing.certificateDer });
    return { xml, id, signedAt: now, validUntil };
  }
}

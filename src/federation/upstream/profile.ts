import type { PartnerConfig, PartnerKind } from '../../config/trust.ts';
import { el, textEl, type Xml } from '../../core/saml/build.ts';
import { NAMEID_FORMAT } from '../../core/saml/protocol.ts';
import { mapAssertion, requestedClassRef } from '../mapping.ts';
import { eidasProfile } from './eidas.ts';
import type { UpstreamAsk, UpstreamProfile } from './profile-types.ts';

export type { UpstreamAsk, UpstreamProfile, UpstreamRequestPlan } from './profile-types.ts';

/**
 * What differs between the kinds of upstream partner is kept here, behind one interface, so the
 * machinery around it (metadata, the signed AuthnRequest, the ACS, node-saml, replay cache,
 * account linking, consent, logout) is shared:
 *
 * - the AuthnRequest's content: the level asked for and how, the NameID policy, the extensions;
 * - what the verified assertion means: level map and cap, attribute map, identifiers.
 *
 * `state` is another German account (FINK): STORK/eIDAS levels with Comparison="minimum", the
 * AKDB extension version 2 with the attributes the portal wants (as the partner names them) and
 * the end portal's name (DECISIONS 7), persistent NameID. `eidas` is the connector towards the
 * German eIDAS node (eidas.ts: SPType, eidas:RequestedAttributes, PersonIdentifier).
 */

const MAX_DISPLAY_NAME = 80;

/** The AKDB request extension, version 2 (BundID interface description 9; specs.md 1.3). */
function akdbExtension(partner: PartnerConfig, ask: UpstreamAsk): Xml {
  const wanted = new Map<string, boolean>();
  if (ask.attributes) {
    for (const a of ask.attributes) {
      for (const [foreign, hub] of Object.entries(partner.attributes)) {
        if (hub === a.name) wanted.set(foreign, (wanted.get(foreign) ?? false) || a.required);
      }
    }
  } else {
    for (const foreign of Object.keys(partner.attributes)) wanted.set(foreign, false);
  }
  wanted.set(partner.identifierAttribute, wanted.get(partner.identifierAttribute) ?? false);
  const display = ask.portalName?.replace(/\s+/g, ' ').trim().slice(0, MAX_DISPLAY_NAME);
  return el('akdb:AuthenticationRequest', { xmlns: ['akdb'], Version: '2' }, [
    el(
      'akdb:RequestedAttributes',
      {},
      [...wanted].map(([name, required]) => el('akdb:RequestedAttribute', { Name: name, RequiredAttribute: String(required) })),
    ),
    display !== undefined &&
      display !== '' &&
      el('akdb:DisplayInformation', {}, [
        el('classic-ui:Version', { xmlns: ['classic-ui'] }, [
          textEl('classic-ui:OrganizationDisplayName', {}, display),
          textEl('classic-ui:Lang', {}, ask.lang),
        ]),
      ]),
  ]);
}

export const stateProfile: UpstreamProfile = {
  kind: 'state',
  method: 'upstream',
  refusal(partner, loa) {
    return requestedClassRef(partner, loa) === undefined ? 'cap' : undefined;
  },
  plan(partner, ask) {
    const classRef = requestedClassRef(partner, ask.loa);
    return {
      requestedAuthnContext: classRef === undefined ? undefined : { comparison: 'minimum', classRefs: [classRef] },
      nameIdFormat: NAMEID_FORMAT.persistent,
      allowCreate: true,
      extensions: partner.akdbExtension ? [akdbExtension(partner, ask)] : [],
    };
  },
  map(partner, assertion) {
    return mapAssertion(partner, {
      nameId: assertion.nameId,
      nameIdFormat: assertion.nameIdFormat,
      classRef: assertion.classRef,
      attributes: assertion.attributes,
    });
  },
};

const PROFILES: Readonly<Record<PartnerKind, UpstreamProfile>> = { state: stateProfile, eidas: eidasProfile };

export function profileOf(partner: PartnerConfig): UpstreamProfile {
  return PROFILES[partner.kind];
}

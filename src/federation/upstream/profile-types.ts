import type { PartnerConfig, PartnerKind } from '../../config/trust.ts';
import type { RequestedAttribute } from '../../core/authn-request.ts';
import type { Loa } from '../../core/loa.ts';
import type { Xml } from '../../core/saml/build.ts';
import type { Lang } from '../../web/i18n.ts';
import type { Mapped } from '../mapping.ts';
import type { ValidatedAssertion } from './validate.ts';

/** What differs per kind of upstream partner (profile.ts has the state profile, eidas.ts the eIDAS connector). */

export interface UpstreamAsk {
  /** The level the portal needs (what the answer must reach after the cap). */
  readonly loa: Loa;
  /** The end portal, as the partner shows it. */
  readonly portalName: string | undefined;
  /** Hub attributes the portal asked for, or undefined when it named none (its release policy then). */
  readonly attributes: readonly RequestedAttribute[] | undefined;
  readonly lang: Lang;
}

export interface UpstreamRequestPlan {
  readonly requestedAuthnContext: { readonly comparison: 'minimum'; readonly classRefs: readonly string[] } | undefined;
  readonly nameIdFormat: string | undefined;
  readonly allowCreate: boolean | undefined;
  readonly extensions: readonly Xml[];
  /** ForceAuthn / IsPassive to send whatever the portal asked (eIDAS: always true / false). */
  readonly forceAuthn?: boolean | undefined;
  readonly isPassive?: boolean | undefined;
  /** The binding the profile requires (eIDAS: HTTP-POST), over the entry's `binding`. */
  readonly binding?: 'post' | 'redirect' | undefined;
}

export interface UpstreamProfile {
  readonly kind: PartnerKind;
  /** How the Identity names the login (AssertionProvedBy: FINK for upstream, eIDAS for eidas). */
  readonly method: 'upstream' | 'eidas';
  /** Why the partner cannot serve this ask, or undefined when it can (the metadata aside). */
  refusal(partner: PartnerConfig, loa: Loa): 'cap' | undefined;
  plan(partner: PartnerConfig, ask: UpstreamAsk): UpstreamRequestPlan;
  map(partner: PartnerConfig, assertion: ValidatedAssertion): Mapped;
}

import type { Attributes } from './attributes.ts';
import type { Loa } from './loa.ts';

/** How the citizen proved who they are. Names follow OIDC `amr` where one exists (RFC 8176). */
export type AuthnMethod = 'pwd' | 'eid' | 'pass' | 'upstream' | 'eidas';

export type IdentitySource = 'local' | 'eid' | 'pass' | 'eidas' | `upstream:${string}`;

/** Who was authenticated, how, when and at which level: the one object between the edges. */
export interface Identity {
  /** The local account, when there is one. */
  readonly accountId: string | undefined;
  readonly source: IdentitySource;
  readonly loa: Loa;
  readonly methods: readonly AuthnMethod[];
  /** Epoch milliseconds. */
  readonly authnInstant: number;
  readonly attributes: Attributes;
}

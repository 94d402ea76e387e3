import type { ParameterizedContext, Middleware } from 'koa';
import type { Logger } from 'pino';
import type { FormFields } from './form-body.ts';
import type { Lang } from './i18n.ts';
import type { Session } from './session.ts';

/** What every request carries through the hub's middleware. */
export interface HubState {
  requestId: string;
  lang: Lang;
  clientIp: string;
  log: Logger;
  session: Session;
  form: FormFields;
  /**
   * The navigation that reached this request began with a form posted from another site (a
   * partner's answer at the ACS): Chromium holds every redirect of it to that page's form-action,
   * so leaving the hub must go through a page of the hub's own, as after a form of ours.
   */
  fromForeignForm?: boolean;
}

/** A redirect off the hub from this request would be held to a form's form-action. */
export function afterForm(ctx: ParameterizedContext<HubState>): boolean {
  return ctx.method === 'POST' || ctx.state.fromForeignForm === true;
}

export type HubContext = ParameterizedContext<HubState>;
export type HubMiddleware = Middleware<HubState>;

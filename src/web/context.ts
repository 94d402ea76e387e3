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
}

export type HubContext = ParameterizedContext<HubState>;
export type HubMiddleware = Middleware<HubState>;

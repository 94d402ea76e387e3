import http from 'node:http';
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { Clock } from '../../core/clock.ts';
import type { EidCredentials } from './credentials.ts';
import {
  getResultRequestXml,
  isOk,
  parseGetResultResponse,
  parseResult,
  parseUseIdResponse,
  useIdRequestXml,
  type DssResult,
  type GetResultResponse,
  type UseIdRequest,
  type UseIdResponse,
} from './soap-messages.ts';
import { envelope, openEnvelope, WssError, type WssProblem } from './wss.ts';
import { XmlError } from './xml.ts';

/**
 * The hub's side of the eID-Interface: useID and getResult over HTTPS with mutual TLS (the hub's
 * client certificate; the eID-Server's certificate must equal a pinned one, its chain and name
 * are not what we trust) and, when configured, WS-Security signatures both ways.
 */

export type LinkProblem = 'unreachable' | 'untrusted_server' | 'http' | WssProblem;

/** The eID-Server could not be asked, or its answer cannot be trusted or read. */
export class EidLinkError extends Error {
  constructor(
    readonly problem: LinkProblem,
    detail: string,
  ) {
    super(detail);
    this.name = 'EidLinkError';
  }
}

/** The eID-Server answered with an error Result (TR-03130 3.4). */
export class EidServerError extends Error {
  constructor(readonly result: DssResult) {
    super(`eID-Server result ${result.major} ${result.minor ?? ''}`);
    this.name = 'EidServerError';
  }
}

export interface EidClientOptions {
  /** The eID-Interface endpoint (https). A function: the simulator's port is known only once it listens. */
  readonly endpoint: () => string;
  readonly credentials: EidCredentials;
  /** Sign requests and require signed answers. */
  readonly wsSecurity: boolean;
  readonly timeoutMs: number;
  readonly clock: Clock;
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

interface RawResponse {
  readonly status: number;
  readonly body: string;
}

/** One POST over a TLS connection whose server certificate was checked against the pins first. */
export function postPinned(
  url: URL,
  body: string,
  options: { credentials: EidCredentials; timeoutMs: number; headers: Record<string, string> },
): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    const port = Number(url.port || 443);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const socket = tls.connect({
      host,
      port,
      ...(isIP(host) ? {} : { servername: host }),
      key: options.credentials.client.privateKeyPem,
      cert: options.credentials.client.certificatePem,
      minVersion: 'TLSv1.2',
      // Trust is the pin below, not a CA chain: the certificate must be one the operator configured.
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(options.timeoutMs, () => fail(new EidLinkError('unreachable', `no answer within ${options.timeoutMs} ms`)));
    socket.once('error', (err) => fail(new EidLinkError('unreachable', err.message)));
    socket.once('secureConnect', () => {
      const peer = socket.getPeerX509Certificate();
      if (!peer || !options.credentials.serverTls.some((pin) => pin.fingerprint256 === peer.fingerprint256)) {
        fail(new EidLinkError('untrusted_server', 'the eID-Server presented a certificate that is not pinned'));
        return;
      }
      const req = http.request(
        {
          method: 'POST',
          host,
          port,
          path: `${url.pathname}${url.search}`,
          createConnection: () => socket,
          headers: { ...options.headers, Host: url.host, 'Content-Length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_RESPONSE_BYTES) fail(new EidLinkError('malformed', 'answer too large'));
            else chunks.push(c);
          });
          res.on('end', () => {
            if (settled) return;
            settled = true;
            socket.end();
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', (err) => fail(new EidLinkError('unreachable', err.message)));
        },
      );
      req.once('error', (err) => fail(new EidLinkError('unreachable', err.message)));
      req.end(body);
    });
  });
}

export class EidServerClient {
  constructor(private readonly options: EidClientOptions) {}

  private async call(bodyXml: string): Promise<Element> {
    const { credentials, wsSecurity, clock } = this.options;
    const message = envelope(bodyXml, { now: clock.now(), ...(wsSecurity ? { signer: credentials.client } : {}) });
    const url = new URL(this.options.endpoint());
    if (url.protocol !== 'https:') throw new EidLinkError('unreachable', 'the eID-Server endpoint must be https');
    const res = await postPinned(url, message, {
      credentials,
      timeoutMs: this.options.timeoutMs,
      headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '""' },
    });
    if (res.status !== 200 && res.status !== 500) throw new EidLinkError('http', `HTTP ${res.status}`);
    try {
      return openEnvelope(res.body, { requireSignature: wsSecurity, trusted: credentials.serverSigning, now: clock.now() }).operation;
    } catch (err) {
      if (err instanceof WssError) throw new EidLinkError(err.problem, err.message);
      throw err;
    }
  }

  private static checked<T>(operation: Element, read: (op: Element) => T): T {
    try {
      const result = parseResult(operation);
      if (!isOk(result)) throw new EidServerError(result);
      return read(operation);
    } catch (err) {
      if (err instanceof XmlError) throw new EidLinkError('malformed', err.message);
      throw err;
    }
  }

  /** Opens an online authentication (TR-03130 3.2.1). */
  async useId(request: UseIdRequest): Promise<UseIdResponse> {
    return EidServerClient.checked(await this.call(useIdRequestXml(request)), parseUseIdResponse);
  }

  /** Fetches its result (TR-03130 3.2.2); `requestCounter` starts at 1 and grows with each call. */
  async getResult(sessionId: string, requestCounter: number): Promise<GetResultResponse> {
    return EidServerClient.checked(await this.call(getResultRequestXml({ sessionId, requestCounter })), parseGetResultResponse);
  }
}

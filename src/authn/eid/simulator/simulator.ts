import { createHash, randomBytes, createHmac, timingSafeEqual, type X509Certificate } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { germanDate, MINUTE, type Clock } from '../../../core/clock.ts';
import { formatLoa } from '../../../core/loa.ts';
import { ageOn } from '../../../core/personal-data.ts';
import { latestBirthday, isoFromDateString } from '../card-data.ts';
import type { SigningIdentity } from '../credentials.ts';
import {
  OPERATIONS,
  RESULT_MAJOR,
  RESULT_MINOR,
  getResultResponseXml,
  parseGetResultRequest,
  parseTcToken,
  parseUseIdRequest,
  useIdResponseXml,
  type DssResult,
  type GetResultResponse,
  type Operation,
  type PersonalData,
  type ResponseSelection,
  type TcToken,
  type UseIdRequest,
} from '../soap-messages.ts';
import { envelope, openEnvelope, WssError } from '../wss.ts';
import { XmlError, parseXml } from '../xml.ts';
import { testCards, type TestCard } from './cards.ts';
import { cardPage, errorPage, SIMULATOR_CSS } from './pages.ts';

/**
 * An eID-Server and an AusweisApp in one small program, for development and tests (DECISIONS
 * 13). It enforces what it claims: its eID-Interface (useID, getResult; TR-03130 SOAP) answers
 * only over mutual TLS to the hub's pinned client certificate, only to requests signed with that
 * certificate's key (WS-Security) when configured so, and signs every answer. Its second,
 * plain-HTTP listener on loopback stands in for the AusweisApp (the real one listens on
 * http://127.0.0.1:24727/eID-Client): it fetches the TC Token from the hub, shows the test cards,
 * and choosing one completes the exchange (the PSK from the TC Token authenticates it to the
 * eID-Server part) and returns the browser to the hub's RefreshAddress.
 */

export interface SimulatorOptions {
  readonly host: string;
  /** HTTPS port of the eID-Interface; 0 picks a free one. */
  readonly serverPort: number;
  /** HTTP port of the AusweisApp stand-in; 0 picks a free one. */
  readonly clientPort: number;
  /** The simulator's TLS and signing key with its certificate. */
  readonly identity: SigningIdentity;
  /** The only client allowed: the hub's eID client certificate. */
  readonly hubCertificate: X509Certificate;
  readonly requireSignedRequests: boolean;
  readonly clock: Clock;
  readonly log: Logger;
  /** Operations its (simulated) authorization certificate allows; the rest are refused. */
  readonly terminalRights?: readonly Operation[];
}

/** What an authorization certificate for a citizen account typically allows. */
const DEFAULT_RIGHTS: readonly Operation[] = OPERATIONS.filter(
  (op) => op !== 'CommunityID' && op !== 'ResidencePermitI' && op !== 'PlaceVerification',
);

const SESSION_LIFETIME_MS = 15 * MINUTE;
const MAX_OPEN_SESSIONS = 200;
const MAX_BODY = 256 * 1024;

interface SimSession {
  readonly id: string;
  readonly pskId: string;
  readonly pskKey: string;
  readonly request: UseIdRequest;
  readonly createdAt: number;
  state: 'open' | 'done' | 'cancelled';
  card?: TestCard;
  deselected?: ReadonlySet<Operation>;
  lastCounter: number;
}

interface ClientFlow {
  readonly id: string;
  readonly token: TcToken;
  readonly provider: string;
  readonly createdAt: number;
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host === '::1';
}

export class EidSimulator {
  private readonly sessions = new Map<string, SimSession>();
  private readonly byPskId = new Map<string, string>();
  private readonly flows = new Map<string, ClientFlow>();
  private readonly flowsByTokenUrl = new Map<string, string>();
  private readonly rights: ReadonlySet<Operation>;
  private readonly restrictedIdKey: Buffer;
  private server: https.Server | undefined;
  private client: http.Server | undefined;
  private serverAddress = '';
  private clientAddress = '';

  constructor(private readonly options: SimulatorOptions) {
    this.rights = new Set(options.terminalRights ?? DEFAULT_RIGHTS);
    // Stable across restarts with the same key, like a sector key on a real card.
    this.restrictedIdKey = createHash('sha256')
      .update('restricted-id')
      .update(options.identity.privateKey.export({ type: 'pkcs8', format: 'der' }))
      .digest();
  }

  /** The eID-Interface (SOAP) endpoint. */
  get serverUrl(): string {
    return `${this.serverAddress}/eID-Server`;
  }

  /** Where the eID-Client would open the PSK channel (the TC Token's ServerAddress). */
  get eCardServerUrl(): string {
    return `${this.serverAddress}/eCard`;
  }

  /** The AusweisApp stand-in the browser is sent to, with ?tcTokenURL=…. */
  get clientUrl(): string {
    return `${this.clientAddress}/eID-Client`;
  }

  cards(): readonly TestCard[] {
    return testCards(germanDate(this.options.clock.now()));
  }

  restrictedIdOf(card: TestCard): string {
    return createHmac('sha256', this.restrictedIdKey).update(card.cardKey).digest('hex').toUpperCase();
  }

  async start(): Promise<void> {
    const { identity, hubCertificate, host } = this.options;
    const server = https.createServer(
      {
        key: identity.privateKeyPem,
        cert: identity.certificatePem,
        // Mutual TLS: no client certificate, or another one than the hub's, ends the handshake.
        requestCert: true,
        rejectUnauthorized: true,
        ca: [hubCertificate.toString()],
        minVersion: 'TLSv1.2',
      },
      (req, res) => void this.onServerRequest(req, res),
    );
    server.on('tlsClientError', (err) => this.options.log.info({ err: err.message }, 'eID simulator refused a TLS client'));
    const client = http.createServer((req, res) => void this.onClientRequest(req, res));
    await Promise.all([listen(server, this.options.serverPort, host), listen(client, this.options.clientPort, host)]);
    this.server = server;
    this.client = client;
    const h = host.includes(':') ? `[${host}]` : host;
    this.serverAddress = `https://${h}:${(server.address() as AddressInfo).port}`;
    this.clientAddress = `http://${h}:${(client.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of [this.server, this.client]) {
      if (!s) continue;
      await new Promise<void>((ok) => {
        s.close(() => ok());
        s.closeAllConnections();
      });
    }
    this.server = undefined;
    this.client = undefined;
  }

  // ---- eID-Server side ----------------------------------------------------------------------

  private send(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'Content-Type': 'text/xml; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(body);
  }

  private answer(res: ServerResponse, body: string): void {
    this.send(res, 200, envelope(body, { signer: this.options.identity, now: this.options.clock.now() }));
  }

  private fault(res: ServerResponse, text: string): void {
    this.send(
      res,
      500,
      `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>` +
        `<faultcode>soapenv:Client</faultcode><faultstring>${text}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
    );
  }

  private async onServerRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const peer = (req.socket as TLSSocket).getPeerX509Certificate();
    if (!peer || peer.fingerprint256 !== this.options.hubCertificate.fingerprint256) {
      this.send(res, 403, '');
      return;
    }
    if (req.method !== 'POST' || req.url !== '/eID-Server') {
      this.send(res, 404, '');
      return;
    }
    let text: string;
    try {
      text = await readBody(req, MAX_BODY);
    } catch {
      this.send(res, 413, '');
      return;
    }
    const now = this.options.clock.now();
    let operation: Element;
    try {
      operation = openEnvelope(text, {
        requireSignature: this.options.requireSignedRequests,
        trusted: [this.options.hubCertificate],
        now,
      }).operation;
    } catch (err) {
      const problem = err instanceof WssError ? err.problem : 'malformed';
      this.options.log.info({ problem }, 'eID simulator refused a request');
      // TR-03130 3.5.2: an invalid signature is answered with common#internalError only.
      const error: DssResult = { major: RESULT_MAJOR.error, minor: RESULT_MINOR.internalError };
      if (/getResultRequest/.test(text)) return this.answer(res, getResultResponseXml(undefined, error));
      if (/useIDRequest/.test(text)) return this.answer(res, useIdResponseXml(undefined, error));
      return this.fault(res, 'not an eID-Interface request');
    }
    if (operation.localName === 'useIDRequest') return this.answer(res, this.useId(operation, now));
    if (operation.localName === 'getResultRequest') return this.answer(res, this.getResult(operation, now));
    this.fault(res, 'unknown operation');
  }

  private expire(now: number): void {
    for (const s of this.sessions.values()) {
      if (now - s.createdAt >= SESSION_LIFETIME_MS) this.drop(s);
    }
    for (const f of this.flows.values()) {
      if (now - f.createdAt >= SESSION_LIFETIME_MS) {
        this.flows.delete(f.id);
        this.flowsByTokenUrl.forEach((id, url) => id === f.id && this.flowsByTokenUrl.delete(url));
      }
    }
  }

  private drop(s: SimSession): void {
    this.sessions.delete(s.id);
    this.byPskId.delete(s.pskId);
  }

  private useId(operation: Element, now: number): string {
    const error = (minor: string, message?: string): string =>
      useIdResponseXml(undefined, { major: RESULT_MAJOR.error, minor, ...(message ? { message } : {}) });
    let request: UseIdRequest;
    try {
      request = parseUseIdRequest(operation);
    } catch (err) {
      return error(RESULT_MINOR.schemaViolation, err instanceof XmlError ? err.message : undefined);
    }
    const wanted = OPERATIONS.filter((op) => request.operations[op] === 'REQUIRED' || request.operations[op] === 'ALLOWED');
    if (wanted.some((op) => op === 'AgeVerification') && request.ageVerification === undefined) {
      return error(RESULT_MINOR.missingArgument, 'AgeVerification without AgeVerificationRequest');
    }
    if (wanted.includes('PlaceVerification')) return error(RESULT_MINOR.missingArgument, 'PlaceVerification is not simulated');
    const beyond = OPERATIONS.filter((op) => request.operations[op] === 'REQUIRED' && !this.rights.has(op));
    if (beyond.length > 0) return error(RESULT_MINOR.missingTerminalRights, `not allowed: ${beyond.join(', ')}`);
    this.expire(now);
    if (this.sessions.size >= MAX_OPEN_SESSIONS) return error(RESULT_MINOR.tooManyOpenSessions);
    const session: SimSession = { id: hex(32), pskId: hex(16), pskKey: hex(32), request, createdAt: now, state: 'open', lastCounter: 0 };
    this.sessions.set(session.id, session);
    this.byPskId.set(session.pskId, session.id);
    return useIdResponseXml(
      { sessionId: session.id, eCardServerAddress: this.eCardServerUrl, psk: { id: session.pskId, key: session.pskKey } },
      { major: RESULT_MAJOR.ok },
    );
  }

  private getResult(operation: Element, now: number): string {
    const error = (minor: string): string => getResultResponseXml(undefined, { major: RESULT_MAJOR.error, minor });
    let sessionId: string;
    let counter: number;
    try {
      ({ sessionId, requestCounter: counter } = parseGetResultRequest(operation));
    } catch {
      return error(RESULT_MINOR.schemaViolation);
    }
    this.expire(now);
    const session = this.sessions.get(sessionId.toLowerCase());
    if (!session) return error(RESULT_MINOR.invalidSession);
    if (counter <= session.lastCounter) {
      this.drop(session);
      return error(RESULT_MINOR.invalidCounter);
    }
    session.lastCounter = counter;
    if (session.state === 'open') return error(RESULT_MINOR.noResultYet);
    // Any other answer ends the session (TR-03130 3.2.2.2).
    this.drop(session);
    if (session.state === 'cancelled' || !session.card) return error(RESULT_MINOR.cancellationByUser);
    if (session.card.invalid) return error(RESULT_MINOR.invalidDocument);
    return getResultResponseXml(this.result(session, session.card, session.deselected ?? new Set()), { major: RESULT_MAJOR.ok });
  }

  /** What the chip gives for the requested operations after the rights and the citizen's choice. */
  private result(session: SimSession, card: TestCard, deselected: ReadonlySet<Operation>): GetResultResponse {
    const today = germanDate(this.options.clock.now());
    const onChip: Partial<Record<Operation, boolean>> = {
      ArtisticName: card.artisticName !== undefined,
      AcademicTitle: card.academicTitle !== undefined,
      BirthName: card.birthName !== undefined,
      PlaceOfBirth: card.placeOfBirth !== undefined,
      PlaceOfResidence: card.placeOfResidence !== undefined,
      CommunityID: false,
      ResidencePermitI: false,
      PlaceVerification: false,
    };
    const allowed: Partial<Record<Operation, ResponseSelection>> = {};
    for (const op of OPERATIONS) {
      const asked = session.request.operations[op];
      if (asked !== 'REQUIRED' && asked !== 'ALLOWED') continue;
      if (!this.rights.has(op) || (asked === 'ALLOWED' && deselected.has(op))) allowed[op] = 'PROHIBITED';
      else allowed[op] = onChip[op] === false ? 'NOTONCHIP' : 'ALLOWED';
    }
    const give = (op: Operation): boolean => allowed[op] === 'ALLOWED';
    const birthIso = isoFromDateString(card.dateOfBirth);
    const data: PersonalData = {
      documentType: give('DocumentType') ? card.documentType : undefined,
      issuingState: give('IssuingState') ? card.issuingState : undefined,
      dateOfExpiry: give('DateOfExpiry') ? card.dateOfExpiry : undefined,
      givenNames: give('GivenNames') ? card.givenNames : undefined,
      familyNames: give('FamilyNames') ? card.familyNames : undefined,
      artisticName: give('ArtisticName') ? card.artisticName : undefined,
      academicTitle: give('AcademicTitle') ? card.academicTitle : undefined,
      dateOfBirth: give('DateOfBirth')
        ? { dateString: card.dateOfBirth, dateValue: birthIso && birthIso.length === 10 ? birthIso : undefined }
        : undefined,
      placeOfBirth: give('PlaceOfBirth') ? card.placeOfBirth : undefined,
      nationality: give('Nationality') ? card.nationality : undefined,
      birthName: give('BirthName') ? card.birthName : undefined,
      placeOfResidence: give('PlaceOfResidence') ? card.placeOfResidence : undefined,
      restrictedId: give('RestrictedID') ? { id: this.restrictedIdOf(card) } : undefined,
    };
    const age = session.request.ageVerification;
    return {
      personalData: data,
      fulfilsAgeVerification:
        give('AgeVerification') && age !== undefined && birthIso ? ageOn(latestBirthday(birthIso), today) >= age : undefined,
      operationsAllowedByUser: allowed,
      // A physical card is CardCertified: level "hoch".
      levelOfAssurance: session.request.levelOfAssurance ? formatLoa('bsi', 'high') : undefined,
    };
  }

  /**
   * The PSK channel of TR-03124 in one call: the eID-Client proves it holds the session's PSK, and
   * the card's data become the session's result.
   */
  private completeSession(token: TcToken, outcome: { card: TestCard; deselected: ReadonlySet<Operation> } | 'cancelled'): boolean {
    const id = this.byPskId.get(token.sessionIdentifier);
    const session = id ? this.sessions.get(id) : undefined;
    if (!session || session.state !== 'open') return false;
    const a = Buffer.from(session.pskKey.toLowerCase());
    const b = Buffer.from(token.psk.toLowerCase());
    if (a.length !== b.length || !timingSafeEqual(a, b)) return false;
    if (outcome === 'cancelled') session.state = 'cancelled';
    else {
      session.state = 'done';
      session.card = outcome.card;
      session.deselected = outcome.deselected;
    }
    return true;
  }

  private sessionOf(token: TcToken): SimSession | undefined {
    const id = this.byPskId.get(token.sessionIdentifier);
    return id ? this.sessions.get(id) : undefined;
  }

  // ---- the AusweisApp stand-in --------------------------------------------------------------

  private page(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Security-Policy': "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    res.end(body);
  }

  private redirect(res: ServerResponse, url: string): void {
    res.writeHead(303, { Location: url, 'Cache-Control': 'no-store' });
    res.end();
  }

  private async onClientRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', this.clientAddress);
      if (req.method === 'GET' && url.pathname === '/eID-Client/simulator.css') {
        res.writeHead(200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600' });
        res.end(SIMULATOR_CSS);
        return;
      }
      if (req.method === 'GET' && url.pathname === '/eID-Client')
        return await this.showCards(res, url.searchParams.get('tcTokenURL') ?? '');
      if (req.method === 'POST' && url.pathname === '/eID-Client/karte') {
        const form = new URLSearchParams(await readBody(req, 16 * 1024));
        return this.chooseCard(res, form);
      }
      this.page(res, 404, errorPage('Seite nicht gefunden', 'Diese Adresse gibt es im AusweisApp-Simulator nicht.'));
    } catch (err) {
      this.options.log.warn({ err }, 'eID simulator page failed');
      this.page(res, 500, errorPage('Fehler im Simulator', 'Der Vorgang konnte nicht fortgesetzt werden.'));
    }
  }

  private async fetchTcToken(tcTokenUrl: string): Promise<TcToken> {
    let target = new URL(tcTokenUrl);
    for (let hops = 0; hops < 5; hops++) {
      if (target.protocol !== 'https:' && !(target.protocol === 'http:' && isLoopback(target.hostname))) {
        throw new Error('the tcTokenURL must be https (http only on loopback)');
      }
      const res = await fetch(target, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        target = new URL(location, target);
        await res.arrayBuffer();
        continue;
      }
      if (res.status !== 200) throw new Error(`TC Token answer HTTP ${res.status}`);
      return parseTcToken(parseXml(await res.text(), 64 * 1024));
    }
    throw new Error('too many redirects for the TC Token');
  }

  private async showCards(res: ServerResponse, tcTokenUrl: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(tcTokenUrl);
    } catch {
      this.page(res, 400, errorPage('Kein Auftrag', 'Der Simulator wurde ohne gültige tcTokenURL aufgerufen.'));
      return;
    }
    this.expire(this.options.clock.now());
    let flow = this.flows.get(this.flowsByTokenUrl.get(url.toString()) ?? '');
    if (!flow) {
      let token: TcToken;
      try {
        token = await this.fetchTcToken(url.toString());
      } catch (err) {
        this.options.log.info({ err: (err as Error).message }, 'eID simulator could not fetch the TC Token');
        this.page(
          res,
          502,
          errorPage(
            'TC-Token nicht abrufbar',
            'Der Dienstanbieter hat keinen gültigen TC-Token geliefert. Bitte starten Sie die Anmeldung beim Dienst neu.',
          ),
        );
        return;
      }
      // TR-03124-1 2.4/2.7: the eID-Server named in the token must be the one this client talks
      // to, and the RefreshAddress must belong to the service that handed out the token.
      const refresh = new URL(token.refreshAddress);
      if (token.serverAddress !== this.eCardServerUrl || refresh.origin !== url.origin || !this.sessionOf(token)) {
        this.page(res, 400, errorPage('Sicherer Kanal nicht möglich', 'Der TC-Token passt nicht zu diesem eID-Server oder Dienst.'));
        return;
      }
      flow = { id: hex(16), token, provider: url.host, createdAt: this.options.clock.now() };
      this.flows.set(flow.id, flow);
      this.flowsByTokenUrl.set(url.toString(), flow.id);
    }
    const session = this.sessionOf(flow.token);
    if (!session || session.state !== 'open') {
      this.page(res, 410, errorPage('Vorgang beendet', 'Dieser Vorgang ist bereits abgeschlossen oder abgelaufen.'));
      return;
    }
    this.page(res, 200, cardPage({ flowId: flow.id, provider: flow.provider, request: session.request, cards: this.cards() }));
  }

  private chooseCard(res: ServerResponse, form: URLSearchParams): void {
    const flow = this.flows.get(form.get('vorgang') ?? '');
    if (!flow) {
      this.page(res, 410, errorPage('Vorgang beendet', 'Dieser Vorgang ist bereits abgeschlossen oder abgelaufen.'));
      return;
    }
    const session = this.sessionOf(flow.token);
    const back = new URL(flow.token.refreshAddress);
    if (form.get('aktion') === 'abbrechen') {
      this.completeSession(flow.token, 'cancelled');
      this.flows.delete(flow.id);
      back.searchParams.set('ResultMajor', 'error');
      back.searchParams.set('ResultMinor', 'cancellationByUser');
      this.redirect(res, back.toString());
      return;
    }
    const card = this.cards().find((c) => c.id === form.get('karte'));
    if (!card || !session) {
      this.page(
        res,
        400,
        session
          ? cardPage({
              flowId: flow.id,
              provider: flow.provider,
              request: session.request,
              cards: this.cards(),
              problem: 'Bitte wählen Sie einen Testausweis.',
            })
          : errorPage('Vorgang beendet', 'Dieser Vorgang ist bereits abgeschlossen oder abgelaufen.'),
      );
      return;
    }
    // Optional data (ALLOWED) can be deselected in the AusweisApp; required data cannot.
    const kept = new Set(form.getAll('optional'));
    const deselected = new Set(OPERATIONS.filter((op) => session.request.operations[op] === 'ALLOWED' && !kept.has(op)));
    const ok = this.completeSession(flow.token, { card, deselected });
    this.flows.delete(flow.id);
    if (!ok) {
      back.searchParams.set('ResultMajor', 'error');
      back.searchParams.set('ResultMinor', 'trustedChannelEstablishmentFailed');
    } else back.searchParams.set('ResultMajor', 'ok');
    this.redirect(res, back.toString());
  }
}

function listen(server: http.Server | https.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

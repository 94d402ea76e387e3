import { NS, XmlError, elements, escapeXml, isElement, requiredChild, textOf, trimmedText } from './xml.ts';

/**
 * The messages of the eID-Interface (BSI TR-03130-1 v2.4.0, SOAP): useID and getResult, both
 * directions, so the hub's client and the simulator share one reading of the schema
 * (namespace http://bsi.bund.de/eID/). Writers emit elements in schema order; readers follow the
 * schema strictly (order, occurrence, value patterns) and refuse anything else.
 */

/** The data groups and functions of OperationsRequestorType, in schema order. */
export const OPERATIONS = [
  'DocumentType',
  'IssuingState',
  'DateOfExpiry',
  'GivenNames',
  'FamilyNames',
  'ArtisticName',
  'AcademicTitle',
  'DateOfBirth',
  'PlaceOfBirth',
  'Nationality',
  'BirthName',
  'PlaceOfResidence',
  'CommunityID',
  'ResidencePermitI',
  'RestrictedID',
  'AgeVerification',
  'PlaceVerification',
] as const;
export type Operation = (typeof OPERATIONS)[number];

export type RequestSelection = 'REQUIRED' | 'ALLOWED' | 'PROHIBITED';
export type ResponseSelection = 'ALLOWED' | 'PROHIBITED' | 'NOTONCHIP';

export const RESULT_MAJOR = {
  ok: 'http://www.bsi.bund.de/ecard/api/1.1/resultmajor#ok',
  error: 'http://www.bsi.bund.de/ecard/api/1.1/resultmajor#error',
  warning: 'http://www.bsi.bund.de/ecard/api/1.1/resultmajor#warning',
} as const;

const SERVER_MINOR = 'http://www.bsi.bund.de/eid/server/2.0/resultminor/';

/** ResultMinor codes of TR-03130 3.4.1 plus the eCard-API ones an eID-Server passes on. */
export const RESULT_MINOR = {
  internalError: `${SERVER_MINOR}common#internalError`,
  schemaViolation: `${SERVER_MINOR}common#schemaViolation`,
  invalidPSK: `${SERVER_MINOR}useID#invalidPSK`,
  tooManyOpenSessions: `${SERVER_MINOR}useID#tooManyOpenSessions`,
  missingArgument: `${SERVER_MINOR}useID#missingArgument`,
  missingTerminalRights: `${SERVER_MINOR}useID#missingTerminalRights`,
  noResultYet: `${SERVER_MINOR}getResult#noResultYet`,
  invalidSession: `${SERVER_MINOR}getResult#invalidSession`,
  invalidCounter: `${SERVER_MINOR}getResult#invalidCounter`,
  deniedDocument: `${SERVER_MINOR}getResult#deniedDocument`,
  invalidDocument: `${SERVER_MINOR}getResult#invalidDocument`,
  cancellationByUser: 'http://www.bsi.bund.de/ecard/api/1.1/resultminor/sal#cancellationByUser',
} as const;

export interface DssResult {
  readonly major: string;
  readonly minor?: string | undefined;
  readonly message?: string | undefined;
}

export interface UseIdRequest {
  readonly operations: Readonly<Partial<Record<Operation, RequestSelection>>>;
  /** Years the holder must have completed (AgeVerificationRequest/Age). */
  readonly ageVerification?: number | undefined;
  /** A TR-03130 LoA URI, e.g. http://bsi.bund.de/eID/LoA/hoch. */
  readonly levelOfAssurance?: string | undefined;
}

export interface PreSharedKey {
  readonly id: string;
  /** hex */
  readonly key: string;
}

export interface UseIdResponse {
  readonly sessionId: string;
  readonly eCardServerAddress?: string | undefined;
  readonly psk: PreSharedKey;
}

export interface GetResultRequest {
  readonly sessionId: string;
  readonly requestCounter: number;
}

/** GeneralDateType: the chip's YYYYMMDD with blanks for unknown parts, and the date when complete. */
export interface GeneralDate {
  readonly dateString: string;
  readonly dateValue?: string | undefined;
}

export type GeneralPlace =
  | {
      readonly kind: 'structured';
      readonly street?: string | undefined;
      readonly city: string;
      readonly state?: string | undefined;
      readonly country: string;
      readonly zipCode?: string | undefined;
    }
  | { readonly kind: 'freetext'; readonly text: string }
  | { readonly kind: 'none'; readonly text: string };

export interface RestrictedId {
  /** Upper-case hex. */
  readonly id: string;
  readonly id2?: string | undefined;
}

export interface PersonalData {
  readonly documentType?: string | undefined;
  readonly issuingState?: string | undefined;
  /** YYYY-MM-DD */
  readonly dateOfExpiry?: string | undefined;
  readonly givenNames?: string | undefined;
  readonly familyNames?: string | undefined;
  readonly artisticName?: string | undefined;
  readonly academicTitle?: string | undefined;
  readonly dateOfBirth?: GeneralDate | undefined;
  readonly placeOfBirth?: GeneralPlace | undefined;
  readonly nationality?: string | undefined;
  readonly birthName?: string | undefined;
  readonly placeOfResidence?: GeneralPlace | undefined;
  readonly communityId?: string | undefined;
  readonly residencePermitI?: string | undefined;
  readonly restrictedId?: RestrictedId | undefined;
}

export interface GetResultResponse {
  readonly personalData?: PersonalData | undefined;
  readonly fulfilsAgeVerification?: boolean | undefined;
  readonly fulfilsPlaceVerification?: boolean | undefined;
  readonly operationsAllowedByUser?: Readonly<Partial<Record<Operation, ResponseSelection>>> | undefined;
  readonly levelOfAssurance?: string | undefined;
  readonly eidTypeUsed?: string | undefined;
}

export const LOA_URIS = [
  'http://eidas.europa.eu/LoA/low',
  'http://eidas.europa.eu/LoA/substantial',
  'http://eidas.europa.eu/LoA/high',
  'http://bsi.bund.de/eID/LoA/normal',
  'http://bsi.bund.de/eID/LoA/substantiell',
  'http://bsi.bund.de/eID/LoA/hoch',
  'http://bsi.bund.de/eID/LoA/undefined',
] as const;

const EID_TYPES = ['CardCertified', 'SECertified', 'SEEndorsed', 'HWKeyStore'] as const;

// ---- patterns of the schema ---------------------------------------------------------------

const HEX = /^(?:[0-9A-Fa-f]{2})+$/;
const DOCUMENT_TYPE = /^[A-Z ]{2}$/;
const ICAO_COUNTRY = /^[A-Z ]{1,3}$/;
const DATE_STRING = /^[0-9 ]{8}$/;
const XS_DATE = /^\d{4}-\d{2}-\d{2}$/;
const COMMUNITY_ID = /^0[0-9]{3}([0-9]{2}(0[0-9]([0-9]{2}(0[0-9]{3})?)?)?)?$/;
const MAX_TEXT = 1000;

function eid(name: string, inner: string): string {
  return `<eid:${name}>${inner}</eid:${name}>`;
}

function text(value: string): string {
  return escapeXml(value);
}

function checked(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new XmlError(`${what}: value outside the schema`);
  return value;
}

function plainText(el: Element): string {
  const v = textOf(el);
  if (v.length > MAX_TEXT) throw new XmlError(`${el.localName} too long`);
  return v.trim();
}

function bool(el: Element): boolean {
  const v = trimmedText(el);
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new XmlError(`${el.localName}: not a boolean`);
}

/**
 * Walks the children of `parent` against an ordered list of allowed eid: element names; each at
 * most once, in order, nothing else (except `extra` names from other namespaces).
 */
function inOrder(parent: Element, names: readonly string[], extra?: (el: Element) => boolean): Map<string, Element> {
  const found = new Map<string, Element>();
  let position = -1;
  for (const el of elements(parent)) {
    if (extra?.(el)) continue;
    const index = el.namespaceURI === NS.eid ? names.indexOf(el.localName ?? '') : -1;
    if (index < 0) throw new XmlError(`unexpected ${el.localName} in ${parent.localName}`);
    if (index <= position) throw new XmlError(`${el.localName} out of order or repeated in ${parent.localName}`);
    position = index;
    found.set(el.localName as string, el);
  }
  return found;
}

// ---- dss:Result ---------------------------------------------------------------------------

export function resultXml(r: DssResult): string {
  return (
    `<dss:Result><dss:ResultMajor>${text(r.major)}</dss:ResultMajor>` +
    (r.minor ? `<dss:ResultMinor>${text(r.minor)}</dss:ResultMinor>` : '') +
    (r.message ? `<dss:ResultMessage xml:lang="en">${text(r.message)}</dss:ResultMessage>` : '') +
    `</dss:Result>`
  );
}

/** Reads dss:Result; its children are accepted in the dss namespace or (as in TR-03130's examples) none. */
export function parseResult(parent: Element): DssResult {
  const result = requiredChild(parent, NS.dss, 'Result');
  const pick = (name: string): Element | undefined => {
    const found = elements(result).filter((e) => e.localName === name && (e.namespaceURI === NS.dss || !e.namespaceURI));
    if (found.length > 1) throw new XmlError(`${name} more than once`);
    return found[0];
  };
  const major = pick('ResultMajor');
  if (!major) throw new XmlError('Result lacks ResultMajor');
  const minor = pick('ResultMinor');
  const message = pick('ResultMessage');
  return {
    major: trimmedText(major),
    minor: minor ? trimmedText(minor) : undefined,
    message: message ? plainText(message).slice(0, 300) : undefined,
  };
}

export function isOk(r: DssResult): boolean {
  return r.major === RESULT_MAJOR.ok;
}

// ---- useID --------------------------------------------------------------------------------

export function useIdRequestXml(r: UseIdRequest): string {
  const ops = OPERATIONS.map((op) => eid(op, r.operations[op] ?? 'PROHIBITED')).join('');
  return eid(
    'useIDRequest',
    eid('UseOperations', ops) +
      (r.ageVerification !== undefined ? eid('AgeVerificationRequest', eid('Age', String(Math.trunc(r.ageVerification)))) : '') +
      (r.levelOfAssurance ? eid('LevelOfAssuranceRequest', text(r.levelOfAssurance)) : ''),
  );
}

const SELECTIONS_IN: ReadonlySet<string> = new Set(['REQUIRED', 'ALLOWED', 'PROHIBITED']);
const SELECTIONS_OUT: ReadonlySet<string> = new Set(['ALLOWED', 'PROHIBITED', 'NOTONCHIP']);

function selections<S extends string>(el: Element, allowed: ReadonlySet<string>): Partial<Record<Operation, S>> {
  const found = inOrder(el, OPERATIONS);
  const out: Partial<Record<Operation, S>> = {};
  for (const op of OPERATIONS) {
    const child = found.get(op);
    if (!child) continue;
    const v = trimmedText(child);
    if (v === '') continue; // an empty element takes the schema default, PROHIBITED
    if (!allowed.has(v)) throw new XmlError(`${op}: ${v.slice(0, 20)} is not a selection`);
    out[op] = v as S;
  }
  return out;
}

/** The simulator's reading of a useIDRequest. */
export function parseUseIdRequest(op: Element): UseIdRequest {
  if (!isElement(op, NS.eid, 'useIDRequest')) throw new XmlError('not a useIDRequest');
  const found = inOrder(op, [
    'UseOperations',
    'AgeVerificationRequest',
    'PlaceVerificationRequest',
    'TransactionInfo',
    'TransactionAttestationRequest',
    'LevelOfAssuranceRequest',
    'EIDTypeRequest',
    'PSK',
  ]);
  const useOps = found.get('UseOperations');
  if (!useOps) throw new XmlError('useIDRequest lacks UseOperations');
  const age = found.get('AgeVerificationRequest');
  let ageVerification: number | undefined;
  if (age) {
    const v = trimmedText(requiredChild(age, NS.eid, 'Age'));
    if (!/^\d{1,3}$/.test(v)) throw new XmlError('Age is not a number');
    ageVerification = Number(v);
  }
  const loa = found.get('LevelOfAssuranceRequest');
  const levelOfAssurance = loa ? trimmedText(loa) : undefined;
  if (levelOfAssurance !== undefined && !(LOA_URIS as readonly string[]).includes(levelOfAssurance)) {
    throw new XmlError('LevelOfAssuranceRequest: unknown level');
  }
  return { operations: selections<RequestSelection>(useOps, SELECTIONS_IN), ageVerification, levelOfAssurance };
}

export function useIdResponseXml(r: UseIdResponse | undefined, result: DssResult): string {
  const body = r
    ? eid('Session', eid('ID', text(r.sessionId))) +
      (r.eCardServerAddress ? eid('eCardServerAddress', text(r.eCardServerAddress)) : '') +
      eid('PSK', eid('ID', text(r.psk.id)) + eid('Key', text(r.psk.key)))
    : '';
  return eid('useIDResponse', body + resultXml(result));
}

/** The hub's reading of a useIDResponse whose Result is ok. */
export function parseUseIdResponse(op: Element): UseIdResponse {
  if (!isElement(op, NS.eid, 'useIDResponse')) throw new XmlError('not a useIDResponse');
  const found = inOrder(op, ['Session', 'eCardServerAddress', 'PSK'], (e) => isElement(e, NS.dss, 'Result'));
  const session = found.get('Session');
  const psk = found.get('PSK');
  if (!session || !psk) throw new XmlError('useIDResponse lacks Session or PSK');
  const sessionId = checked(trimmedText(requiredChild(session, NS.eid, 'ID')), HEX, 'Session/ID');
  if (sessionId.length < 32) throw new XmlError('Session/ID shorter than 16 bytes');
  const pskId = trimmedText(requiredChild(psk, NS.eid, 'ID'));
  const pskKey = checked(trimmedText(requiredChild(psk, NS.eid, 'Key')), HEX, 'PSK/Key');
  if (pskId.length < 16 || pskKey.length < 32) throw new XmlError('PSK too short');
  const addressEl = found.get('eCardServerAddress');
  const eCardServerAddress = addressEl ? trimmedText(addressEl) : undefined;
  if (eCardServerAddress !== undefined && !/^https:\/\/[^\s]+$/.test(eCardServerAddress)) {
    throw new XmlError('eCardServerAddress is not an https URL');
  }
  return { sessionId, eCardServerAddress, psk: { id: pskId, key: pskKey } };
}

// ---- getResult ----------------------------------------------------------------------------

export function getResultRequestXml(r: GetResultRequest): string {
  return eid('getResultRequest', eid('Session', eid('ID', text(r.sessionId))) + eid('RequestCounter', String(r.requestCounter)));
}

/** The simulator's reading of a getResultRequest. */
export function parseGetResultRequest(op: Element): GetResultRequest {
  if (!isElement(op, NS.eid, 'getResultRequest')) throw new XmlError('not a getResultRequest');
  const found = inOrder(op, ['Session', 'RequestCounter']);
  const session = found.get('Session');
  const counter = found.get('RequestCounter');
  if (!session || !counter) throw new XmlError('getResultRequest lacks Session or RequestCounter');
  const v = trimmedText(counter);
  if (!/^-?\d{1,9}$/.test(v)) throw new XmlError('RequestCounter is not an int');
  return { sessionId: trimmedText(requiredChild(session, NS.eid, 'ID')), requestCounter: Number(v) };
}

function placeXml(name: string, p: GeneralPlace): string {
  switch (p.kind) {
    case 'structured':
      return eid(
        name,
        eid(
          'StructuredPlace',
          (p.street !== undefined ? eid('Street', text(p.street)) : '') +
            eid('City', text(p.city)) +
            (p.state !== undefined ? eid('State', text(p.state)) : '') +
            eid('Country', text(p.country)) +
            (p.zipCode !== undefined ? eid('ZipCode', text(p.zipCode)) : ''),
        ),
      );
    case 'freetext':
      return eid(name, eid('FreetextPlace', text(p.text)));
    case 'none':
      return eid(name, eid('NoPlaceInfo', text(p.text)));
  }
}

export function personalDataXml(d: PersonalData): string {
  const opt = (name: string, v: string | undefined): string => (v === undefined ? '' : eid(name, text(v)));
  return eid(
    'PersonalData',
    opt('DocumentType', d.documentType) +
      opt('IssuingState', d.issuingState) +
      opt('DateOfExpiry', d.dateOfExpiry) +
      opt('GivenNames', d.givenNames) +
      opt('FamilyNames', d.familyNames) +
      opt('ArtisticName', d.artisticName) +
      opt('AcademicTitle', d.academicTitle) +
      (d.dateOfBirth
        ? eid(
            'DateOfBirth',
            eid('DateString', text(d.dateOfBirth.dateString)) +
              (d.dateOfBirth.dateValue ? eid('DateValue', text(d.dateOfBirth.dateValue)) : ''),
          )
        : '') +
      (d.placeOfBirth ? placeXml('PlaceOfBirth', d.placeOfBirth) : '') +
      opt('Nationality', d.nationality) +
      opt('BirthName', d.birthName) +
      (d.placeOfResidence ? placeXml('PlaceOfResidence', d.placeOfResidence) : '') +
      opt('CommunityID', d.communityId) +
      opt('ResidencePermitI', d.residencePermitI) +
      (d.restrictedId
        ? eid('RestrictedID', eid('ID', d.restrictedId.id) + (d.restrictedId.id2 ? eid('ID2', d.restrictedId.id2) : ''))
        : ''),
  );
}

export function getResultResponseXml(r: GetResultResponse | undefined, result: DssResult): string {
  let body = '';
  if (r) {
    if (r.personalData) body += personalDataXml(r.personalData);
    if (r.fulfilsAgeVerification !== undefined) {
      body += eid('FulfilsAgeVerification', eid('FulfilsRequest', String(r.fulfilsAgeVerification)));
    }
    if (r.fulfilsPlaceVerification !== undefined) {
      body += eid('FulfilsPlaceVerification', eid('FulfilsRequest', String(r.fulfilsPlaceVerification)));
    }
    if (r.operationsAllowedByUser) {
      body += eid('OperationsAllowedByUser', OPERATIONS.map((op) => eid(op, r.operationsAllowedByUser?.[op] ?? 'PROHIBITED')).join(''));
    }
    if (r.levelOfAssurance) body += eid('LevelOfAssuranceResult', text(r.levelOfAssurance));
    if (r.eidTypeUsed) body += eid('EIDTypeResponse', eid(r.eidTypeUsed, 'USED'));
  }
  return eid('getResultResponse', body + resultXml(result));
}

function parsePlace(el: Element): GeneralPlace {
  const kids = elements(el);
  const only = kids[0];
  if (!only || kids.length !== 1) throw new XmlError(`${el.localName} must hold exactly one place`);
  const kind = only.namespaceURI === NS.eid ? only.localName : '';
  if (kind === 'FreetextPlace') return { kind: 'freetext', text: plainText(only) };
  if (kind === 'NoPlaceInfo') return { kind: 'none', text: plainText(only) };
  if (kind !== 'StructuredPlace') throw new XmlError(`unknown place ${only.localName}`);
  const f = inOrder(only, ['Street', 'City', 'State', 'Country', 'ZipCode']);
  const city = f.get('City');
  const country = f.get('Country');
  if (!city || !country) throw new XmlError('StructuredPlace lacks City or Country');
  const opt = (name: string): string | undefined => {
    const e = f.get(name);
    return e ? plainText(e) : undefined;
  };
  return {
    kind: 'structured',
    street: opt('Street'),
    city: plainText(city),
    state: opt('State'),
    country: checked(plainText(country), ICAO_COUNTRY, 'Country'),
    zipCode: opt('ZipCode'),
  };
}

function parsePersonalData(el: Element): PersonalData {
  const f = inOrder(el, OPERATIONS.slice(0, 15));
  const str = (name: string): string | undefined => {
    const e = f.get(name);
    return e ? plainText(e) : undefined;
  };
  const pattern = (name: string, re: RegExp): string | undefined => {
    const v = str(name);
    return v === undefined ? undefined : checked(v, re, name);
  };
  const dob = f.get('DateOfBirth');
  let dateOfBirth: GeneralDate | undefined;
  if (dob) {
    const d = inOrder(dob, ['DateString', 'DateValue']);
    const ds = d.get('DateString');
    if (!ds) throw new XmlError('DateOfBirth lacks DateString');
    // whiteSpace="preserve": blanks inside are meaning (unknown month or day); only the
    // indentation of a pretty-printed document is dropped.
    const raw = textOf(ds).replace(/^[\r\n\t]+|[\r\n\t]+$/g, '');
    const dv = d.get('DateValue');
    dateOfBirth = {
      dateString: checked(raw.length > 8 ? raw.trim().padEnd(8, ' ') : raw, DATE_STRING, 'DateString'),
      dateValue: dv ? checked(trimmedText(dv), XS_DATE, 'DateValue') : undefined,
    };
  }
  const rid = f.get('RestrictedID');
  let restrictedId: RestrictedId | undefined;
  if (rid) {
    const r = inOrder(rid, ['ID', 'ID2']);
    const id = r.get('ID');
    if (!id) throw new XmlError('RestrictedID lacks ID');
    const id2 = r.get('ID2');
    restrictedId = {
      id: checked(trimmedText(id), HEX, 'RestrictedID/ID').toUpperCase(),
      id2: id2 ? checked(trimmedText(id2), HEX, 'RestrictedID/ID2').toUpperCase() : undefined,
    };
  }
  const pob = f.get('PlaceOfBirth');
  const por = f.get('PlaceOfResidence');
  return {
    documentType: pattern('DocumentType', DOCUMENT_TYPE),
    issuingState: pattern('IssuingState', ICAO_COUNTRY),
    dateOfExpiry: pattern('DateOfExpiry', XS_DATE),
    givenNames: str('GivenNames'),
    familyNames: str('FamilyNames'),
    artisticName: str('ArtisticName'),
    academicTitle: str('AcademicTitle'),
    dateOfBirth,
    placeOfBirth: pob ? parsePlace(pob) : undefined,
    nationality: pattern('Nationality', ICAO_COUNTRY),
    birthName: str('BirthName'),
    placeOfResidence: por ? parsePlace(por) : undefined,
    communityId: pattern('CommunityID', COMMUNITY_ID),
    residencePermitI: str('ResidencePermitI'),
    restrictedId,
  };
}

function verification(el: Element | undefined): boolean | undefined {
  return el ? bool(requiredChild(el, NS.eid, 'FulfilsRequest')) : undefined;
}

/** The hub's reading of a getResultResponse whose Result is ok. */
export function parseGetResultResponse(op: Element): GetResultResponse {
  if (!isElement(op, NS.eid, 'getResultResponse')) throw new XmlError('not a getResultResponse');
  const f = inOrder(
    op,
    [
      'PersonalData',
      'FulfilsAgeVerification',
      'FulfilsPlaceVerification',
      'OperationsAllowedByUser',
      'TransactionAttestationResponse',
      'LevelOfAssuranceResult',
      'EIDTypeResponse',
    ],
    (e) => isElement(e, NS.dss, 'Result'),
  );
  const pd = f.get('PersonalData');
  const ops = f.get('OperationsAllowedByUser');
  const loa = f.get('LevelOfAssuranceResult');
  const levelOfAssurance = loa ? trimmedText(loa) : undefined;
  if (levelOfAssurance !== undefined && !(LOA_URIS as readonly string[]).includes(levelOfAssurance)) {
    throw new XmlError('LevelOfAssuranceResult: unknown level');
  }
  const type = f.get('EIDTypeResponse');
  let eidTypeUsed: string | undefined;
  if (type) {
    const kids = elements(type);
    const used = kids[0];
    if (!used || kids.length !== 1 || !(EID_TYPES as readonly string[]).includes(used.localName ?? '') || trimmedText(used) !== 'USED') {
      throw new XmlError('EIDTypeResponse must name one eID type as USED');
    }
    eidTypeUsed = used.localName ?? undefined;
  }
  return {
    personalData: pd ? parsePersonalData(pd) : undefined,
    fulfilsAgeVerification: verification(f.get('FulfilsAgeVerification')),
    fulfilsPlaceVerification: verification(f.get('FulfilsPlaceVerification')),
    operationsAllowedByUser: ops ? selections<ResponseSelection>(ops, SELECTIONS_OUT) : undefined,
    levelOfAssurance,
    eidTypeUsed,
  };
}

// ---- TC Token (BSI TR-03124-1, 2.4) ---------------------------------------------------------

export interface TcToken {
  readonly serverAddress: string;
  readonly sessionIdentifier: string;
  readonly refreshAddress: string;
  readonly communicationErrorAddress?: string | undefined;
  /** hex */
  readonly psk: string;
}

export const PAOS_BINDING = 'urn:liberty:paos:2006-08';
export const PSK_PROTOCOL = 'urn:ietf:rfc:4279';

export function tcTokenXml(t: TcToken): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<TCTokenType>` +
    `<ServerAddress>${text(t.serverAddress)}</ServerAddress>` +
    `<SessionIdentifier>${text(t.sessionIdentifier)}</SessionIdentifier>` +
    `<RefreshAddress>${text(t.refreshAddress)}</RefreshAddress>` +
    (t.communicationErrorAddress ? `<CommunicationErrorAddress>${text(t.communicationErrorAddress)}</CommunicationErrorAddress>` : '') +
    `<Binding>${PAOS_BINDING}</Binding>` +
    `<PathSecurity-Protocol>${PSK_PROTOCOL}</PathSecurity-Protocol>` +
    `<PathSecurity-Parameters><PSK>${text(t.psk)}</PSK></PathSecurity-Parameters>` +
    `</TCTokenType>`
  );
}

/** The eID-Client's reading of a TC Token (the simulator plays the AusweisApp). */
export function parseTcToken(root: Element): TcToken {
  if (root.localName !== 'TCTokenType') throw new XmlError('not a TC Token');
  const get = (name: string): string | undefined => {
    const found = elements(root).filter((e) => e.localName === name);
    if (found.length > 1) throw new XmlError(`${name} more than once`);
    return found[0] ? trimmedText(found[0]) : undefined;
  };
  const params = elements(root).find((e) => e.localName === 'PathSecurity-Parameters');
  const pskEl = params ? elements(params).find((e) => e.localName === 'PSK') : undefined;
  const serverAddress = get('ServerAddress');
  const sessionIdentifier = get('SessionIdentifier');
  const refreshAddress = get('RefreshAddress');
  if (!serverAddress || !sessionIdentifier || !refreshAddress || !pskEl) throw new XmlError('TC Token incomplete');
  if (get('Binding') !== PAOS_BINDING || get('PathSecurity-Protocol') !== PSK_PROTOCOL) throw new XmlError('TC Token: unsupported binding');
  return {
    serverAddress,
    sessionIdentifier,
    refreshAddress,
    communicationErrorAddress: get('CommunicationErrorAddress'),
    psk: checked(trimmedText(pskEl), HEX, 'PSK'),
  };
}

import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { developmentCertificate, type SigningIdentity } from '../../../src/authn/eid/credentials.ts';
import {
  OPERATIONS,
  type GetResultResponse,
  type Operation,
  type PersonalData,
  type ResponseSelection,
  type UseIdRequest,
} from '../../../src/authn/eid/soap-messages.ts';

/** Keys and messages for the eID tests, made by code (no pasted blobs). */

export async function identity(cn: string, purpose: 'server' | 'client' = 'client'): Promise<SigningIdentity> {
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const privateKey = createPrivateKey(pem);
  const certificatePem = await developmentCertificate(privateKey, cn, purpose);
  return { privateKey, privateKeyPem: pem, certificate: new X509Certificate(certificatePem), certificatePem };
}

/** The request the hub sends (kept in step with src/authn/eid/flow.ts by a test there). */
export const REQUEST: UseIdRequest = {
  operations: {
    DocumentType: 'REQUIRED',
    IssuingState: 'REQUIRED',
    DateOfExpiry: 'REQUIRED',
    GivenNames: 'REQUIRED',
    FamilyNames: 'REQUIRED',
    ArtisticName: 'ALLOWED',
    AcademicTitle: 'ALLOWED',
    DateOfBirth: 'REQUIRED',
    PlaceOfBirth: 'REQUIRED',
    Nationality: 'REQUIRED',
    BirthName: 'ALLOWED',
    PlaceOfResidence: 'REQUIRED',
    RestrictedID: 'REQUIRED',
    AgeVerification: 'REQUIRED',
  },
  ageVerification: 16,
  levelOfAssurance: 'http://bsi.bund.de/eID/LoA/hoch',
};

export const ERIKA: PersonalData = {
  documentType: 'ID',
  issuingState: 'D',
  dateOfExpiry: '2031-10-31',
  givenNames: 'ERIKA',
  familyNames: 'MUSTERMANN',
  artisticName: '',
  academicTitle: '',
  dateOfBirth: { dateString: '19640812', dateValue: '1964-08-12' },
  placeOfBirth: { kind: 'freetext', text: 'BERLIN' },
  nationality: 'D',
  birthName: 'GABLER',
  placeOfResidence: { kind: 'structured', street: 'HEIDESTRASSE 17', city: 'KÖLN', country: 'D', zipCode: '51147' },
  restrictedId: { id: '01A4FB509CEBC6595151A4FB5F9C75C6FE01A4FB59CB655A4FB5F9C75C6FEE' },
};

/** A successful getResult for `data`: every asked operation released unless listed otherwise. */
export function resultFor(
  data: PersonalData,
  overrides: Partial<Record<Operation, ResponseSelection>> = {},
  extra: Partial<GetResultResponse> = {},
): GetResultResponse {
  const allowed: Partial<Record<Operation, ResponseSelection>> = {};
  for (const op of OPERATIONS) {
    if (REQUEST.operations[op] === 'REQUIRED' || REQUEST.operations[op] === 'ALLOWED') allowed[op] = overrides[op] ?? 'ALLOWED';
  }
  return {
    personalData: data,
    fulfilsAgeVerification: true,
    operationsAllowedByUser: allowed,
    levelOfAssurance: 'http://bsi.bund.de/eID/LoA/hoch',
    ...extra,
  };
}

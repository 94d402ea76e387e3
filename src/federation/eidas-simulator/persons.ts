import type { EidasLoa } from '../../core/loa.ts';

/**
 * The test persons of the eIDAS node simulator: citizens of other member states as their
 * national eID schemes would describe them (eIDAS natural-person attributes, specs.md 2.1). The
 * PersonIdentifier names the issuing state and Germany (`ES/DE/…`); the address is given in the
 * parts of the eIDAS CurrentAddress type and sent base64-encoded, as the profile says.
 */

export interface SimulatedAddress {
  readonly locatorDesignator?: string;
  readonly thoroughfare?: string;
  readonly postName?: string;
  readonly postCode?: string;
  readonly adminunitFirstline?: string;
  readonly cvaddressArea?: string;
}

export interface SimulatedPerson {
  readonly key: string;
  readonly country: string;
  readonly countryName: { readonly de: string; readonly en: string };
  /** The level of the person's eID means (notified scheme). */
  readonly loa: EidasLoa;
  readonly personIdentifier: string;
  readonly familyName: string;
  readonly firstName: string;
  /** The name in the person's own script, sent next to the Latin one with LatinScript="false". */
  readonly familyNameNative?: string;
  readonly firstNameNative?: string;
  readonly dateOfBirth: string;
  readonly birthName?: string;
  readonly placeOfBirth?: string;
  readonly address?: SimulatedAddress;
  readonly gender?: 'Male' | 'Female' | 'Unspecified';
}

export const SIMULATED_PERSONS: readonly SimulatedPerson[] = [
  {
    key: 'es',
    country: 'ES',
    countryName: { de: 'Spanien', en: 'Spain' },
    loa: 'high',
    personIdentifier: 'ES/DE/53377873W',
    familyName: 'García López',
    firstName: 'Javier',
    dateOfBirth: '1985-06-15',
    placeOfBirth: 'Sevilla',
    address: {
      thoroughfare: 'Calle de Alcalá',
      locatorDesignator: '45',
      postCode: '28014',
      postName: 'Madrid',
      adminunitFirstline: 'ES',
    },
    gender: 'Male',
  },
  {
    key: 'at',
    country: 'AT',
    countryName: { de: 'Österreich', en: 'Austria' },
    loa: 'substantial',
    personIdentifier: 'AT/DE/Zm9vYmFyLWF0LTQ3MTE=',
    familyName: 'Gruber',
    firstName: 'Anna Maria',
    dateOfBirth: '1990-11-02',
    birthName: 'Huber',
    placeOfBirth: 'Graz',
    address: {
      thoroughfare: 'Mariahilfer Straße',
      locatorDesignator: '12',
      postCode: '1060',
      postName: 'Wien',
      adminunitFirstline: 'AT',
    },
    gender: 'Female',
  },
  {
    key: 'gr',
    country: 'GR',
    countryName: { de: 'Griechenland', en: 'Greece' },
    loa: 'low',
    personIdentifier: 'GR/DE/GR-88120433',
    familyName: 'Papadopoulou',
    firstName: 'Eleni',
    familyNameNative: 'Παπαδοπούλου',
    firstNameNative: 'Ελένη',
    dateOfBirth: '1978-01-23',
  },
];

export function personByKey(key: string): SimulatedPerson | undefined {
  return SIMULATED_PERSONS.find((p) => p.key === key);
}

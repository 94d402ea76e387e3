import type { AttributeName, Attributes } from '../core/attributes.ts';
import { PERSONAL_FIELDS, isOptionalField, type FieldErrors, type PersonalField } from '../core/personal-data.ts';
import { field } from '../web/forms.ts';
import { html, type Html } from '../web/html.ts';
import type { Lang } from '../web/i18n.ts';
import { frameText } from '../web/messages.ts';
import { accountText, fieldLabel, problemText, type AccountField } from './messages.ts';

/** The personal-data fields shared by registration step 1 and "Meine Daten ändern". */

const INPUT: Readonly<Record<PersonalField, { type?: 'text' | 'email' | 'date'; autocomplete: string; inputmode?: 'numeric' }>> = {
  givenName: { autocomplete: 'given-name' },
  familyName: { autocomplete: 'family-name' },
  // A text field, not type=date: the browser's date picker shows its own locale's order, which
  // would contradict the hint (and GOV.UK-style research favours typed dates of birth).
  dateOfBirth: { autocomplete: 'bday' },
  placeOfBirth: { autocomplete: 'off' },
  street: { autocomplete: 'street-address' },
  postalCode: { autocomplete: 'postal-code', inputmode: 'numeric' },
  locality: { autocomplete: 'address-level2' },
  email: { type: 'email', autocomplete: 'email' },
  deMail: { type: 'email', autocomplete: 'off' },
  birthName: { autocomplete: 'off' },
  doctoralDegree: { autocomplete: 'honorific-prefix' },
};

export function errorList<F extends AccountField>(
  lang: Lang,
  errors: FieldErrors<F>,
  extra: Readonly<Record<string, string | number>> = {},
): { field: F; message: string }[] {
  return (Object.entries(errors) as [F, NonNullable<FieldErrors<F>[F]>][]).map(([f, problem]) => ({
    field: f,
    message: problemText(lang, f, problem, extra),
  }));
}

export function personalFields(
  lang: Lang,
  values: Readonly<Partial<Record<PersonalField, string>>>,
  errors: readonly { field: AccountField; message: string }[],
  /** Fields that are verified (read from the ID card) and shown read-only. */
  locked: ReadonlySet<PersonalField> = new Set(),
): Html {
  const t = accountText(lang);
  const hints: Partial<Record<PersonalField, string>> = {
    street: t.streetHint,
    dateOfBirth: t.dateHint,
    email: t.emailHint,
    deMail: t.deMailHint,
  };
  return html`${locked.size > 0 ? html`<p class="notice">${t.lockedNote}</p>` : ''}${PERSONAL_FIELDS.map((name) => {
    if (locked.has(name)) {
      const value = name === 'dateOfBirth' ? germanDate(values[name] ?? '') : (values[name] ?? '');
      return html`<div class="field locked">
        <span class="label">${fieldLabel(lang, name)}</span>
        <p class="locked-value">${value} <span class="verified">${t.lockedMark}</span></p>
      </div>`;
    }
    return field({
      name,
      label: fieldLabel(lang, name),
      value: name === 'dateOfBirth' ? germanDate(values[name] ?? '') : (values[name] ?? ''),
      type: INPUT[name].type ?? 'text',
      autocomplete: INPUT[name].autocomplete,
      ...(INPUT[name].inputmode ? { inputmode: INPUT[name].inputmode } : {}),
      hint: hints[name],
      required: !isOptionalField(name),
      optionalText: isOptionalField(name) ? frameText(lang).optional : undefined,
      error: errors.find((e) => e.field === name)?.message,
      maxlength: name === 'email' || name === 'deMail' ? 254 : 100,
    });
  })}`;
}

/** A stored ISO date as the field shows it (TT.MM.JJJJ); anything else as typed. */
function germanDate(value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return m ? `${m[3]}.${m[2]}.${m[1]}` : value;
}

/** Fields whose value came from somewhere other than the citizen (the ID card). */
export function lockedFields(attributes: Attributes): Set<PersonalField> {
  return new Set(PERSONAL_FIELDS.filter((f) => attributes[f as AttributeName] && attributes[f as AttributeName]?.source !== 'self'));
}

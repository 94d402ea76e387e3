import { html, flag, type Html } from './html.ts';

/**
 * Form fields as BITV 2.0 / WCAG 2.1 AA asks: a visible label, hints and errors tied to the
 * field by aria-describedby, aria-invalid on a field in error, and a summary linking to each.
 */

export interface FieldOptions {
  readonly name: string;
  readonly label: string;
  readonly value?: string;
  readonly type?: 'text' | 'email' | 'password' | 'date' | 'tel';
  readonly error?: string | undefined;
  readonly hint?: string | Html | undefined;
  readonly required?: boolean;
  /** Text after the label of an optional field, e.g. "(optional)". */
  readonly optionalText?: string | undefined;
  readonly autocomplete?: string;
  readonly inputmode?: 'numeric' | 'email' | 'text';
  readonly maxlength?: number;
  readonly pattern?: string;
}

export function fieldId(name: string): string {
  return `f-${name}`;
}

export function field(o: FieldOptions): Html {
  const id = fieldId(o.name);
  const describedBy = [o.hint ? `${id}-hint` : '', o.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field${o.error ? ' field-error' : ''}">
    <label for="${id}">${o.label}${o.optionalText ? html` <span class="optional">${o.optionalText}</span>` : ''}</label>
    ${o.hint ? html`<div class="hint" id="${id}-hint">${o.hint}</div>` : ''}
    ${o.error ? html`<p class="error-message" id="${id}-error">${o.error}</p>` : ''}
    <input
      id="${id}"
      name="${o.name}"
      type="${o.type ?? 'text'}"
      ${o.type === 'password' ? '' : html` value="${o.value ?? ''}"`}${flag('required', o.required ?? false)}${
        o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ''
      }${o.inputmode ? html` inputmode="${o.inputmode}"` : ''}${o.maxlength ? html` maxlength="${o.maxlength}"` : ''}${
        o.pattern ? html` pattern="${o.pattern}"` : ''
      }${describedBy ? html` aria-describedby="${describedBy}"` : ''}${o.error ? html` aria-invalid="true"` : ''}
    />
  </div>`;
}

export interface CheckboxOptions {
  readonly name: string;
  readonly label: string | Html;
  readonly checked?: boolean;
  readonly error?: string | undefined;
  readonly required?: boolean;
  /** Shown under the label, tied to the box by aria-describedby. */
  readonly hint?: string | undefined;
}

export function checkbox(o: CheckboxOptions): Html {
  const id = fieldId(o.name);
  const describedBy = [o.error ? `${id}-error` : '', o.hint ? `${id}-hint` : ''].filter(Boolean).join(' ');
  return html`<div class="field checkbox${o.error ? ' field-error' : ''}">
    ${o.error ? html`<p class="error-message" id="${id}-error">${o.error}</p>` : ''}
    <input
      id="${id}"
      name="${o.name}"
      type="checkbox"
      value="yes"
      ${flag('checked', o.checked ?? false)}${flag('required', o.required ?? false)}${o.error ? html` aria-invalid="true"` : ''}${
        describedBy ? html` aria-describedby="${describedBy}"` : ''
      }
    />
    <label for="${id}">${o.label}</label>
    ${o.hint ? html`<div class="hint" id="${id}-hint">${o.hint}</div>` : ''}
  </div>`;
}

/** The list of problems at the top of a form, each a link to its field. */
export function errorSummary(title: string, errors: readonly { field: string; message: string }[]): Html {
  if (errors.length === 0) return html``;
  return html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
    <h2 id="error-summary-title">${title}</h2>
    <ul>
      ${errors.map((e) => html`<li><a href="#${fieldId(e.field)}">${e.message}</a></li>`)}
    </ul>
  </div>`;
}

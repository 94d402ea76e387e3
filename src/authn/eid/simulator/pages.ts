import { html, type Html } from '../../../web/html.ts';
import { OPERATIONS, type Operation, type UseIdRequest } from '../soap-messages.ts';
import type { TestCard } from './cards.ts';

/**
 * The pages of the AusweisApp stand-in: the card choice (with the data the service asks for, the
 * optional items deselectable as in the AusweisApp) and error pages. Plain HTML, no script, labels
 * and fieldsets for screen readers, German like the flow it belongs to.
 */

const OPERATION_LABEL: Readonly<Record<Operation, string>> = {
  DocumentType: 'Dokumentart',
  IssuingState: 'Ausstellender Staat',
  DateOfExpiry: 'Gültig bis',
  GivenNames: 'Vorname(n)',
  FamilyNames: 'Familienname',
  ArtisticName: 'Ordens- oder Künstlername',
  AcademicTitle: 'Doktorgrad',
  DateOfBirth: 'Geburtsdatum',
  PlaceOfBirth: 'Geburtsort',
  Nationality: 'Staatsangehörigkeit',
  BirthName: 'Geburtsname',
  PlaceOfResidence: 'Anschrift',
  CommunityID: 'Wohnort-ID',
  ResidencePermitI: 'Nebenbestimmungen zum Aufenthaltstitel',
  RestrictedID: 'Pseudonym (dienste- und kartenspezifisches Kennzeichen)',
  AgeVerification: 'Altersbestätigung',
  PlaceVerification: 'Wohnortbestätigung',
};

export const SIMULATOR_CSS = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:1.0625rem;line-height:1.5;color:#1b1b1b;background:#f3f4f6}
.sim-header{background:#0b3d5c;color:#fff;padding:.75rem 1.5rem;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:baseline}
.sim-brand{margin:0;font-weight:700;font-size:1.25rem}
.sim-badge{margin:0;background:#ffd34d;color:#1b1b1b;border-radius:.25rem;padding:0 .5rem;font-weight:600}
main{max-width:46rem;margin:1.5rem auto;background:#fff;padding:1.5rem 2rem 2rem;border-radius:.5rem;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.75rem;margin:0 0 1rem}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
fieldset{border:1px solid #8a8f98;border-radius:.375rem;margin:1rem 0;padding:.75rem 1rem}
legend{font-weight:700;padding:0 .25rem}
.sim-card{display:grid;grid-template-columns:auto 1fr;gap:0 .75rem;padding:.5rem 0;border-bottom:1px solid #e2e4e8}
.sim-card:last-child{border-bottom:0}
.sim-card input{margin-top:.3rem;width:1.25rem;height:1.25rem}
.sim-card label{font-weight:600}
.sim-hint{grid-column:2;margin:0;color:#3d4450;font-size:.95rem}
.sim-option{display:flex;gap:.5rem;align-items:center;padding:.2rem 0}
.sim-option input{width:1.15rem;height:1.15rem}
.sim-actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.5rem}
button{font:inherit;font-weight:600;border-radius:.375rem;padding:.6rem 1.25rem;cursor:pointer;border:2px solid #0b3d5c}
.sim-primary{background:#0b3d5c;color:#fff}
.sim-secondary{background:#fff;color:#0b3d5c}
button:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
.sim-error{border-left:5px solid #b3261e;background:#fdecea;padding:.5rem 1rem;margin:1rem 0}
.sim-note{color:#3d4450;font-size:.95rem}
`;

function frame(title: string, main: Html): string {
  return html`<!DOCTYPE html>
    <html lang="de">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} – AusweisApp-Simulator</title>
        <link rel="stylesheet" href="/eID-Client/simulator.css" />
      </head>
      <body>
        <header class="sim-header">
          <p class="sim-brand">AusweisApp-Simulator</p>
          <p class="sim-badge">Nur für Entwicklung und Tests</p>
        </header>
        <main id="main">${main}</main>
      </body>
    </html>`.value;
}

export function errorPage(title: string, text: string): string {
  return frame(
    title,
    html`<h1>${title}</h1>
      <p>${text}</p>`,
  );
}

export interface CardPageOptions {
  readonly flowId: string;
  readonly provider: string;
  readonly request: UseIdRequest;
  readonly cards: readonly TestCard[];
  readonly problem?: string;
}

export function cardPage(o: CardPageOptions): string {
  const label = (op: Operation): string =>
    op === 'AgeVerification' && o.request.ageVerification !== undefined
      ? `${OPERATION_LABEL[op]} (mindestens ${o.request.ageVerification} Jahre)`
      : OPERATION_LABEL[op];
  const required = OPERATIONS.filter((op) => o.request.operations[op] === 'REQUIRED');
  const optional = OPERATIONS.filter((op) => o.request.operations[op] === 'ALLOWED');
  return frame(
    'Testausweis wählen',
    html`<h1>Testausweis wählen</h1>
      <p>
        Der Dienst <strong>${o.provider}</strong> möchte Ihren Ausweis auslesen. In der echten AusweisApp halten Sie jetzt Ihren Ausweis an
        das Kartenlesegerät oder Smartphone und geben Ihre PIN ein. Hier wählen Sie stattdessen einen Testausweis.
      </p>
      ${o.problem ? html`<div class="sim-error" role="alert"><p>${o.problem}</p></div>` : ''}
      <form method="post" action="/eID-Client/karte">
        <input type="hidden" name="vorgang" value="${o.flowId}" />
        <fieldset>
          <legend>Testausweis</legend>
          ${o.cards.map(
            (c, i) =>
              html`<div class="sim-card">
                <input
                  type="radio"
                  name="karte"
                  id="karte-${c.id}"
                  value="${c.id}"
                  aria-describedby="karte-${c.id}-hinweis"
                  ${i === 0 ? html`required` : ''}
                />
                <label for="karte-${c.id}">${c.label}</label>
                <p class="sim-hint" id="karte-${c.id}-hinweis">${c.description}</p>
              </div>`,
          )}
        </fieldset>
        <h2>Angefragte Daten</h2>
        <p>Diese Angaben gibt der Ausweis an den Dienst weiter:</p>
        <ul>
          ${required.map((op) => html`<li>${label(op)}</li>`)}
        </ul>
        ${
          optional.length > 0
            ? html`<fieldset>
                <legend>Optionale Angaben (abwählbar)</legend>
                ${optional.map(
                  (op) =>
                    html`<div class="sim-option">
                      <input type="checkbox" name="optional" id="optional-${op}" value="${op}" checked />
                      <label for="optional-${op}">${label(op)}</label>
                    </div>`,
                )}
              </fieldset>`
            : ''
        }
        <p class="sim-note">Die PIN-Eingabe wird simuliert.</p>
        <div class="sim-actions">
          <button type="submit" name="aktion" value="auslesen" class="sim-primary">Ausweis auslesen</button>
          <button type="submit" name="aktion" value="abbrechen" class="sim-secondary" formnovalidate>Abbrechen</button>
        </div>
      </form>`,
  );
}

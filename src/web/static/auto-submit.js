/* global document */
// Submits a form marked data-auto-submit once the page has loaded (protocol hand-overs such as
// the SAML HTTP-POST binding). Without JavaScript the form's visible button does the same.
'use strict';
document.querySelectorAll('form[data-auto-submit]').forEach(function (form) {
  form.submit();
});

/* global document, window, fetch, FormData, URLSearchParams */
// The Servicekonto.Pass in the browser. A form marked data-pass asks the hub for WebAuthn options
// (data-pass-options), lets @simplewebauthn/browser talk to the authenticator, puts its answer into
// the form's hidden "credential" field and submits the form; the hub checks everything. Messages
// come from the form's data-msg-* attributes and are announced through its role=status element.
// Without JavaScript the form posts without an answer, and the hub says that the Pass needs it.
'use strict';
(function () {
  var lib = window.SimpleWebAuthnBrowser;

  function say(form, key, text) {
    var status = form.querySelector('[data-pass-status]');
    if (status) status.textContent = text || (key ? form.getAttribute('data-msg-' + key) || '' : '');
  }

  document.querySelectorAll('form[data-pass]').forEach(function (form) {
    var button = form.querySelector('button[type=submit]');
    if (!lib || !lib.browserSupportsWebAuthn()) {
      say(form, 'unsupported');
      if (button) button.disabled = true;
      return;
    }
    var busy = false;
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (busy) return;
      busy = true;
      if (button) button.setAttribute('aria-disabled', 'true');
      say(form, 'working');
      var fields = new URLSearchParams(new FormData(form));
      fields.delete('credential');
      fetch(form.getAttribute('data-pass-options'), {
        method: 'POST',
        body: fields,
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      })
        .then(function (res) {
          return res.json().then(function (body) {
            if (!res.ok) {
              var refused = new Error('options refused');
              refused.hubMessage = body && body.message;
              throw refused;
            }
            return body;
          });
        })
        .then(function (options) {
          return form.getAttribute('data-pass') === 'register'
            ? lib.startRegistration({ optionsJSON: options })
            : lib.startAuthentication({ optionsJSON: options });
        })
        .then(function (answer) {
          form.querySelector('input[name=credential]').value = JSON.stringify(answer);
          say(form, 'sending');
          form.submit();
        })
        .catch(function (err) {
          busy = false;
          if (button) button.removeAttribute('aria-disabled');
          var name = err && err.name;
          var code = err && err.code;
          if (err && err.hubMessage) say(form, null, err.hubMessage);
          else if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') say(form, 'duplicate');
          else if (name === 'NotAllowedError' || name === 'AbortError') say(form, 'cancelled');
          else say(form, 'failed');
        });
    });
  });
})();

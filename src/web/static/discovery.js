/* global document */
// Live filtering of the list "Anmelden mit anderem deutschen Nutzerkonto" as one types. Without
// JavaScript the search field filters on the server; this only hides list items and announces
// how many are shown (the paragraph is a polite live region).
'use strict';
(function () {
  var input = document.getElementById('partner-filter');
  var list = document.getElementById('partner-list');
  var count = document.getElementById('partner-count');
  if (!input || !list || !count) return;
  var items = Array.prototype.slice.call(list.querySelectorAll('li'));
  function norm(s) {
    return s
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/\u00df/g, 'ss')
      .toLowerCase()
      .trim();
  }
  function update() {
    var q = norm(input.value);
    var shown = 0;
    items.forEach(function (li) {
      var ok = q === '' || (li.getAttribute('data-name') || '').indexOf(q) >= 0;
      li.hidden = !ok;
      if (ok) shown++;
    });
    var template = count.getAttribute('data-template') || '';
    count.textContent = q === '' ? '' : template.replace('{count}', String(shown)).replace('{total}', String(items.length));
  }
  input.addEventListener('input', update);
})();

// rdpscope report: table sorting, outcome filter, expand/collapse of PDU fields.
// Vanilla JS, no network, no dependencies; the report reads fine without it.
(function () {
  'use strict';
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  function cellValue(td, numeric) {
    var v = td.getAttribute('data-sort');
    if (v === null) { v = td.textContent.trim(); }
    if (numeric) { var n = parseFloat(v); return isNaN(n) ? 0 : n; }
    return v.toLowerCase();
  }

  each(document.querySelectorAll('table.sortable'), function (table) {
    if (!table.tHead || !table.tBodies.length) { return; }
    var ths = table.tHead.rows[0].cells;
    each(ths, function (th, idx) {
      th.setAttribute('tabindex', '0');
      th.title = 'Sort by ' + th.textContent;
      var sort = function () {
        var numeric = th.getAttribute('data-type') === 'num';
        var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
        each(ths, function (o) { o.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.forEach(function (r, i) { r.setAttribute('data-pos', String(i)); });
        rows.sort(function (a, b) {
          var x = cellValue(a.cells[idx], numeric), y = cellValue(b.cells[idx], numeric);
          if (x < y) { return -dir; }
          if (x > y) { return dir; }
          return Number(a.getAttribute('data-pos')) - Number(b.getAttribute('data-pos'));
        });
        rows.forEach(function (r) { body.appendChild(r); });
      };
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter') { sort(); } });
    });
  });

  var boxes = document.querySelectorAll('#outcome-filter input[type=checkbox]');
  function applyFilter() {
    var shown = {};
    each(boxes, function (b) { shown[b.getAttribute('data-outcome')] = b.checked; });
    each(document.querySelectorAll('tr[data-outcome], section[data-outcome]'), function (el) {
      el.classList.toggle('hidden', shown[el.getAttribute('data-outcome')] === false);
    });
  }
  each(boxes, function (b) { b.addEventListener('change', applyFilter); });

  each(document.querySelectorAll('button.expand-all'), function (btn) {
    btn.addEventListener('click', function () {
      var section = btn.closest('section');
      if (!section) { return; }
      var open = btn.getAttribute('data-open') !== '1';
      each(section.querySelectorAll('details.arrow'), function (d) { d.open = open; });
      btn.setAttribute('data-open', open ? '1' : '0');
      btn.textContent = open ? 'collapse all fields' : 'expand all fields';
    });
  });

  each(document.querySelectorAll('#connections tbody tr'), function (tr) {
    tr.addEventListener('click', function (e) {
      if (e.target && e.target.tagName === 'A') { return; }
      var target = document.getElementById('conn-' + tr.getAttribute('data-connection-id'));
      if (target) { target.scrollIntoView({ behavior: 'smooth', block: 'start' }); }
    });
  });

  document.documentElement.classList.add('js');
})();

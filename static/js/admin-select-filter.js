// The support admin's select list filters (templates/admin/select_filter.html):
// typing in the box narrows the options; choosing one (click, or Enter)
// filters the list, as the links of Django's own filters do.
(function () {
  "use strict";
  function setUp() {
    document.querySelectorAll("input[data-select-filter]").forEach(function (box) {
      if (box.dataset.ready) return;
      box.dataset.ready = "1";
      var select = document.getElementById(box.dataset.selectFilter);
      function go(option) {
        if (option) window.location.search = option.value;
      }
      box.addEventListener("input", function () {
        var words = box.value.trim().toLowerCase();
        Array.prototype.forEach.call(select.options, function (option) {
          option.hidden = words !== "" && option.text.toLowerCase().indexOf(words) === -1;
        });
      });
      box.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          go(Array.prototype.find.call(select.options, function (o) { return !o.hidden; }));
        } else if (event.key === "ArrowDown") {
          event.preventDefault();
          select.focus();
        }
      });
      select.addEventListener("click", function (event) {
        if (event.target.tagName === "OPTION") go(event.target);
      });
      select.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          go(select.options[select.selectedIndex]);
        }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();

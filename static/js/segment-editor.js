// The segment editor: never lose what the partner enters while a request is
// in flight.
//
// Editor requests are queued one after another (hx-sync on the conditions
// region). A response that would replace fields (a row after its category
// changed, or the whole region after "Add another filter") was computed from
// the fields as they were when it was sent. If the partner changed anything
// since, swapping it in would throw that change away, and htmx drops a queued
// request whose element the swap removed. So such a response is not swapped:
// its request is sent again (queued behind the partner's newer ones), with
// the fields as they are now.
//
// The live estimate answers with the count and the definition text of the
// same fields. An estimate computed before the partner changed something is
// dropped: that change already asked for a newer one (the estimate listens to
// every change and input in the form), so the text and the count on the page
// are never older than what the partner entered before them.
(function () {
  "use strict";

  var form = document.getElementById("segment-form");
  if (!form) {
    return;
  }
  var edits = 0;

  function countEdit() {
    edits += 1;
  }
  // Capture phase: counted before htmx, on the field itself, sends the
  // request this edit triggers, so that request is not stale at birth.
  form.addEventListener("input", countEdit, true);
  form.addEventListener("change", countEdit, true);

  function isEstimate(config) {
    return config && config.elt && config.elt.id === "segment-estimate";
  }

  function replacesFields(config) {
    return (
      config &&
      config.elt &&
      form.contains(config.elt) &&
      config.elt.getAttribute("hx-swap") !== "none" &&
      !config.elt.closest("#segment-estimate")
    );
  }

  // A choice made before htmx wired up a select (a slow page load) sent
  // nothing: the row still offers the attributes of the category it was
  // rendered with. Once htmx has processed the page or new content, refresh
  // each row whose selects differ from what the server rendered.
  htmx.onLoad(function (loaded) {
    loaded.querySelectorAll("#segment-conditions select[hx-post]").forEach(
      function (select) {
        var rendered =
          Array.prototype.find.call(select.options, function (o) {
            return o.defaultSelected;
          }) || select.options[0];
        if (rendered && select.value !== rendered.value) {
          htmx.trigger(select, "retry-request");
        }
      }
    );
  });

  document.body.addEventListener("htmx:configRequest", function (event) {
    if (replacesFields(event.detail) || isEstimate(event.detail)) {
      event.detail.editsWhenSent = edits;
    }
  });

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var config = event.detail.requestConfig;
    if (isEstimate(config) && config.editsWhenSent !== edits) {
      event.detail.shouldSwap = false; // a newer estimate is on its way
      return;
    }
    if (!replacesFields(config) || config.editsWhenSent === edits) {
      return;
    }
    event.detail.shouldSwap = false;
    // The element is still in the page (nothing was swapped): ask again.
    htmx.trigger(config.elt, "retry-request");
  });
})();

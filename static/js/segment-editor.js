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

  function countEdit(event) {
    var target = event.target;
    if (target && target.classList && target.classList.contains("condition-choices-filter")) {
      return; // narrowing a list of checkboxes changes no field
    }
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

// Keyboard and screen readers: where the focus goes, and the lists of
// checkboxes of "is any of".
//
// After a row is added or removed the server marks the first field of the
// new row (or of the row before the removed one) autofocus, which htmx
// focuses once it has swapped the rows in (and the browser on a full page).
// A failed Save shows an error summary at the top, focused the same way;
// its links move to the field in error.
(function () {
  "use strict";

  var form = document.getElementById("segment-form");
  if (!form) {
    return;
  }

  function isFilter(element) {
    return (
      element &&
      element.classList &&
      element.classList.contains("condition-choices-filter")
    );
  }

  function showSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.scrollIntoView({ block: "start" });
      summary.focus();
    }
  }
  showSummary();

  form.addEventListener("click", function (event) {
    var link = event.target.closest("#error-summary a[href^='#']");
    if (!link) {
      return;
    }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (field) {
      event.preventDefault();
      field.scrollIntoView({ block: "center" });
      field.focus();
    }
  });

  // The filter box of a long list narrows the list as you type. It is not a
  // field of the segment: its events stop at the form (capture phase), so
  // they neither ask for an estimate nor count as an edit.
  function filterList(box) {
    var wanted = box.value.trim().toLowerCase();
    var list = document.getElementById(box.getAttribute("aria-controls"));
    if (!list) {
      return;
    }
    list.querySelectorAll(".form-check").forEach(function (item) {
      item.hidden =
        wanted !== "" && item.textContent.toLowerCase().indexOf(wanted) === -1;
    });
  }
  ["input", "change"].forEach(function (type) {
    form.addEventListener(
      type,
      function (event) {
        if (isFilter(event.target)) {
          event.stopPropagation();
          filterList(event.target);
        }
      },
      true
    );
  });
  form.addEventListener(
    "keydown",
    function (event) {
      if (isFilter(event.target) && event.key === "Enter") {
        event.preventDefault(); // Enter filters; it does not submit the form
      }
    },
    true
  );

  // The values chosen, listed under the list as the partner checks them.
  form.addEventListener("change", function (event) {
    var group = event.target.closest && event.target.closest(".condition-choices");
    if (!group || event.target.type !== "checkbox") {
      return;
    }
    var chosen = [];
    group.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
      var label = group.querySelector("label[for='" + box.id + "']");
      chosen.push(label ? label.textContent : box.value);
    });
    var line = group.querySelector(".condition-choices-chosen");
    if (line) {
      line.textContent = chosen.length
        ? line.getAttribute("data-chosen").replace("%(values)s", chosen.join(", "))
        : line.getAttribute("data-empty");
    }
  });

  // A failed Save posted by htmx answers 400 with the form to show again
  // (HX-Retarget): swap its fields in, so its error summary shows and takes focus.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status === 400 && xhr.getResponseHeader("HX-Retarget") === "#segment-fields") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();

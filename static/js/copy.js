// Copy buttons: <button data-copy="ID" data-copied="Copied"> copies the value
// of the field with that id, selects it (so that Ctrl-C works where the
// clipboard API is refused) and says so on the button for two seconds.
(function () {
  "use strict";

  function copy(button) {
    var field = document.getElementById(button.dataset.copy);
    if (!field) {
      return;
    }
    field.focus();
    field.select();
    var done = function () {
      var label = button.dataset.label || (button.dataset.label = button.textContent);
      button.textContent = button.dataset.copied || label;
      window.setTimeout(function () {
        button.textContent = label;
      }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {});
    } else if (document.execCommand && document.execCommand("copy")) {
      done();
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (button) {
      copy(button);
    }
  });
})();

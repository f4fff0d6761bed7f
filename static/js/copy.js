// Copy buttons: <button data-copy="ID"> copies the field #ID with the Clipboard API and says
// so in #ID-status (aria-live); without the API (or refused) it selects the text instead.
(function () {
  "use strict";
  if (window.copyButtonsReady) return; // the script may be included twice on one page
  window.copyButtonsReady = true;

  function say(button, text) {
    var status = document.getElementById(button.dataset.copy + "-status");
    if (!status) return;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50); // announced again
  }

  function select(button, field) {
    field.focus();
    field.select();
    say(button, button.dataset.selected);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.dataset.copy);
    if (!field) return;
    if (!navigator.clipboard || !window.isSecureContext) {
      select(button, field);
      return;
    }
    navigator.clipboard.writeText(field.value).then(
      function () { say(button, button.dataset.copied); },
      function () { select(button, field); }
    );
  });
})();

// Quick exit: leave for a neutral page and replace this page in the history, so the Back
// button does not return here. Works on the button and on the Escape key.
(function () {
  "use strict";
  var button = document.querySelector("[data-quick-exit]");
  if (!button) {
    return;
  }
  var target = button.getAttribute("href");
  function leave(event) {
    if (event) {
      event.preventDefault();
    }
    document.body.style.display = "none";
    window.location.replace(target);
  }
  button.addEventListener("click", leave);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" || event.key === "Esc") {
      leave(event);
    }
  });
})();

// Quick exit: leave for a neutral page at once and leave nothing behind. Every form on the
// page is emptied first, the page is hidden, and the neutral page replaces this one in
// the history, so Back does not return here. The server sends these pages with no-store,
// so Back to an earlier page of the form fetches it afresh (an empty form); the form
// carries autocomplete="off", so the browser restores no typed text into it. A page
// brought back from the back-forward cache is emptied as well. Works on the button and
// on the Escape key.
(function () {
  "use strict";
  var button = document.querySelector("[data-quick-exit]");
  if (!button) {
    return;
  }
  var target = button.getAttribute("href");

  function emptyForms() {
    var forms = document.querySelectorAll("form[data-report-form], form[method=post]");
    Array.prototype.forEach.call(forms, function (form) {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.type === "hidden" || field.type === "submit" || field.type === "button") {
          return;
        }
        if (field.type === "checkbox" || field.type === "radio") {
          field.checked = false;
        } else if (field.tagName === "SELECT") {
          field.selectedIndex = 0;
        } else {
          field.value = "";
        }
      });
    });
  }

  function leave(event) {
    if (event) {
      event.preventDefault();
    }
    emptyForms();
    document.body.classList.add("leaving");
    window.location.replace(target);
  }

  button.addEventListener("click", leave);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" || event.key === "Esc") {
      leave(event);
    }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      emptyForms();
      document.body.classList.remove("leaving");
    }
  });
})();

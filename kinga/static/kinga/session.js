/* Warn before the idle session ends, and let the user stay signed in (issue 13 point 6).
   Without JavaScript, the page says the same in a <noscript> note. No inline script: the
   content-security policy allows scripts from this site only. */
(function () {
  "use strict";
  var box = document.getElementById("session-warning");
  var seconds = parseInt(document.body.getAttribute("data-session-seconds") || "0", 10);
  if (!box || !seconds) {
    return;
  }
  var warnBefore = Math.min(120, Math.floor(seconds / 4));
  var timer = null;
  function arm() {
    window.clearTimeout(timer);
    box.hidden = true;
    timer = window.setTimeout(function () {
      box.hidden = false;
    }, (seconds - warnBefore) * 1000);
  }
  box.querySelector("button").addEventListener("click", function () {
    window.fetch(box.getAttribute("data-keepalive"), { credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 204) {
          arm();
        }
      });
  });
  arm();
}());

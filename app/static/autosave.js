// Autosave's status line when a background save (htmx, see section.html) never got an answer:
// the network is down or the service did not answer. What was typed stays on the page, and
// the next change tries again. Served from /static like htmx (the CSP allows 'self' only).
(function () {
  "use strict";
  function say(event, text) {
    var form = event.detail && event.detail.elt;
    var status = document.getElementById("autosave-status");
    if (!form || form.id !== "section-form" || !status) {
      return;
    }
    var line = document.createElement("p");
    line.className = "govuk-body govuk-!-font-weight-bold govuk-!-margin-bottom-0";
    line.textContent = text;
    status.replaceChildren(line);
  }
  document.addEventListener("htmx:sendError", function (event) {
    say(event, "Not saved: the service cannot be reached. What you typed is still on this " +
      "page; it will be saved when you next type, or press Save when you are back online.");
  });
  document.addEventListener("htmx:responseError", function (event) {
    say(event, "Not saved: the service could not save just now. What you typed is still on " +
      "this page; press Save to try again.");
  });
})();

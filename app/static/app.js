/* The service's own script: small conveniences on top of pages that work without it.
   Loaded from 'self' (the Content-Security-Policy allows no inline script and no eval).
   - "Today" and "Now" buttons beside date boxes fill in the UK date (and time).
   - After htmx adds or removes a row, focus moves to the new row's first field (or to the
     list's heading after a removal) and the change is announced in the live region. */
(function () {
  "use strict";
  document.documentElement.classList.add("app-js");

  function announce(text) {
    var region = document.getElementById("app-announce");
    if (!region) return;
    // Emptied first, so the same words said twice are announced twice.
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  // The date and time now in the UK, whatever the computer's own time zone.
  function ukNow() {
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London", year: "numeric", month: "numeric", day: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(new Date()).forEach(function (part) { parts[part.type] = part.value; });
    return parts;
  }

  function fill(input, value) {
    if (!input) return;
    input.value = value;
    // As if typed, for anything listening (autosave).
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-app-fill]");
    if (!button) return;
    event.preventDefault();
    var key = button.getAttribute("data-app-fill");
    var now = ukNow();
    fill(document.getElementById(key), String(Number(now.day)));
    fill(document.getElementById(key + "-month"), String(Number(now.month)));
    fill(document.getElementById(key + "-year"), now.year);
    var time = document.getElementById(key + "-time");
    var said = now.day + " " + now.month + " " + now.year;
    if (time) {
      fill(time, now.hour + ":" + now.minute);
      said += " " + now.hour + ":" + now.minute;
    }
    announce("Filled in " + said);
  });

  // A rows block swapped in after adding or removing a row says what changed and where
  // focus goes (data-app-announce, data-app-focus-row or data-app-focus).
  document.addEventListener("htmx:afterSettle", function () {
    var block = document.querySelector(".app-rows[data-app-announce]");
    if (!block) return;
    var target = null;
    var row = block.getAttribute("data-app-focus-row");
    if (row) {
      var found = document.getElementById(row);
      target = found && found.querySelector(
        "input:not([type=hidden]), select, textarea");
    } else {
      target = document.getElementById(block.getAttribute("data-app-focus"));
    }
    announce(block.getAttribute("data-app-announce"));
    block.removeAttribute("data-app-announce");
    if (target) target.focus();
  });
})();

// The series form's small repeat-rule editor: frequency, interval, weekdays and "nth weekday
// of the month" build the RRULE text into the cadence field, and a rule typed into that
// field is read back into the editor when it can show it. Without JavaScript the editor
// stays hidden and the rule is typed by hand; the server checks it either way.
(function () {
  "use strict";
  var field = document.getElementById("f-cadence_rrule");
  var editor = document.getElementById("rrule-editor");
  if (!field || !editor) return;
  var freq = document.getElementById("rr-freq");
  var interval = document.getElementById("rr-interval");
  var nth = document.getElementById("rr-nth");
  var days = Array.prototype.slice.call(editor.querySelectorAll(".rr-day"));

  function build() {
    if (!freq.value) return "";
    var parts = ["FREQ=" + freq.value];
    var every = parseInt(interval.value, 10);
    if (every > 1) parts.push("INTERVAL=" + every);
    var ticked = days.filter(function (d) { return d.checked; }).map(function (d) { return d.value; });
    var prefix = freq.value === "MONTHLY" ? nth.value : "";
    if (ticked.length) parts.push("BYDAY=" + ticked.map(function (d) { return prefix + d; }).join(","));
    return parts.join(";");
  }

  // Show a rule in the editor; false when it holds parts the editor cannot show.
  function read(rule) {
    var values = {};
    rule.toUpperCase().replace(/^RRULE:/, "").split(";").forEach(function (part) {
      var pair = part.split("=");
      if (pair.length === 2) values[pair[0].trim()] = pair[1].trim();
    });
    var known = ["FREQ", "INTERVAL", "BYDAY"];
    if (Object.keys(values).some(function (k) { return known.indexOf(k) < 0; })) return false;
    if (values.FREQ && values.FREQ !== "WEEKLY" && values.FREQ !== "MONTHLY") return false;
    var byday = values.BYDAY ? values.BYDAY.split(",") : [];
    var prefixes = byday.map(function (d) { return d.slice(0, -2); });
    if (prefixes.some(function (p) { return p !== prefixes[0] || ["", "1", "2", "3", "4", "-1"].indexOf(p) < 0; })) return false;
    if (prefixes.length && prefixes[0] && values.FREQ !== "MONTHLY") return false;
    freq.value = values.FREQ || "";
    interval.value = values.INTERVAL || "1";
    nth.value = prefixes[0] || "";
    var codes = byday.map(function (d) { return d.slice(-2); });
    days.forEach(function (d) { d.checked = codes.indexOf(d.value) >= 0; });
    return true;
  }

  function sync() {
    nth.disabled = freq.value !== "MONTHLY";
    editor.classList.toggle("unreadable", false);
  }

  editor.hidden = false;
  if (!read(field.value)) editor.classList.add("unreadable");
  sync();
  editor.addEventListener("change", function () {
    field.value = build();
    sync();
  });
  interval.addEventListener("input", function () { field.value = build(); });
  field.addEventListener("input", function () {
    editor.classList.toggle("unreadable", !read(field.value));
    nth.disabled = freq.value !== "MONTHLY";
  });
})();

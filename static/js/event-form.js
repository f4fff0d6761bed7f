// The event form: live conflict findings while the user types (each suggestion moves the
// event with one click), searchable co-host/organizer/speaker lists (Tom Select, when it
// loaded) and a dialog adding a new speaker. Without this script the form still works.
(function () {
  "use strict";
  var form = document.getElementById("event-form");
  if (!form) return;
  var box = document.getElementById("findings");
  var timer = null;
  var latest = 0;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var en = document.documentElement.lang === "en";
  var words = en
    ? { error: "Error", warning: "Warning", ok: "No conflicts found.", free: "Free instead:",
        title: "Conflict check", none: "No other time or venue within two weeks clears every error.",
        empty: "No match", failed: "The speaker could not be added." }
    : { error: "错误", warning: "提醒", ok: "未发现冲突。", free: "可改为：", title: "冲突检查",
        none: "两周内没有能消除全部错误的其他时间或场地。", empty: "没有匹配项",
        failed: "未能添加讲者。" };
  var SUGGESTING = ["venue_overlap", "speaker_overlap", "capacity"];
  var pickers = {};

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function suggestionButton(f, s) {
    var label = s.start.slice(0, 16).replace("T", " ") + "–" + s.end.slice(11, 16) +
      (s.venue ? " · " + s.venue.name : "");
    var button = el("button", "suggestion", label);
    button.type = "button";
    // The whole event moves by this much (every occurrence of a repeating one).
    button.dataset.shift = String(Date.parse(s.start) - Date.parse(f.occurrence_start));
    button.dataset.venue = s.venue ? s.venue.id : "";
    return button;
  }

  function show(data) {
    box.textContent = "";
    if (data.error) {
      box.appendChild(el("p", "muted", data.error));
      return;
    }
    if (!data.findings.length) {
      box.appendChild(el("p", "ok", words.ok));
      return;
    }
    box.appendChild(el("h2", null, words.title));
    var list = el("ul");
    data.findings.forEach(function (f) {
      var item = el("li", "finding " + f.severity);
      item.appendChild(el("strong", null, f.severity === "error" ? words.error : words.warning));
      item.appendChild(document.createTextNode(" " + f.message));
      if (f.suggestions.length && f.occurrence_start) {
        var row = el("div", "suggestions", words.free + " ");
        f.suggestions.forEach(function (s) { row.appendChild(suggestionButton(f, s)); });
        item.appendChild(row);
      } else if (f.severity === "error" && SUGGESTING.indexOf(f.rule) >= 0) {
        item.appendChild(el("div", "suggestions muted", words.none));
      }
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function check() {
    var ticket = ++latest;
    fetch(form.dataset.checkUrl, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-CSRFToken": csrf },
      credentials: "same-origin",
    })
      .then(function (r) { return r.json(); })
      .then(function (json) { if (ticket === latest) show(json); })
      .catch(function () {});
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  }

  // "2031-06-06T09:00" (or a date alone, all day) moved by ``ms`` milliseconds: wall-clock
  // arithmetic, done in UTC so the browser's own zone plays no part.
  function moved(value, ms) {
    if (!value) return value;
    var dateOnly = value.length === 10;
    var at = new Date(Date.parse(value + (dateOnly ? "T00:00" : "") + "Z") + ms).toISOString();
    return dateOnly ? at.slice(0, 10) : at.slice(0, 16);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  box.addEventListener("click", function (event) {
    var button = event.target.closest("button.suggestion");
    if (!button) return;
    var shift = Number(button.dataset.shift) || 0;
    form.elements.start.value = moved(form.elements.start.value, shift);
    form.elements.end.value = moved(form.elements.end.value, shift);
    if (button.dataset.venue) {
      var option = form.querySelector('#f-venue option[data-id="' + button.dataset.venue + '"]');
      if (option) form.elements.venue.value = option.value;
    }
    check();
  });

  // Searchable multi-selects: type part of a name, pick with Enter or a click.
  if (window.TomSelect) {
    form.querySelectorAll("select[data-searchable]").forEach(function (select) {
      pickers[select.id] = new window.TomSelect(select, {
        plugins: ["remove_button"],
        maxOptions: null,
        closeAfterSelect: true,
        openOnFocus: false,
        searchField: ["text", "value"],
        render: { no_results: function () { return '<div class="no-results">' + words.empty + "</div>"; } },
      });
      // The label now names the search box; the hidden select keeps its name too.
      var label = document.getElementById(select.id + "-ts-label");
      if (label) select.setAttribute("aria-labelledby", label.id);
    });
  }

  // Add a speaker without leaving the form (the link opens a plain page without script).
  var link = document.getElementById("add-speaker");
  var dialog = document.getElementById("speaker-dialog");
  var speakerForm = document.getElementById("speaker-form");
  var problem = document.getElementById("speaker-error");
  if (link && dialog && dialog.showModal) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      problem.hidden = true;
      dialog.showModal();
      speakerForm.elements.name.focus();
    });
    document.getElementById("speaker-cancel").addEventListener("click", function () {
      dialog.close();
    });
    speakerForm.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(speakerForm.action, {
        method: "POST",
        body: new FormData(speakerForm),
        headers: { "X-CSRFToken": csrf, Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (r) { return r.json().catch(function () { return {}; }); })
        .then(function (json) {
          if (!json.slug) throw new Error(json.error || words.failed);
          choose(json);
          speakerForm.reset();
          dialog.close();
          document.getElementById("speaker-status").textContent = json.message;
          later();
        })
        .catch(function (error) {
          problem.textContent = error.message || words.failed;
          problem.hidden = false;
        });
    });
  }

  function choose(person) {
    var picker = pickers["f-speakers"];
    if (picker) {
      picker.addOption({ value: person.slug, text: person.label });
      picker.addItem(person.slug);
      return;
    }
    var select = document.getElementById("f-speakers");
    var option = select.querySelector('option[value="' + CSS.escape(person.slug) + '"]');
    if (!option) {
      option = new Option(person.label, person.slug);
      select.appendChild(option);
    }
    option.selected = true;
  }

  if (form.elements.start.value) check();
})();

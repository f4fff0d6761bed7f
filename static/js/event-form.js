// Live conflict findings on the event form: ask the server while the user types, show what
// it finds, and let each suggested free slot fill in the form with one click.
(function () {
  "use strict";
  var form = document.getElementById("event-form");
  if (!form) return;
  var box = document.getElementById("findings");
  var timer = null;
  var latest = 0;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var lang = document.documentElement.lang;
  var words = lang === "en"
    ? { error: "Error", warning: "Warning", ok: "No conflicts found.", free: "Free instead:", title: "Conflict check" }
    : { error: "错误", warning: "提醒", ok: "未发现冲突。", free: "可改为：", title: "冲突检查" };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
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
      if (f.suggestions.length) {
        var row = el("div", "suggestions", words.free + " ");
        f.suggestions.forEach(function (s) {
          var label = s.start.slice(0, 16).replace("T", " ") + "–" + s.end.slice(11, 16) +
            (s.venue ? " · " + s.venue.name : "");
          var button = el("button", "suggestion", label);
          button.type = "button";
          button.dataset.start = s.start.slice(0, 16);
          button.dataset.end = s.end.slice(0, 16);
          button.dataset.venue = s.venue ? s.venue.id : "";
          row.appendChild(button);
        });
        item.appendChild(row);
      }
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function check() {
    var ticket = ++latest;
    var data = new FormData(form);
    fetch(form.dataset.checkUrl, {
      method: "POST",
      body: data,
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

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  box.addEventListener("click", function (event) {
    var button = event.target.closest("button.suggestion");
    if (!button) return;
    form.elements.start.value = button.dataset.start;
    form.elements.end.value = button.dataset.end;
    if (button.dataset.venue) {
      var option = form.querySelector('#f-venue option[data-id="' + button.dataset.venue + '"]');
      if (option) form.elements.venue.value = option.value;
    }
    check();
  });
  if (form.elements.start.value) check();
})();

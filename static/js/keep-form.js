/* Keep a typed-in form when the network fails (vendored, no dependencies).
 *
 * A form with data-keep-form="<key>" is saved to localStorage as the member types and on submit. When the
 * page is opened again and a draft exists (the submit never got an answer), the draft is put back, with its
 * hidden client_id: sending it again cannot create a duplicate, the server answers with the stored record.
 * A page showing <span data-saved-client-id="..."> (the page the server redirects to after saving) deletes
 * the draft with that client_id.
 */
(function () {
  "use strict";
  var PREFIX = "lianhu-form:";

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function forget(store, clientId) {
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (!key || key.indexOf(PREFIX) !== 0) { continue; }
      try {
        var draft = JSON.parse(store.getItem(key));
        if (draft && draft.client_id === clientId) { store.removeItem(key); }
      } catch (e) { store.removeItem(key); }
    }
  }

  function collect(form) {
    var data = {};
    var fields = form.elements;
    for (var i = 0; i < fields.length; i++) {
      var el = fields[i];
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.type === "file" || el.type === "submit") { continue; }
      if (el.type === "checkbox" || el.type === "radio") {
        if (!data[el.name]) { data[el.name] = []; }
        if (el.checked) { data[el.name].push(el.value); }
      } else {
        data[el.name] = el.value;
      }
    }
    return data;
  }

  function restore(form, data) {
    var fields = form.elements;
    for (var i = 0; i < fields.length; i++) {
      var el = fields[i];
      if (!el.name || !(el.name in data) || el.name === "csrfmiddlewaretoken" || el.type === "file") { continue; }
      var value = data[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = Array.isArray(value) && value.indexOf(el.value) !== -1;
      } else if (typeof value === "string") {
        el.value = value;
      }
    }
  }

  function notice(form, text) {
    if (!text) { return; }
    var p = document.createElement("p");
    p.className = "msg msg-warning";
    p.setAttribute("role", "status");
    p.textContent = text;
    form.insertBefore(p, form.firstChild);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var store = storage();
    if (!store) { return; }
    var saved = document.querySelectorAll("[data-saved-client-id]");
    for (var s = 0; s < saved.length; s++) { forget(store, saved[s].getAttribute("data-saved-client-id")); }

    var forms = document.querySelectorAll("form[data-keep-form]");
    for (var f = 0; f < forms.length; f++) {
      (function (form) {
        var key = PREFIX + form.getAttribute("data-keep-form");
        var raw = store.getItem(key);
        // A form the server sent back with errors already holds what was typed: keep it as it is.
        if (raw && form.getAttribute("data-bound") !== "1") {
          try {
            restore(form, JSON.parse(raw));
            notice(form, form.getAttribute("data-restored-msg"));
          } catch (e) { store.removeItem(key); }
        }
        var save = function () {
          try { store.setItem(key, JSON.stringify(collect(form))); } catch (e) { /* storage full: ignore */ }
        };
        form.addEventListener("input", save);
        form.addEventListener("change", save);
        form.addEventListener("submit", save);
      })(forms[f]);
    }
  });
})();

/* Keep a typed-in form when the network fails (vendored, no dependencies).
 *
 * A form with data-keep-form="<key>" is saved to localStorage as the member types and on submit. When the
 * page is opened again and a draft exists (the submit never got an answer), the draft is put back, with its
 * hidden client_id: sending it again cannot create a duplicate, the server answers with the stored record.
 * A page showing <span data-saved-client-id="..."> (the page the server redirects to after saving) deletes
 * the draft with that client_id and remembers the id as saved: a form page that comes back with a saved id
 * (Back, bfcache) is fetched fresh instead of offering the sent form again. A second tap on "save" while
 * the first is on its way is ignored.
 */
(function () {
  "use strict";
  var PREFIX = "lianhu-form:";
  var SAVED = "lianhu-saved-ids";

  function savedIds(store) {
    try { return JSON.parse(store.getItem(SAVED)) || []; } catch (e) { return []; }
  }

  function remember(store, clientId) {
    var ids = savedIds(store);
    if (ids.indexOf(clientId) === -1) { ids.push(clientId); }
    try { store.setItem(SAVED, JSON.stringify(ids.slice(-30))); } catch (e) { /* full: ignore */ }
  }

  function alreadySaved(store, form) {
    var id = form.elements.client_id;
    return !!(id && id.value && savedIds(store).indexOf(id.value) !== -1);
  }

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
    for (var s = 0; s < saved.length; s++) {
      forget(store, saved[s].getAttribute("data-saved-client-id"));
      remember(store, saved[s].getAttribute("data-saved-client-id"));
    }

    var forms = document.querySelectorAll("form[data-keep-form]");
    for (var f = 0; f < forms.length; f++) {
      (function (form) {
        var key = PREFIX + form.getAttribute("data-keep-form");
        if (alreadySaved(store, form)) { window.location.replace(window.location.href); return; }
        var sending = false;
        form.addEventListener("submit", function (event) {
          if (sending) { event.preventDefault(); return; }
          sending = true;
          // The network may fail without leaving the page: allow a deliberate retry a little later.
          window.setTimeout(function () { sending = false; }, 8000);
        });
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

  // A page restored from the back/forward cache runs no DOMContentLoaded: check the form's id again.
  window.addEventListener("pageshow", function (event) {
    var store = storage();
    if (!event.persisted || !store) { return; }
    var forms = document.querySelectorAll("form[data-keep-form]");
    for (var f = 0; f < forms.length; f++) {
      if (alreadySaved(store, forms[f])) { window.location.replace(window.location.href); return; }
    }
  });
})();

/* Offline: pages kept by the service worker, contacts recorded without network queued on this phone.
 *
 * - registers /sw.js and asks it to keep 我的联系户 and the member's own household pages (the server marks
 *   which pages may be kept; ID numbers are never on them);
 * - the record form, submitted offline, is stored in IndexedDB under its client id (photos shrunk to at most
 *   1600 px with a canvas) and shown as "待上传 N 条"; it is sent to /api/contacts/ on every page load and on
 *   the `online` event, each exactly once (the server answers a repeated client id with the stored contact);
 * - a contact the server refuses stays with the server's reason until the member discards it;
 * - logging out, another login on this phone, or N days without reaching the server wipe it all.
 */
(function () {
  "use strict";
  var body = document.body;
  var user = body.getAttribute("data-user");
  var DB = "lianhu-offline";
  var SYNC = "lianhu-last-sync";
  var offlinePage = body.getAttribute("data-offline") === "1";

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore("outbox", { keyPath: "client_id" });
        req.result.createObjectStore("meta");
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function run(store, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode);
        var result = work(tx.objectStore(store));
        tx.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }
  function items() { return run("outbox", "readonly", function (s) { return s.getAll(); }); }

  function wipe() {
    try { localStorage.removeItem(SYNC); } catch (e) { /* ignore */ }
    var done = [new Promise(function (resolve) {
      var req = indexedDB.deleteDatabase(DB);
      req.onsuccess = req.onerror = req.onblocked = function () { resolve(); };
    })];
    if (window.caches) { done.push(caches.delete("lianhu-pages")); }
    return Promise.all(done);
  }

  function uuid() {
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function shrink(file) {
    return createImageBitmap(file).then(function (img) {
      var scale = Math.min(1, 1600 / Math.max(img.width, img.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(img.width * scale); canvas.height = Math.round(img.height * scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.8); });
    });
  }

  function queue(form) {
    var fields = [];
    for (var i = 0; i < form.elements.length; i++) {
      var el = form.elements[i];
      if (!el.name || el.type === "file" || el.type === "submit" || el.name === "csrfmiddlewaretoken") { continue; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { continue; }
      fields.push([el.name, el.type === "checkbox" && el.name === "found_problem" ? "true" : el.value]);
    }
    var files = form.querySelector("input[type=file]");
    var list = files ? Array.prototype.slice.call(files.files, 0, 3) : [];
    return Promise.all(list.map(shrink)).then(function (photos) {
      var item = {
        client_id: form.elements.client_id.value, household: form.getAttribute("data-household"),
        title: form.getAttribute("data-title"), fields: fields, photos: photos, queued_at: Date.now(), error: ""
      };
      return run("outbox", "readwrite", function (s) { s.put(item); });
    });
  }

  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (m) { return decodeURIComponent(m[1]); }
    var el = document.querySelector("input[name=csrfmiddlewaretoken]");
    return el ? el.value : "";
  }

  function reason(data) {
    /* A refusal is {"detail", "code", "field"} (grids/api_errors.py); input errors are {field: [messages]}. */
    if (data && typeof data.detail === "string") { return data.detail; }
    var out = [];
    (function walk(v) {
      if (typeof v === "string") { out.push(v); } else if (v && typeof v === "object") { for (var k in v) { walk(v[k]); } }
    })(data);
    return out.join(" ") || "服务器未接受";
  }

  var syncing = false;
  function sync() {
    if (syncing || !navigator.onLine || !user) { return Promise.resolve(); }
    syncing = true;
    return items().then(function (all) {
      return all.filter(function (i) { return !i.error; }).reduce(function (chain, item) {
        return chain.then(function () { return send(item); });
      }, Promise.resolve());
    }).catch(function () {}).then(function () { syncing = false; show(); });
  }
  function send(item) {
    var data = new FormData();
    item.fields.forEach(function (f) { data.append(f[0], f[1]); });
    if (item.household) { data.append("household", item.household); }
    item.photos.forEach(function (p, n) { data.append("photos", p, "photo" + n + ".jpg"); });
    return fetch(body.getAttribute("data-api-contacts"), {
      method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRFToken": csrf(), Accept: "application/json" }
    }).then(function (res) {
      if (res.status === 200 || res.status === 201) {
        try { localStorage.setItem(SYNC, String(Date.now())); } catch (e) { /* ignore */ }
        return run("outbox", "readwrite", function (s) { s.delete(item.client_id); });
      }
      if (res.status === 400) {
        return res.json().then(function (json) {
          item.error = reason(json);
          return run("outbox", "readwrite", function (s) { s.put(item); });
        });
      }
      /* 401/403 (logged out), 5xx: keep it pending and try again later. */
    }).catch(function () { /* still no network */ });
  }

  function show() {
    return items().then(function (all) {
      var box = document.getElementById("outbox");
      if (!box) { return; }
      box.textContent = "";
      box.hidden = all.length === 0;
      var pending = all.filter(function (i) { return !i.error; }).length;
      if (pending) {
        var p = document.createElement("p");
        p.className = "outbox-count";
        p.textContent = "待上传 " + pending + " 条";
        box.appendChild(p);
      }
      all.filter(function (i) { return i.error; }).forEach(function (item) {
        var row = document.createElement("div");
        row.className = "outbox-refused";
        row.textContent = "未被接受:" + (item.title || "") + " · " + item.error + " ";
        var drop = document.createElement("button");
        drop.type = "button"; drop.className = "btn"; drop.textContent = "丢弃";
        drop.addEventListener("click", function () {
          run("outbox", "readwrite", function (s) { s.delete(item.client_id); }).then(show);
        });
        row.appendChild(drop);
        box.appendChild(row);
      });
      var mark = document.querySelector("[data-pending-household]");
      if (mark) {
        mark.hidden = !all.some(function (i) { return !i.error && i.household === mark.getAttribute("data-pending-household"); });
      }
    }).catch(function () {});
  }

  if (!user) { return; }
  try {
    var last = Number(localStorage.getItem(SYNC) || 0);
    var days = Number(body.getAttribute("data-offline-days") || 7);
    var prev = localStorage.getItem("lianhu-user");
    if ((prev && prev !== user) || (last && Date.now() - last > days * 864e5)) { wipe(); }
    localStorage.setItem("lianhu-user", user);
    if (!offlinePage && navigator.onLine) { localStorage.setItem(SYNC, String(Date.now())); }
  } catch (e) { /* no storage */ }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").then(function () { return navigator.serviceWorker.ready; }).then(function (reg) {
      var links = document.querySelectorAll("[data-keep-offline]");
      if (!links.length || offlinePage || !reg.active) { return; }
      var urls = [];
      for (var i = 0; i < links.length; i++) { urls.push(links[i].getAttribute("data-keep-offline")); }
      // A little later: pages the member opens meanwhile are kept as they load, not fetched twice.
      window.setTimeout(function () { reg.active.postMessage({ precache: urls }); }, 3000);
    }).catch(function () {});
  }

  var form = document.getElementById("record-form");
  if (form && form.getAttribute("data-household")) {
    if (offlinePage) { form.elements.client_id.value = uuid(); }
    form.addEventListener("submit", function (event) {
      if (navigator.onLine) { return; }
      event.preventDefault();
      queue(form).then(function () {
        try {  /* the typed-in draft (static/js/keep-form.js) is now in the queue */
          for (var k = localStorage.length - 1; k >= 0; k--) {
            var key = localStorage.key(k);
            if (key && key.indexOf("lianhu-form:") === 0) { localStorage.removeItem(key); }
          }
        } catch (e) { /* ignore */ }
        window.location.href = form.getAttribute("data-back");
      });
    }, true);
  }

  var logout = document.querySelector("form.logout");
  if (logout) {
    logout.addEventListener("submit", function (event) {
      event.preventDefault();
      wipe().then(function () { logout.submit(); });
    });
  }

  window.addEventListener("online", sync);
  show().then(sync);
})();

/* Lianhu service worker (served at /sw.js by config.views.service_worker; no CDN, no library).
 *
 * Static files: from the cache, refreshed in the background. Pages: from the network; a page the server marks
 * with "X-Lianhu-Offline: 1" (我的联系户 and the member's own households, never anyone else's) is kept, and
 * shown from the cache when the network is gone, marked data-offline="1" so it says "离线 · 数据更新于 HH:MM".
 * The page script (static/js/offline.js) asks for the member's household pages to be stored and wipes them.
 */
"use strict";
var SHELL = "lianhu-shell-v1";
var PAGES = "lianhu-pages";
var SHELL_URLS = "__SHELL__";

self.addEventListener("install", function (event) {
  // force-cache: the files the first page just loaded come from the browser's cache, not the network again.
  event.waitUntil(caches.open(SHELL).then(function (c) {
    return Promise.all(SHELL_URLS.map(function (u) {
      return fetch(u, { cache: "force-cache" }).then(function (res) { if (res.ok) { return c.put(u, res); } });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("lianhu-shell-") === 0 && k !== SHELL; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function clean(url) { var u = new URL(url); return u.origin + u.pathname; }

function keep(request, response) {
  if (response.ok && !response.redirected && response.headers.get("X-Lianhu-Offline") === "1") {
    var copy = response.clone();
    caches.open(PAGES).then(function (c) { return c.put(clean(request.url), copy); });
  }
  return response;
}

function fromCache(request) {
  return caches.open(PAGES).then(function (c) { return c.match(clean(request.url)); }).then(function (hit) {
    if (hit) {
      return hit.text().then(function (html) {
        return new Response(html.replace('data-offline=""', 'data-offline="1"'),
          { headers: { "Content-Type": "text/html; charset=utf-8" } });
      });
    }
    return new Response('<!doctype html><html lang="zh-hans"><meta charset="utf-8">' +
      '<meta name="viewport" content="width=device-width, initial-scale=1"><title>离线</title>' +
      '<link rel="stylesheet" href="/static/css/lianhu.css"><main class="page"><section class="card">' +
      '<h1>离线</h1><p>没有网络,这一页没有保存在手机上。</p>' +
      '<p><a class="btn primary block" href="/visits/">我的联系户</a></p></section></main></html>',
      { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.open(SHELL).then(function (c) {
      return c.match(request).then(function (hit) {
        var fresh = fetch(request).then(function (res) { if (res.ok) { c.put(request, res.clone()); } return res; });
        if (hit) { fresh.catch(function () {}); return hit; }
        return fresh;
      });
    }));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).then(function (res) {
      return url.search ? res : keep(request, res);
    }).catch(function () { return fromCache(request); }));
  }
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.precache) {
    event.waitUntil(caches.open(PAGES).then(function (c) {
      return Promise.all(data.precache.map(function (u) {
        return c.match(self.location.origin + u).then(function (hit) {
          if (hit) { return; }  // kept already (refreshed whenever the member opens it online)
          return fetch(u, { credentials: "same-origin" });
        }).then(function (res) {
          if (!res) { return; }
          if (res.ok && !res.redirected && res.headers.get("X-Lianhu-Offline") === "1") { return c.put(clean(res.url), res); }
        }).catch(function () {});
      }));
    }));
  }
});

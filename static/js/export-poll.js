/* 我的导出: while an export is queued or running, look again every few seconds and show it when done.
 *
 * The table carries data-pending="1" while any job is unfinished. The page itself is fetched again (no
 * extra endpoint; the server decides what the user may see) and its table swapped in; polling slows down
 * (5 s, then up to 30 s) and stops when nothing is pending, after 30 minutes, or while the tab is hidden.
 * Without JavaScript, a <noscript> meta refresh does the same while something is pending.
 */
(function () {
  "use strict";
  var table = document.getElementById("jobs");
  if (!table || !window.fetch || !window.DOMParser) { return; }
  var delay = 5000;
  var started = Date.now();

  function pending() { return table.getAttribute("data-pending") === "1"; }

  function schedule() {
    if (!pending() || Date.now() - started > 30 * 60 * 1000) { return; }
    window.setTimeout(poll, delay);
    delay = Math.min(delay * 1.5, 30000);
  }

  function poll() {
    if (document.hidden) { schedule(); return; }
    window.fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html) {
          var fresh = new window.DOMParser().parseFromString(html, "text/html").getElementById("jobs");
          if (fresh) {
            table.replaceWith(fresh);
            table = fresh;
            var status = document.getElementById("jobs-status");
            if (status && !pending()) { status.textContent = status.getAttribute("data-done") || ""; }
          }
        }
        schedule();
      })
      .catch(schedule);
  }

  schedule();
})();

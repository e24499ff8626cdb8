/* Reveal one full phone or ID number on purpose: the button next to a masked number posts to
   members:reveal (which checks the permission and logs the reveal) and shows the answer in place.
   A static file, so a strict Content-Security-Policy needs no inline script. */
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) {
      return input.value;
    }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.lianhu-reveal") : null;
    if (!button) {
      return;
    }
    event.preventDefault();
    var output = document.getElementById(button.getAttribute("data-target"));
    button.disabled = true;
    fetch(button.getAttribute("data-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "XMLHttpRequest" },
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return { ok: response.ok, status: response.status, body: body };
        });
      })
      .then(function (result) {
        if (result.ok && output) {
          output.textContent = result.body.value || "—";
          button.parentNode.removeChild(button);
        } else {
          var note = document.createElement("span");
          note.className = "errornote";
          note.textContent = (result.body && result.body.error) || String(result.status || "");
          button.parentNode.replaceChild(note, button);
        }
      })
      .catch(function () {
        button.disabled = false;
      });
  });
})();

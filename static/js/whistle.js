/* Whistle form: the deadline field shows the chosen kind's default deadline until the user edits it. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var inputs = document.querySelectorAll("input[name=deadline][data-defaults]");
    for (var i = 0; i < inputs.length; i++) {
      (function (input) {
        var form = input.form;
        var kind = form && form.elements.kind;
        var defaults;
        try { defaults = JSON.parse(input.getAttribute("data-defaults")); } catch (e) { return; }
        if (!kind) { return; }
        input.addEventListener("input", function () { input.setAttribute("data-auto", "0"); });
        kind.addEventListener("change", function () {
          if (input.getAttribute("data-auto") === "1" && defaults[kind.value]) { input.value = defaults[kind.value]; }
        });
      })(inputs[i]);
    }
  });
})();

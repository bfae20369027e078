// Contact form: the answer to "did the member ask for confidentiality?" follows the
// detector's suggestion until the facilitator chooses one themselves. No inline script: this
// file is served from our own origin, like htmx.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.name === "request" && target.form && target.form.elements.request_touched) {
      target.form.elements.request_touched.value = "1";
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    var box = document.querySelector("#detection [data-suggested]");
    var form = document.querySelector("form.contact-form");
    if (!box || !form) {
      return;
    }
    var suggested = box.getAttribute("data-suggested");
    form.elements.suggested.value = suggested;
    if (form.elements.request_touched.value !== "1") {
      var radio = form.querySelector('input[name="request"][value="' + suggested + '"]');
      if (radio) {
        radio.checked = true;
      }
    }
  });
})();

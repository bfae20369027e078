// Sign-out warning. The server ends a sign-in after a time without activity and after a
// fixed limit (accounts.sessions); this script only keeps the page honest about it: it shows
// a notice shortly before the idle limit with a "Stay signed in" button (a request that counts
// as activity), and at the limit it goes to the login page instead of leaving health
// information on a screen nobody is watching. Typing or clicking on the page since the server
// last answered counts as activity too. No inline script: served from our own origin.
(function () {
  "use strict";
  var body = document.body;
  var statusUrl = body.getAttribute("data-session-url");
  var box = document.getElementById("session-warning");
  if (!statusUrl || !box) {
    return;
  }
  var loginUrl = body.getAttribute("data-login-url");
  var idleLimit = Number(body.getAttribute("data-idle-limit"));
  var warnBefore = Number(body.getAttribute("data-warn-before")) * 1000;
  var countdown = box.querySelector("[data-countdown]");
  var stay = box.querySelector("[data-stay]");
  var idleEnds = 0;
  var absoluteEnds = 0;
  var timer = null;
  var ticker = null;
  var lastSync = 0; // when the server last told us the time left
  var lastInput = 0; // when someone last typed or clicked on this page

  // Typing a long note is activity the server cannot see: it keeps the sign-in alive too.
  ["keydown", "pointerdown", "input"].forEach(function (type) {
    document.addEventListener(
      type,
      function () {
        lastInput = Date.now();
      },
      { capture: true, passive: true }
    );
  });

  function endsAt() {
    return Math.min(idleEnds, absoluteEnds);
  }

  function kind() {
    return absoluteEnds <= idleEnds ? "absolute" : "idle";
  }

  function setDeadlines(idleLeft, absoluteLeft) {
    var now = Date.now();
    lastSync = now;
    idleEnds = now + idleLeft * 1000;
    absoluteEnds = now + absoluteLeft * 1000;
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    var now = Date.now();
    if (now >= endsAt()) {
      check();
    } else if (now >= endsAt() - warnBefore) {
      if (kind() === "idle" && lastInput > lastSync) {
        ask("POST").then(answer, check); // someone is here: stay signed in without asking
        return;
      }
      show();
      timer = setTimeout(check, endsAt() - now);
    } else {
      hide();
      timer = setTimeout(schedule, endsAt() - warnBefore - now);
    }
  }

  function tick() {
    var left = Math.max(0, Math.ceil((endsAt() - Date.now()) / 1000));
    countdown.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
  }

  function show() {
    var which = kind();
    box.querySelectorAll("[data-when]").forEach(function (element) {
      element.hidden = element.getAttribute("data-when") !== which;
    });
    tick();
    clearInterval(ticker);
    ticker = setInterval(tick, 1000);
    // Shown without taking the focus: someone typing a long note must not type into it.
    box.hidden = false;
  }

  function hide() {
    box.hidden = true;
    clearInterval(ticker);
  }

  function csrfToken() {
    try {
      return JSON.parse(body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (error) {
      return "";
    }
  }

  // GET asks without counting as activity; POST is "stay signed in". null: signed out.
  function ask(method) {
    var headers = { Accept: "application/json" };
    if (method === "POST") {
      headers["X-CSRFToken"] = csrfToken();
    }
    return fetch(statusUrl, { method: method, credentials: "same-origin", headers: headers }).then(
      function (response) {
        if (response.status === 401) {
          return null;
        }
        if (!response.ok) {
          throw new Error("session status " + response.status);
        }
        return response.json();
      }
    );
  }

  function signedOut(which) {
    var next = window.location.pathname + window.location.search;
    window.location.assign(
      loginUrl + "?expired=" + which + "&next=" + encodeURIComponent(next)
    );
  }

  function answer(data) {
    if (!data || Math.min(data.idle_seconds, data.absolute_seconds) <= 0) {
      signedOut(data && data.absolute_seconds <= 0 ? "absolute" : kind());
    } else {
      setDeadlines(data.idle_seconds, data.absolute_seconds);
    }
  }

  // At the limit, ask the server: another tab may have kept the sign-in alive.
  function check() {
    ask("GET").then(answer, function () {
      timer = setTimeout(check, 10000);
    });
  }

  stay.addEventListener("click", function () {
    ask("POST").then(answer, function () {
      check();
    });
  });

  // htmx requests are activity too; the server restarts its timer at most once a minute.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful) {
      idleEnds = Math.max(idleEnds, Date.now() + Math.max(idleLimit - 60, 0) * 1000);
      schedule();
    }
  });

  setDeadlines(
    Number(body.getAttribute("data-idle-left")),
    Number(body.getAttribute("data-absolute-left"))
  );
})();

// Passkeys (WebAuthn): making one on the account's passkey page, and signing in with one on
// the login page (no password) and the code page (in place of a code).
//
// Each box marked data-passkey="create" or "get" holds a button (data-passkey-start), a form
// (data-passkey-form) with a hidden "credential" field, and a place for messages
// (data-passkey-message). The options come from the server as JSON, either in data-options
// or by a POST to data-options-url; their binary fields are base64url text (py_webauthn's
// options_to_json), while the browser's API takes and gives ArrayBuffers, so this file
// converts both ways. The authenticator's answer goes back as JSON in the form, an ordinary
// POST with its CSRF token. The challenge never leaves the server's session except in the
// options. No inline script (CSP): served from our own origin.
(function () {
  "use strict";

  function fromBase64url(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      var descriptor = { type: item.type, id: fromBase64url(item.id) };
      if (item.transports) {
        descriptor.transports = item.transports;
      }
      return descriptor;
    });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = fromBase64url(json.challenge);
    options.user = Object.assign({}, json.user, { id: fromBase64url(json.user.id) });
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = fromBase64url(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  // The answer in the JSON form of WebAuthn Level 3 (what PublicKeyCredential.toJSON() gives
  // where browsers have it), which the server parses.
  function answerJSON(credential) {
    var response = credential.response;
    var out = { clientDataJSON: toBase64url(response.clientDataJSON) };
    if (response.attestationObject) {
      out.attestationObject = toBase64url(response.attestationObject);
      out.transports =
        typeof response.getTransports === "function" ? response.getTransports() : [];
    } else {
      out.authenticatorData = toBase64url(response.authenticatorData);
      out.signature = toBase64url(response.signature);
      if (response.userHandle) {
        out.userHandle = toBase64url(response.userHandle);
      }
    }
    var answer = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: out,
      clientExtensionResults:
        typeof credential.getClientExtensionResults === "function"
          ? credential.getClientExtensionResults()
          : {},
    };
    if (credential.authenticatorAttachment) {
      answer.authenticatorAttachment = credential.authenticatorAttachment;
    }
    return JSON.stringify(answer);
  }

  // An error whose message the server wrote for the person at the screen.
  function Refusal(message) {
    this.name = "Refusal";
    this.message = message;
  }

  function loadOptions(box, form) {
    var inline = box.getAttribute("data-options");
    if (inline) {
      return Promise.resolve(JSON.parse(inline));
    }
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    return fetch(box.getAttribute("data-options-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, Accept: "application/json" },
    }).then(function (answer) {
      return answer.json().then(function (body) {
        if (!answer.ok) {
          throw new Refusal(body.error || "groupguard refused the request. Reload the page.");
        }
        return body;
      });
    });
  }

  function explain(error, kind) {
    if (error instanceof Refusal) {
      return error.message;
    }
    switch (error && error.name) {
      case "NotAllowedError":
      case "AbortError":
        return "The passkey request was cancelled or no passkey answered in time. Try again.";
      case "InvalidStateError":
        return kind === "create"
          ? "This device already has a passkey for your account."
          : "This device could not use its passkey. Try again.";
      case "SecurityError":
        return "Passkeys do not work at this address: they need the site's own name over HTTPS.";
      case "NotSupportedError":
        return "This device cannot make the kind of passkey groupguard needs (one it keeps with your account, unlocked by a fingerprint, face or PIN).";
      case "TypeError":
        return "groupguard could not be reached. Check your connection and try again.";
      default:
        return "Your browser could not use a passkey here. Try again.";
    }
  }

  function setUp(box) {
    var kind = box.getAttribute("data-passkey");
    var start = box.querySelector("[data-passkey-start]");
    var form = box.querySelector("[data-passkey-form]");
    var message = box.querySelector("[data-passkey-message]");
    if (!start || !form || !message) {
      return;
    }
    box.hidden = false;

    function say(text) {
      message.textContent = text;
      message.hidden = false;
    }

    if (!window.PublicKeyCredential || !navigator.credentials) {
      start.disabled = true;
      say(box.getAttribute("data-unsupported"));
      return;
    }

    function begin() {
      start.disabled = true;
      message.hidden = true;
      loadOptions(box, form)
        .then(function (json) {
          return kind === "create"
            ? navigator.credentials.create({ publicKey: creationOptions(json) })
            : navigator.credentials.get({ publicKey: requestOptions(json) });
        })
        .then(function (credential) {
          if (!credential) {
            throw new Error("no credential");
          }
          form.querySelector("input[name=credential]").value = answerJSON(credential);
          form.submit(); // a real navigation: the server answers with the next page
        })
        .catch(function (error) {
          start.disabled = false;
          say(explain(error, kind));
        });
    }

    start.addEventListener("click", begin);
    // Enter in the name field starts the ceremony instead of posting an empty answer.
    form.addEventListener("submit", function (event) {
      if (!form.querySelector("input[name=credential]").value) {
        event.preventDefault();
        begin();
      }
    });
  }

  document.querySelectorAll("[data-passkey]").forEach(setUp);
})();

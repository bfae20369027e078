"""The second step of sign-in (a code, or a passkey), and setting up an authenticator app
(accounts.mfa)."""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from groupguard.accounts import actions, mfa, sessions
from groupguard.accounts.demo_accounts import is_demo_account
from groupguard.accounts.models import User
from groupguard.audit.middleware import client_ip
from groupguard.lockout.actions import record_failure
from groupguard.passkeys import actions as passkey_actions
from groupguard.passkeys import selectors as passkey_selectors
from groupguard.passkeys import session as passkey_session
from groupguard.passkeys.relying_party import for_request
from groupguard.web.forms import apply_errors
from groupguard.web.security import refuse_if_locked_out
from groupguard.web.views.common import login_required, staff_user


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=32,
        label="Code",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


# Why a passkey did not sign someone in, in words for them (passkeys.actions.SignIn.reason).
PASSKEY_REFUSALS = {
    "expired": "That passkey request has expired or was used already. Try again.",
    "malformed": "That passkey did not sign you in. Try again.",
    "unknown": "That passkey is not set up for this account. Try another, or use a code.",
    "invalid": "That passkey did not sign you in. Try again.",
    "not_allowed": "That passkey did not sign you in. Try again.",
    "no_authenticator": (
        "Your two-step sign-in was reset: sign in with your password and set up your "
        "authenticator app again before using a passkey."
    ),
}


def next_url(request: HttpRequest) -> str:
    """Where to go after this step: the page asked for, if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("dashboard")


def with_next(name: str, target: str) -> str:
    return f"{reverse(name)}?next={quote(target, safe='/')}"


def demo_code(user: User) -> str | None:
    """In demo mode only, the current code of a demo account's published authenticator."""
    if not (settings.DEMO_MODE and is_demo_account(user)):
        return None
    device = mfa.authenticator(user)
    return mfa.current_code(device) if device is not None else None


@require_http_methods(["GET", "POST"])
@login_required
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """The code step: a code from the authenticator app or a recovery code, or, for a user
    with a passkey, the passkey (posted by web/static/web/passkeys.js as ``credential``)."""
    user = staff_user(request)
    target = next_url(request)
    if mfa.is_verified(request):
        return redirect(target)
    if not mfa.has_authenticator(user):
        return redirect(with_next("mfa_setup", target))
    with_passkey = request.method == "POST" and "credential" in request.POST
    form = CodeForm(request.POST if request.method == "POST" and not with_passkey else None)
    passkey_error = ""
    if request.method == "POST":
        # The same lockout as the password step: per name and client, and per name.
        refused = refuse_if_locked_out(request, user.get_username())
        if refused is not None:
            return refused
    if with_passkey:
        signed = passkey_actions.finish_authentication(
            request.POST["credential"], session=request.session, user=user
        )
        if signed.passkey is not None:
            mfa.mark_verified(request, signed.passkey)
            passkey_session.mark_confirmed(request.session)
            return redirect(target)
        record_failure(username=user.get_username(), client=client_ip(request))
        passkey_error = PASSKEY_REFUSALS.get(signed.reason, PASSKEY_REFUSALS["invalid"])
    if request.method == "POST" and form.is_valid():
        result = actions.check_code(user, form.cleaned_data["code"])
        if result.device is None:
            record_failure(username=user.get_username(), client=client_ip(request))
        if result.device is not None:
            mfa.mark_verified(request, result.device)
            # A second step just taken: enough to add or remove a passkey for a few minutes.
            passkey_session.mark_confirmed(request.session)
            if result.method == "recovery_code":
                left = mfa.recovery_codes_left(user)
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. Lost your phone? Set up "
                    "a new authenticator under Account.",
                )
            return redirect(target)
        if result.wait_seconds:
            form.add_error(
                "code", f"Too many wrong codes: wait {result.wait_seconds} s, then try again."
            )
        else:
            form.add_error(
                "code",
                "That code is wrong or was used already (each code works once): "
                "type the code your app shows now.",
            )
    # A fresh challenge at each showing of the page: the one before is spent or forgotten.
    passkey_options = (
        passkey_actions.begin_authentication(user, session=request.session, rp=for_request(request))
        if passkey_selectors.has_passkey(user=user)
        else None
    )
    return render(
        request,
        "web/mfa_verify.html",
        {
            "form": form,
            "next": target,
            "demo_code": demo_code(user),
            "passkey_options": passkey_options,
            "passkey_error": passkey_error,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator: the first one at first sign-in, or a new one later, which
    takes the password and a code from the old one first (account.security)."""
    user = staff_user(request)
    target = next_url(request)
    replacing = mfa.has_authenticator(user)
    if replacing:
        if not mfa.is_verified(request):
            return redirect(with_next("mfa_verify", target))
        if not sessions.recently_reauthenticated(request.session):
            messages.info(
                request, "To set up a new authenticator, give your password and a code first."
            )
            return redirect("account_security")
    device = mfa.pending_authenticator(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = actions.confirm_authenticator(
                device,
                form.cleaned_data["code"],
                acting_user=user,
                keep_session=request.session.session_key,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            sessions.end_reauthentication(request.session)
            mfa.mark_verified(request, device)
            return render(
                request,
                "web/mfa_recovery_codes.html",
                {"codes": codes, "next": target, "replaced": replacing},
            )
    return render(
        request,
        "web/mfa_setup.html",
        {
            "form": form,
            "next": target,
            "replacing": replacing,
            "qr": mfa.qr_svg(device),
            "secret": mfa.secret_text(device),
        },
    )

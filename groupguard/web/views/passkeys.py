"""Passkeys: the account's list (add, rename, remove) and sign-in with a passkey alone.

The second step with a passkey, after the password, is on the code page (``web.views.mfa``).
The browser's half of each ceremony is ``web/static/web/passkeys.js``: it asks for options,
has the authenticator answer, and posts the answer as JSON in an ordinary form.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from groupguard.accounts import mfa
from groupguard.audit.middleware import client_ip
from groupguard.lockout.actions import record_failure
from groupguard.passkeys import actions, selectors
from groupguard.passkeys import session as passkey_session
from groupguard.passkeys.models import Passkey
from groupguard.passkeys.relying_party import for_request
from groupguard.web.security import refuse_if_locked_out
from groupguard.web.views.common import login_required, staff_user
from groupguard.web.views.mfa import PASSKEY_REFUSALS, next_url, with_next

NEED_CONFIRMATION = "To add or remove a passkey, give your password again first."


class ConfirmForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=4096,
    )


class RenameForm(forms.Form):
    name = forms.CharField(max_length=actions.NAME_MAX)


class AnswerForm(forms.Form):
    """What passkeys.js posts: the authenticator's answer as JSON (and, for a new passkey,
    the name typed beside the button)."""

    credential = forms.CharField(max_length=selectors.MAX_RESPONSE_CHARS, strip=False)
    name = forms.CharField(max_length=actions.NAME_MAX, required=False)


@require_http_methods(["GET", "POST"])
@login_required
def passkey_list(request: HttpRequest) -> HttpResponse:
    """The user's passkeys. Adding or removing one takes the password given in the last few
    minutes, or a second step just taken (``passkeys.session``); this page's POST is that
    password."""
    user = staff_user(request)
    confirm = ConfirmForm(request.POST or None)
    if request.method == "POST":
        refused = refuse_if_locked_out(request, user.get_username())
        if refused is not None:
            return refused
    if request.method == "POST" and confirm.is_valid():
        # authenticate() with the request counts a wrong password towards the lockout.
        again = authenticate(
            request, username=user.get_username(), password=confirm.cleaned_data["password"]
        )
        if again is None or again.pk != user.pk:
            confirm.add_error("password", "That is not your password.")
        else:
            passkey_session.mark_confirmed(request.session)
            return redirect("passkey_list")
    return render(
        request,
        "web/passkeys/list.html",
        {
            "passkeys": selectors.passkeys_of(user=user),
            "confirm": confirm,
            "confirmed": passkey_session.recently_confirmed(request.session),
        },
    )


@require_POST
@login_required
def passkey_register_options(request: HttpRequest) -> HttpResponse:
    """Options for making a passkey (JSON), with a new challenge kept in the session."""
    user = staff_user(request)
    if not passkey_session.recently_confirmed(request.session):
        return JsonResponse({"error": NEED_CONFIRMATION + " Reload the page."}, status=403)
    options = actions.begin_registration(user, session=request.session, rp=for_request(request))
    return HttpResponse(options, content_type="application/json")


@require_POST
@login_required
def passkey_register(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if not passkey_session.recently_confirmed(request.session):
        messages.error(request, NEED_CONFIRMATION)
        return redirect("passkey_list")
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "No passkey came back from your device. Try again.")
        return redirect("passkey_list")
    try:
        passkey = actions.finish_registration(
            user,
            form.cleaned_data["credential"],
            name=form.cleaned_data["name"],
            session=request.session,
            acting_user=user,
            keep_session=request.session.session_key,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"Passkey “{passkey.name}” added. You were signed out on your other devices.",
        )
    return redirect("passkey_list")


def _own_passkey(request: HttpRequest, passkey_id: int) -> Passkey:
    passkey = selectors.passkey_of(user=staff_user(request), passkey_id=passkey_id)
    if passkey is None:
        raise Http404("No such passkey")
    return passkey


@require_POST
@login_required
def passkey_rename(request: HttpRequest, passkey_id: int) -> HttpResponse:
    user = staff_user(request)
    passkey = _own_passkey(request, passkey_id)
    form = RenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the passkey a name of at most 64 characters.")
        return redirect("passkey_list")
    try:
        actions.rename_passkey(passkey, name=form.cleaned_data["name"], acting_user=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Passkey renamed “{passkey.name}”.")
    return redirect("passkey_list")


@require_POST
@login_required
def passkey_remove(request: HttpRequest, passkey_id: int) -> HttpResponse:
    user = staff_user(request)
    passkey = _own_passkey(request, passkey_id)
    if not passkey_session.recently_confirmed(request.session):
        messages.error(request, NEED_CONFIRMATION)
        return redirect("passkey_list")
    name = passkey.name
    actions.remove_passkey(passkey, acting_user=user, keep_session=request.session.session_key)
    messages.success(
        request, f"Passkey “{name}” removed. You were signed out on your other devices."
    )
    return redirect("passkey_list")


# --- Signing in without a password ---------------------------------------------------------
# Nobody is signed in yet, so these two are open to anyone (like the login page); what they
# give away is a challenge, and what they take is checked like a password.


@require_POST
def passkey_login_options(request: HttpRequest) -> HttpResponse:
    """Options for signing in with a passkey alone (JSON): no account named, the
    authenticator offers the passkeys it keeps for this site."""
    options = actions.begin_authentication(None, session=request.session, rp=for_request(request))
    return HttpResponse(options, content_type="application/json")


@require_POST
def passkey_login(request: HttpRequest) -> HttpResponse:
    """Both steps of sign-in at once: a passkey whose authenticator checked who holds it."""
    target = next_url(request)
    form = AnswerForm(request.POST)
    response = form.cleaned_data["credential"] if form.is_valid() else ""
    claimed = selectors.claimed_passkey(response)
    if claimed is not None:
        # The same lockout as a password: per name and client, and per name.
        refused = refuse_if_locked_out(request, claimed.user.get_username())
        if refused is not None:
            return refused
    result = actions.finish_authentication(response, session=request.session)
    if result.passkey is None or result.user is None:
        if result.user is not None:
            record_failure(username=result.user.get_username(), client=client_ip(request))
        messages.error(request, PASSKEY_REFUSALS.get(result.reason, PASSKEY_REFUSALS["invalid"]))
        return redirect(with_next("login", target))
    auth_login(request, result.user)  # audits auth.login, starts the session's clock
    mfa.mark_verified(request, result.passkey)
    passkey_session.mark_confirmed(request.session)
    return redirect(target)

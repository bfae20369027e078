"""The signed-in user's own account: sign-in security, the session timer, API tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from groupguard.accounts import actions, mfa, sessions
from groupguard.accounts.middleware import passive
from groupguard.accounts.models import ApiToken
from groupguard.audit.middleware import client_ip
from groupguard.lockout.actions import record_failure
from groupguard.web.forms import TokenForm, apply_errors
from groupguard.web.security import refuse_if_locked_out
from groupguard.web.views.common import login_required, staff_user


@require_http_methods(["GET", "POST"])
@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = TokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _, new_secret = actions.issue_api_token(
                user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
                acting_user=user,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            form = TokenForm()
    return render(
        request,
        "web/tokens.html",
        {"form": form, "tokens": user.api_tokens.order_by("-created_at"), "new_secret": new_secret},
    )


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = staff_user(request)
    token = ApiToken.objects.filter(user=user, id=token_id).select_related("user").first()
    if token is None:
        raise Http404("No such token")
    actions.revoke_api_token(token, acting_user=user)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("tokens")


class ReauthForm(forms.Form):
    """The password and a code again, before changing how one signs in."""

    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=4096,
    )
    code = forms.CharField(
        max_length=32,
        label="Code from your authenticator app",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )


@require_http_methods(["GET", "POST"])
@login_required
def security(request: HttpRequest) -> HttpResponse:
    """The account page: two-step sign-in (new recovery codes, a new authenticator) and the
    password. Each change ends the user's other sessions. After a reset by an admin, the only
    page open until the user chooses a new password (accounts.middleware)."""
    user = staff_user(request)
    which = request.POST.get("form") if request.method == "POST" else None
    if which in ("mfa", "password"):
        # Both forms check the password: the sign-in lockout holds here too, or a borrowed
        # session would be a password oracle that never stops (#15 review).
        refused = refuse_if_locked_out(request, user.get_username())
        if refused is not None:
            return refused
    reauth = ReauthForm(request.POST if which == "mfa" else None, prefix="mfa")
    password = PasswordChangeForm(user, request.POST if which == "password" else None, prefix="pw")
    if which == "mfa" and reauth.is_valid():
        data = reauth.cleaned_data
        again = authenticate(request, username=user.get_username(), password=data["password"])
        if again is None or again.pk != user.pk:
            reauth.add_error("password", "That is not your password.")
        elif not actions.check_code(user, data["code"]).ok:
            record_failure(username=user.get_username(), client=client_ip(request))
            reauth.add_error("code", "That code is wrong or was used already.")
        elif request.POST.get("do") == "recovery_codes":
            codes = actions.renew_recovery_codes(
                user, acting_user=user, keep_session=request.session.session_key
            )
            return render(
                request,
                "web/mfa_recovery_codes.html",
                {"codes": codes, "next": reverse("account_security"), "renewed": True},
            )
        else:
            sessions.mark_reauthenticated(request.session)
            return redirect("mfa_setup")
    if which == "password" and not password.is_valid() and "old_password" in password.errors:
        record_failure(username=user.get_username(), client=client_ip(request))
    if which == "password" and password.is_valid():
        try:
            actions.change_password(
                user,
                password.cleaned_data["new_password1"],
                acting_user=user,
                keep_session=request.session.session_key,
            )
        except ValidationError as exc:
            password.add_error("new_password1", exc)
        else:
            update_session_auth_hash(request, user)  # keeps this session, under a new key
            messages.success(request, "Password changed. You were signed out everywhere else.")
            return redirect("account_security")
    return render(
        request,
        "web/account_security.html",
        {
            "reauth": reauth,
            "password_form": password,
            "authenticator": mfa.authenticator(user),
            "recovery_codes_left": mfa.recovery_codes_left(user),
            "must_change_password": user.must_change_password,
        },
    )


@passive
@require_http_methods(["GET", "POST"])
def session_status(request: HttpRequest) -> HttpResponse:
    """Seconds left before this session's idle and absolute limits, for the sign-out warning
    (web/static/web/session-timeout.js). Asking does not count as activity; a POST ("stay
    signed in") does. Only a session past both steps of sign-in has a timer here."""
    if not mfa.is_verified(request):
        return JsonResponse({"signed_in": False}, status=401)
    if request.method == "POST":
        sessions.touch(request.session, force=True)
    left = sessions.time_left(request.session)
    return JsonResponse({"signed_in": True, **left.as_json()})

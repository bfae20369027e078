"""Practice settings and staff, for practice admins."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from groupguard.accounts import actions as account_actions
from groupguard.accounts.models import Role
from groupguard.practice import actions, selectors
from groupguard.practice.access import access_staff, require_admin
from groupguard.practice.models.practice import EthicsCode, LicenseType
from groupguard.web.forms import apply_errors
from groupguard.web.views.common import login_required, staff_user


class PracticeForm(forms.Form):
    name = forms.CharField(max_length=200)
    jurisdiction = forms.CharField(
        max_length=6,
        help_text="Where your licences apply, e.g. US-CA. It decides which legal rules apply.",
    )
    timezone = forms.CharField(max_length=64, help_text="IANA time zone, e.g. America/Los_Angeles")
    referral_reminder_days = forms.IntegerField(
        min_value=1,
        max_value=365,
        label="Referral reminder (days)",
        help_text="Remind facilitators of a referral still unanswered after this many days.",
    )


class StaffForm(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=Role.choices)
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        help_text="At least 12 characters; share it with them in person, they should change it.",
    )
    license_type = forms.ChoiceField(
        choices=[("", "Not a practitioner"), *LicenseType.choices], required=False
    )
    license_number = forms.CharField(max_length=40, required=False)
    license_jurisdiction = forms.CharField(max_length=6, required=False)
    ethics_code = forms.ChoiceField(choices=[("", "—"), *EthicsCode.choices], required=False)

    def clean_password(self) -> str:
        from django.contrib.auth import password_validation

        password: str = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("license_type")) != bool(data.get("ethics_code")):
            raise ValidationError(
                "A practitioner needs both a licence type and the ethics code that binds them."
            )
        return data


class ProfileForm(forms.Form):
    license_type = forms.ChoiceField(choices=LicenseType.choices)
    license_number = forms.CharField(max_length=40, required=False)
    license_jurisdiction = forms.CharField(max_length=6, required=False)
    ethics_code = forms.ChoiceField(choices=EthicsCode.choices)


@require_http_methods(["GET", "POST"])
@login_required
def practice_settings(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    require_admin(user)
    practice = user.practice
    assert practice is not None  # noqa: S101  (require_admin checked)
    form = PracticeForm(
        request.POST or None,
        initial={
            "name": practice.name,
            "jurisdiction": practice.jurisdiction,
            "timezone": practice.timezone,
            "referral_reminder_days": practice.referral_reminder_days,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_practice(practice, acting_user=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Practice saved.")
            return redirect("practice_settings")
    staff = selectors.staff_list(practice=practice)
    return render(
        request, "web/practice_settings.html", {"form": form, "staff": staff, "practice": practice}
    )


@require_http_methods(["GET", "POST"])
@login_required
def staff_create(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    require_admin(user)
    assert user.practice is not None  # noqa: S101
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new = actions.add_staff(
                practice=user.practice,
                username=data["username"],
                password=data["password"],
                role=data["role"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                license_type=data["license_type"],
                ethics_code=data["ethics_code"],
                license_number=data["license_number"],
                license_jurisdiction=data["license_jurisdiction"],
                acting_user=user,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                apply_errors(form, exc)
            else:
                form.add_error("password", exc)
        else:
            messages.success(request, f"{new.display_name} can now log in as “{new.username}”.")
            return redirect("practice_settings")
    return render(request, "web/staff_form.html", {"form": form, "title": "Add staff"})


@require_http_methods(["GET", "POST"])
@login_required
def staff_profile(request: HttpRequest, user_id: int) -> HttpResponse:
    user = staff_user(request)
    target = access_staff(user, user_id)
    profile = selectors.licence_of(target)
    initial = (
        {
            "license_type": profile.license_type,
            "license_number": profile.license_number,
            "license_jurisdiction": profile.license_jurisdiction,
            "ethics_code": profile.ethics_code,
        }
        if profile
        else {}
    )
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_practitioner_profile(user=target, acting_user=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Licence of {target.display_name} saved.")
            return redirect("practice_settings")
    return render(
        request, "web/staff_form.html", {"form": form, "title": f"Licence of {target.display_name}"}
    )


@require_POST
@login_required
def staff_active(request: HttpRequest, user_id: int) -> HttpResponse:
    user = staff_user(request)
    target = access_staff(user, user_id)
    active = request.POST.get("active") == "1"
    try:
        actions.set_staff_active(target, active=active, acting_user=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"{target.display_name} {'reactivated' if active else 'deactivated'}."
        )
    return redirect("practice_settings")


@require_POST
@login_required
def staff_mfa_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    """Remove a staff member's authenticator and recovery codes (a lost phone): they set up a
    new one at their next sign-in."""
    user = staff_user(request)
    target = access_staff(user, user_id)
    try:
        account_actions.reset_mfa(target, acting_user=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"Two-step sign-in of {target.display_name} reset: they are signed out and set up "
            "a new authenticator at their next sign-in.",
        )
    return redirect("practice_settings")


class SignInResetForm(forms.Form):
    password = forms.CharField(
        label="Temporary password",
        required=False,
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
        help_text="Leave empty and groupguard makes one up and shows it to you once. Either way "
        "they must choose their own password when they next sign in.",
    )
    reset_second_step = forms.BooleanField(
        label="Their phone is lost too: also reset their two-step sign-in",
        required=False,
        help_text="Removes their authenticator app and recovery codes; they set up a new "
        "authenticator when they next sign in.",
    )


@require_http_methods(["GET", "POST"])
@login_required
def staff_sign_in_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    """Give a locked-out colleague a temporary password (and, optionally, a fresh start with
    two-step sign-in). A generated password is shown on this answer only."""
    user = staff_user(request)
    target = access_staff(user, user_id)
    form = SignInResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            done = account_actions.reset_password(
                target,
                password=data["password"] or None,
                reset_second_step=data["reset_second_step"],
                acting_user=user,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return render(
                request,
                "web/staff_sign_in_reset.html",
                {
                    "target": target,
                    "done": True,
                    # Only a password the admin did not type themselves is shown back.
                    "temporary": done.password if done.generated else None,
                    "second_step_reset": data["reset_second_step"],
                },
            )
    return render(request, "web/staff_sign_in_reset.html", {"form": form, "target": target})

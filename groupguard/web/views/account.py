from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from groupguard.accounts import actions
from groupguard.accounts.models import ApiToken
from groupguard.web.forms import TokenForm, apply_errors
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

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET, require_POST

from groupguard.accounts.models import User
from groupguard.audit import actions as audit_actions
from groupguard.audit import selectors
from groupguard.audit.reads import record_view
from groupguard.audit.verify import verify_log
from groupguard.audit.words import action_words
from groupguard.practice import selectors as practice_selectors
from groupguard.practice.access import require_admin
from groupguard.web.views.common import login_required, staff_user


class AuditFilterForm(forms.Form):
    member = forms.UUIDField(
        required=False,
        label="Member id",
        help_text="Open a member's entries from their page (Audit entries)",
    )
    user = forms.CharField(required=False, label="Staff username", max_length=150)
    action = forms.CharField(required=False, help_text="e.g. member, auth.login, attendance")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, practice: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.practice = practice

    def clean_user(self) -> User | None:
        username = self.cleaned_data["user"].strip()
        if not username:
            return None
        found = practice_selectors.staff_named(practice_id=self.practice.pk, username=username)
        if found is None:
            raise forms.ValidationError(f"No staff user {username!r} in this practice.")
        return found


class _LogPaginator(Paginator):  # type: ignore[type-arg]
    """Pages of a log whose unfiltered length is already known (``AuditLog.size``): counting a
    million rows for the page total would make the page slower as the log grows."""

    def __init__(self, entries: Any, per_page: int, known_count: int | None) -> None:
        super().__init__(entries, per_page)
        self._known_count = known_count

    @cached_property
    def count(self) -> int:
        if self._known_count is not None:
            return self._known_count
        return super().count


@require_GET
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    require_admin(user)
    form = AuditFilterForm(request.GET or None, practice=user.practice)
    log = selectors.log_for(user.practice_id)
    entries = selectors.filtered_entries(log)
    filtered = False
    member_id = None
    if form.is_valid():
        data = form.cleaned_data
        member_id = data["member"]
        filtered = any(data[name] for name in ("member", "user", "action", "since", "until"))
        entries = selectors.filtered_entries(
            log,
            member_id=member_id,
            user_id=data["user"].pk if data["user"] else None,
            action=data["action"].strip(),
            since=data["since"],
            until=data["until"],
        )
    paginator = _LogPaginator(entries, 50, known_count=None if filtered else log.size)
    page = paginator.get_page(request.GET.get("page"))
    # Names only of the members on this page (and the one filtered by): decrypting every
    # member of a large practice would make the page grow with it.
    shown = {entry.member_id for entry in page.object_list if entry.member_id}
    if member_id:
        shown.add(member_id)
    names = practice_selectors.member_names(practice_id=user.practice_id, ids=shown)
    # Likewise only the staff who acted on this page, not a list of the whole staff.
    actors = {e.actor_user_id for e in page.object_list if e.actor_user_id is not None}
    usernames = practice_selectors.staff_names(practice_id=user.practice_id, ids=actors)
    rows = []
    for entry in page.object_list:
        data = selectors.entry_object(entry)
        actor = data["actor"]
        rows.append(
            {
                "index": entry.index,
                "time": entry.recorded_at,
                "actor": usernames.get(str(actor.get("id")), actor.get("kind"))
                if actor.get("kind") == "user"
                else actor.get("kind"),
                "action": entry.action,
                "words": action_words(entry.action),
                "object": f"{entry.object_type} {entry.object_id[:8]}" if entry.object_type else "",
                "member": names.get(str(entry.member_id), "") if entry.member_id else "",
                "fields": ", ".join(data.get("fields", [])),
                "ip": data.get("ip") or "",
                "severity": entry.severity,
            }
        )
    query = request.GET.copy()
    query.pop("page", None)
    record_view(
        user=user,
        practice_id=user.practice_id,
        action="audit.view",
        object_type="audit_log",
        detail={"page": page.number},
    )
    return render(
        request,
        "web/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "log": log,
            "query": query.urlencode(),
            "member_name": names.get(str(member_id), "") if member_id else "",
        },
    )


@require_POST
@login_required
def audit_verify(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    require_admin(user)
    log = selectors.log_for(user.practice_id)
    report = verify_log(log)
    audit_actions.record_verification(log, report, user=user, via="web")
    return render(request, "web/_audit_verify.html", {"report": report})

"""The group agreement's text: the draft, custom clauses, the preview and publishing a frozen
version.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from groupguard.accounts.models import User
from groupguard.agreements import clauses, render, selectors
from groupguard.agreements.models import (
    PracticeClause,
    StatementDraft,
    StatementVersion,
)
from groupguard.audit.log import Actor, record
from groupguard.practice.models import Enrollment, Group, Practice


def _statement_input(
    group: Group, draft: StatementDraft, effective_on: datetime.date | None
) -> Any:
    return render.StatementInput(
        practice_name=group.practice.name,
        group_name=group.name,
        context=selectors.group_context(group),
        policy=draft.policy,
        role_statement=draft.role_statement.strip(),
        clause_ids=tuple(draft.clause_ids),
        extra=tuple(selectors.extra_clauses(group.practice)),
        effective_date=effective_on.isoformat() if effective_on else "",
    )


def draft_for(group: Group) -> StatementDraft:
    """The group's draft, created with the clauses that apply and a prefilled role statement."""
    draft = StatementDraft.objects.filter(group=group).first()
    if draft is not None:
        return draft
    from groupguard.practice.models import RoleRelationship
    from groupguard.practice.models.roles import DUAL_ROLES

    context = selectors.group_context(group)
    facilitators = list(group.facilitator_links.select_related("user"))
    names = [f.user.display_name for f in facilitators]
    today = timezone.localdate()
    members = Enrollment.objects.filter(group=group).current().values("member_id")
    dual = [
        (r.practitioner.display_name, "", r.get_kind_display())
        for r in RoleRelationship.objects.on(today)
        .filter(
            practitioner__in=[f.user for f in facilitators],
            member_id__in=members,
            kind__in=DUAL_ROLES,
        )
        .select_related("practitioner")
    ]
    return StatementDraft(
        group=group,
        policy="no_secrets",
        clause_ids=[c.id for c in clauses.applicable(context)],
        role_statement=render.default_role_statement(names, dual),
    )


@transaction.atomic
def save_draft(
    group: Group, *, policy: str, clause_ids: list[str], role_statement: str, acting_user: User
) -> StatementDraft:
    if policy not in clauses.POLICIES:
        raise ValidationError({"policy": f"Choose one of {', '.join(clauses.POLICIES)}."})
    if not role_statement.strip():
        raise ValidationError(
            {"role_statement": "Say what your role is with the group and its members."}
        )
    context = selectors.group_context(group)
    problems = clauses.validate_selection(
        context, clause_ids, selectors.extra_clauses(group.practice)
    )
    if problems:
        raise ValidationError({"clause_ids": problems})
    draft = draft_for(group)
    draft.policy = policy
    draft.clause_ids = list(clause_ids)
    draft.role_statement = role_statement.strip()
    draft.updated_by = acting_user
    draft.save()
    record(
        practice_id=group.practice_id,
        actor=Actor.user(acting_user),
        action="statement.draft_save",
        obj=draft,
        fields=["policy", "clause_ids", "role_statement"],
        detail={"group": str(group.id)},
    )
    return draft


def preview(group: Group) -> str:
    draft = draft_for(group)
    try:
        return str(render.render_statement(_statement_input(group, draft, None)))
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


@transaction.atomic
def publish(
    group: Group, *, acting_user: User, effective_on: datetime.date | None = None
) -> StatementVersion:
    """Freeze the draft as the next version. Members who signed an older one need to re-consent."""
    Group.objects.select_for_update().filter(pk=group.pk).first()  # one publisher at a time
    draft = draft_for(group)
    effective_on = effective_on or timezone.localdate()
    try:
        text = render.render_statement(_statement_input(group, draft, effective_on))
    except ValueError as exc:
        raise ValidationError({"clause_ids": [str(exc)]}) from None
    previous = selectors.current_version(group)
    if previous is not None and previous.text == text:
        raise ValidationError("Nothing changed since version %(n)s.", params={"n": previous.number})
    version = StatementVersion.objects.create(
        group=group,
        number=(previous.number + 1) if previous else 1,
        policy=draft.policy,
        clause_ids=list(draft.clause_ids),
        role_statement=draft.role_statement,
        text=text,
        sha256=render.statement_sha256(text),
        effective_on=effective_on,
        published_by=acting_user,
    )
    record(
        practice_id=group.practice_id,
        actor=Actor.user(acting_user),
        action="statement.publish",
        obj=version,
        detail={"group": str(group.id), "number": version.number, "sha256": version.sha256},
    )
    return version


@transaction.atomic
def add_custom_clause(
    practice: Practice, *, title: str, text: str, rationale: str = "", acting_user: User
) -> PracticeClause:
    from django.utils.text import slugify

    slug = "custom-" + (slugify(title)[:50] or "clause")
    try:
        clauses.custom_clause(slug, title.strip(), text.strip(), rationale.strip())
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    if PracticeClause.objects.filter(practice=practice, clause_id=slug).exists():
        raise ValidationError({"title": "Your practice already has a clause with this title."})
    clause = PracticeClause.objects.create(
        practice=practice,
        clause_id=slug,
        title=title.strip(),
        text=text.strip(),
        rationale=rationale.strip(),
    )
    record(
        practice_id=practice.id,
        actor=Actor.user(acting_user),
        action="clause.create",
        obj=clause,
        fields=["title", "text", "rationale"],
    )
    return clause

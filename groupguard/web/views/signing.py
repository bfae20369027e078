"""Signing the group agreement through a link: no account, works without JavaScript.

Steps: confirm identity, read the statement, answer a short comprehension check (with
feedback on a wrong answer), type the full name and sign. Progress is kept in the anonymous
session, keyed by the link, so a step cannot be skipped by typing a URL.

Until the identity check passes, the link may be in anyone's hands: what is served before it
(the first page, its errors, the page for a link that cannot be used) names no group,
practice, facilitator or member and shows nothing of the statement. Those pages get no such
object in their context, so a template cannot show one by mistake.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from groupguard.agreements import actions, selectors
from groupguard.agreements import render as statement_render
from groupguard.agreements.actions import LinkProblem
from groupguard.agreements.actions.links import normal_date_answer
from groupguard.agreements.models import IdentityCheck, SigningLink
from groupguard.audit.middleware import client_ip


def _state(request: HttpRequest, link: SigningLink) -> dict[str, Any]:
    key = f"sign:{link.pk}"
    state: dict[str, Any] = request.session.get(key) or {}
    return state


def _save(request: HttpRequest, link: SigningLink, state: dict[str, Any]) -> None:
    request.session[f"sign:{link.pk}"] = state


def _problem(request: HttpRequest, exc: LinkProblem) -> HttpResponse:
    return render(request, "web/sign_problem.html", {"message": str(exc)}, status=exc.status)


def _link(token: str) -> SigningLink:
    """The link, with the member's practice's time zone made current: the member is not signed
    in, so nothing else says where they are, and the times they see are the practice's."""
    link = actions.link_for_token(token)
    timezone.activate(link.member.practice.tz)  # PracticeTimezoneMiddleware undoes it
    return link


def _open_step(
    request: HttpRequest, token: str
) -> tuple[SigningLink, dict[str, Any]] | HttpResponse:
    """The link and progress for a step after the identity check, or the response to send."""
    try:
        link = _link(token)
    except LinkProblem as exc:
        return _problem(request, exc)
    state = _state(request, link)
    if not state.get("verified"):
        return redirect("sign_start", token=token)
    return link, state


def _questions(link: SigningLink) -> list[Any]:
    version = link.version
    extra = selectors.extra_clauses(version.group.practice)
    return list(statement_render.questions_for(version.clause_ids, extra))


def _identity_error(identity_check: str, result: actions.IdentityAnswer) -> str:
    if not result.counted:
        if identity_check == IdentityCheck.CODE:
            return "The code has 6 digits. Please check it and try again."
        return (
            "Enter your date of birth: pick it from the calendar, or type it as "
            "month/day/year, for example 04/23/1985."
        )
    what = "That code" if identity_check == IdentityCheck.CODE else "That date of birth"
    tries = "1 more time" if result.tries_left == 1 else f"{result.tries_left} more times"
    return (
        f"{what} does not match our records. Please check it and try again. You can try "
        f"{tries}; after that, this link stops working and your facilitator can send a new one."
    )


@require_http_methods(["GET", "POST"])
def sign_start(request: HttpRequest, token: str) -> HttpResponse:
    """The identity check: before it passes, nothing about the group or the member is shown."""
    try:
        link = _link(token)
    except LinkProblem as exc:
        return _problem(request, exc)
    error = None
    if request.method == "POST":
        try:
            result = actions.check_identity(link, request.POST.get("answer", ""))
        except LinkProblem as exc:
            return _problem(request, exc)
        if result.ok:
            state = _state(request, link)
            state["verified"] = True
            _save(request, link, state)
            return redirect("sign_read", token=token)
        if result.tries_left == 0:
            return _problem(request, LinkProblem(actions.STOPPED, 410))
        error = _identity_error(link.identity_check, result)
    kept = ""
    if error and link.identity_check != IdentityCheck.CODE:
        kept = normal_date_answer(request.POST.get("answer", ""))  # not cleared on a retry
    return render(
        request,
        "web/sign_start.html",
        {"identity_check": link.identity_check, "error": error, "kept": kept},
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def sign_read(request: HttpRequest, token: str) -> HttpResponse:
    opened = _open_step(request, token)
    if isinstance(opened, HttpResponse):
        return opened
    link, state = opened
    questions = _questions(link)
    feedback: dict[str, str] = {}
    chosen: dict[str, int] = {}
    if request.method == "POST":
        attempts = state.setdefault("attempts", {})
        for q in questions:
            raw = request.POST.get(f"q-{q.id}", "")
            if raw.isdigit():
                chosen[q.id] = int(raw)
            attempts[q.id] = attempts.get(q.id, 0) + 1
            if chosen.get(q.id) != q.correct:
                feedback[q.id] = q.explanation
        if not feedback:
            state["answers"] = {
                q.id: {"answer": chosen[q.id], "attempts": attempts[q.id]} for q in questions
            }
            _save(request, link, state)
            return redirect("sign_finish", token=token)
        _save(request, link, state)
    return render(
        request,
        "web/sign_read.html",
        {
            "link": link,
            "token": token,
            "version": link.version,
            "blocks": statement_render.reading_blocks(link.version.text),
            "group": link.version.group,
            "items": [
                {
                    "q": q,
                    "feedback": feedback.get(q.id),
                    "choices": [
                        (i, text, chosen.get(q.id) == i) for i, text in enumerate(q.choices)
                    ],
                }
                for q in questions
            ],
            "wrong": len(feedback),
        },
        status=400 if feedback else 200,
    )


@require_http_methods(["GET", "POST"])
def sign_finish(request: HttpRequest, token: str) -> HttpResponse:
    opened = _open_step(request, token)
    if isinstance(opened, HttpResponse):
        return opened
    link, state = opened
    if "answers" not in state:
        return redirect("sign_read", token=token)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if request.POST.get("agree") != "on":
            errors["agree"] = ["Tick the box to say you have read and agree to the statement."]
        else:
            try:
                signature = actions.sign_with_link(
                    link,
                    typed_name=request.POST.get("typed_name", ""),
                    guardian_name=request.POST.get("guardian_name", ""),
                    minor_assent=request.POST.get("minor_assent") == "on",
                    answers=state["answers"],
                    ip=client_ip(request) or "",
                    user_agent=request.headers.get("User-Agent", ""),
                )
            except LinkProblem as exc:
                return _problem(request, exc)
            except ValidationError as exc:
                errors = exc.message_dict
            else:
                request.session.pop(f"sign:{link.pk}", None)
                return render(
                    request,
                    "web/sign_done.html",
                    {"signature": signature, "version": link.version, "group": link.version.group},
                )
    return render(
        request,
        "web/sign_finish.html",
        {
            "link": link,
            "token": token,
            "member": link.member,
            "version": link.version,
            "group": link.version.group,
            "errors": errors,
            "general_errors": errors.get("__all__", []),
            "typed_name": request.POST.get("typed_name", ""),
            "guardian_name": request.POST.get("guardian_name", ""),
        },
        status=400 if errors else 200,
    )

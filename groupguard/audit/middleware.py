from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from groupguard.audit import context


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites
    # REMOTE_ADDR itself (see docs/security.md), so it never goes into the record as fact.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.bind(context.RequestContext(ip=client_ip(request)))
        try:
            return self.get_response(request)
        finally:
            context.reset(token)

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from groupguard.audit import context


def client_ip(request: HttpRequest) -> str | None:
    """The address a request came from: what the audit log records and lockouts count by.

    REMOTE_ADDR, unless ``GROUPGUARD_BEHIND_PROXY`` says a reverse proxy sits in front: then
    REMOTE_ADDR is the proxy's own address, and the client's is the last entry of
    X-Forwarded-For, the one the proxy appended. Entries before it came from the client and
    are never believed; without a proxy the whole header is the client's word and is ignored.
    """
    if getattr(settings, "GROUPGUARD_BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            pass  # no header, or not an address: the proxy did not set it, so use the peer
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

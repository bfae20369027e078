"""Who is acting and from where, for the audit entries written while serving one request."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None


_NONE = RequestContext()
_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "groupguard_request_context", default=None
)


def current() -> RequestContext:
    return _current.get() or _NONE


def bind(ctx: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)

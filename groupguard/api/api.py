"""The REST API under /api/v1 (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Handlers parse input, check access through ``practice.access`` and call one action, as the
web views do. Authentication: a bearer token, or the browser session with its CSRF token.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from groupguard.api.auth import SessionAuth, TokenAuth


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("a string holds a NUL character")
        value.encode("utf-8")  # a lone UTF-16 surrogate raises UnicodeEncodeError
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


class _StorableJSON(Parser):
    """JSON bodies whose every string the records can keep: no NUL character (PostgreSQL
    refuses it in text) and no lone surrogate escape such as ``"\\ud800"`` (it has no UTF-8
    form, so it can be neither encrypted nor stored). Either is a 400 before a handler runs."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = json.loads(request.body)
        _check_strings(data)
        return data


class _DocumentedErrorsAPI(NinjaAPI):
    """Declares on every operation the errors that the exception handlers below (and the
    authentication) answer for any of them, so the OpenAPI document lists every status the
    API can return: 400 naming the fields at fault, 401 without credentials, 403 for the
    browser session without its CSRF token, 404 for missing and not yours alike."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        errors = {
            400: "The input is invalid: `errors` names each field at fault.",
            401: "No valid credentials.",
            403: "The browser session without its CSRF token.",
            404: "Not found, or not yours: the same answer for both.",
        }
        for item in schema["paths"].values():
            for operation in item.values():
                takes_input = operation.get("parameters") or operation.get("requestBody")
                for status, description in errors.items():
                    if status == 400 and not takes_input:
                        continue
                    operation["responses"].setdefault(
                        status, {"description": description, "content": body}
                    )
        return schema


api = _DocumentedErrorsAPI(
    title="groupguard API",
    version="1",
    description=(
        "Records of a group therapy practice: groups, members, roles, sessions and attendance. "
        "Decision support, not legal advice."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    parser=_StorableJSON(),
)


def _mount_routers() -> None:
    from groupguard.api.agreements import router as agreements
    from groupguard.api.contacts import router as contacts
    from groupguard.api.disclosures import router as disclosures
    from groupguard.api.members import router as members
    from groupguard.api.practice import router as practice
    from groupguard.api.referrals import router as referrals

    api.add_router("", practice)
    api.add_router("", members)
    api.add_router("", agreements)
    api.add_router("", contacts)
    api.add_router("", referrals)
    api.add_router("", disclosures)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    detail = "; ".join(
        f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v) for k, v in errors.items()
    )
    return api.create_response(request, {"detail": detail, "errors": errors}, status=400)


@api.exception_handler(NinjaValidationError)
def _schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        errors.setdefault(".".join(loc) or "__all__", []).append(str(err.get("msg", "invalid")))
    detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
    return api.create_response(request, {"detail": detail, "errors": errors}, status=400)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found"}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": "Authentication required"}, status=401)


_mount_routers()

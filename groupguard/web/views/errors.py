"""Error pages: a plain explanation, never a stack trace, SQL or the exception's message.

The API under /api/ answers the same errors in JSON, as its own handlers do. The 500 page is
rendered without the request: whatever failed (the database, a context processor) is not asked
again to draw it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader

DETAILS = {
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    500: "Server error",
}


def _answer(request: HttpRequest, status: int) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": DETAILS[status]}, status=status)
    return render(request, f"{status}.html", status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _answer(request, 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _answer(request, 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _answer(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": DETAILS[500]}, status=500)
    return HttpResponse(loader.get_template("500.html").render(), status=500)

"""The product's URLs plus ``floor/``: the cheapest page the layout can make, to compare with."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from groupguard.urls import urlpatterns as product_urlpatterns

FLOOR_ROWS = 50


@dataclass(frozen=True)
class FloorRow:
    number: int
    name: str
    kind: str
    status: str
    count: int


@require_GET
def floor(request: HttpRequest) -> HttpResponse:
    """The base layout with a plain 50-row table built here: no login, no database."""
    rows = [
        FloorRow(i, f"Row {i:02d}", "Group therapy", "Active" if i % 3 else "Forming", i % 13)
        for i in range(1, FLOOR_ROWS + 1)
    ]
    return render(request, "bench/floor.html", {"rows": rows})


urlpatterns = [path("floor/", floor, name="bench_floor"), *product_urlpatterns]

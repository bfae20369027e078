"""The client address the audit log records and lockouts count by."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory, override_settings

from groupguard.audit.middleware import client_ip


def request(**meta: Any):
    return RequestFactory().get("/", **meta)


def test_it_is_the_peer_address_and_ignores_a_forwarded_for_header() -> None:
    forged = request(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert client_ip(forged) == "198.51.100.7"


@override_settings(GROUPGUARD_BEHIND_PROXY=True)
def test_behind_a_proxy_it_is_the_last_forwarded_entry() -> None:
    # The proxy appends the address it saw; whatever came before is the client's word.
    seen = request(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.50")
    assert client_ip(seen) == "203.0.113.50"
    v6 = request(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="2001:db8::1")
    assert client_ip(v6) == "2001:db8::1"


@override_settings(GROUPGUARD_BEHIND_PROXY=True)
def test_behind_a_proxy_a_missing_or_garbled_header_falls_back_to_the_peer() -> None:
    assert client_ip(request(REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"
    garbled = request(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.50, <script>")
    assert client_ip(garbled) == "10.0.0.2"

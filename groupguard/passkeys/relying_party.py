"""Who we are to an authenticator: the WebAuthn *relying party*.

A passkey is bound to the relying party's id, a domain (``groupguard.example.org``): the
browser offers it only to pages of that domain (or its subdomains) and signs, in every answer,
the origin the page came from. We check both, so a look-alike site cannot use what it asks an
authenticator for.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class RelyingParty:
    id: str  # a domain, never a port or a scheme
    origin: str  # scheme://host[:port], exactly as browsers write it in clientDataJSON
    name: str  # what a passkey manager may show beside the account


def for_request(request: HttpRequest) -> RelyingParty:
    """From ``GROUPGUARD_WEBAUTHN_RP_ID`` / ``GROUPGUARD_WEBAUTHN_ORIGIN`` where set, else from
    the request: Django has already checked its host against ``ALLOWED_HOSTS``."""
    origin = settings.GROUPGUARD_WEBAUTHN_ORIGIN or f"{request.scheme}://{request.get_host()}"
    rp_id = settings.GROUPGUARD_WEBAUTHN_RP_ID or (urlsplit(origin).hostname or "")
    # The same name authenticator apps show for the TOTP codes (settings.OTP_TOTP_ISSUER).
    return RelyingParty(id=rp_id, origin=origin.rstrip("/"), name=settings.OTP_TOTP_ISSUER)

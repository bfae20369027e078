"""Two-step sign-in: a code from an authenticator app after the password, for every account.

Terms a newcomer will meet:

- *device*: django-otp's record of one second factor of a user. An ``Authenticator`` (our
  name for django-otp's ``TOTPDevice``) stands for the user's authenticator app (RFC 6238
  codes, six digits, a new one every 30 seconds); the secret it shares with the app is kept
  sealed in a ``TOTPSeed`` row, never in the device's own key column. It is *confirmed* once
  the user has typed a first code from it. A ``StaticDevice`` holds the user's single-use
  recovery codes as ``StaticToken`` rows (keyed hashes of them: see ``recovery_digest``).
- *verified session*: a sign-in session in which the user also gave a code.
  ``django_otp.login()`` marks it by storing the device's persistent id in the session.

django-otp's ``OTPMiddleware`` loads that device on every request. We do not: every change to
a user's devices ends the user's other sessions (``accounts.actions``), so a verified mark in a
live session always names a device the user still has, and pages keep their query counts.

A code is accepted once: a TOTP device remembers the time step of the last code it accepted
(``last_t``) and takes only later ones; a recovery code is deleted when used. Wrong codes slow
down the next try on that device (django-otp's throttling: 1, 2, 4, 8… seconds).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import math
import secrets
import time
from dataclasses import dataclass

import django_otp
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from groupguard.accounts.models import Authenticator, TOTPSeed, User

RECOVERY_CODE_COUNT = 10
# Ten base32 characters: 50 random bits, typed as "abcde-fghij".
RECOVERY_CODE_CHARS = 10
SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends and authenticator apps expect


def is_verified(request: HttpRequest) -> bool:
    """Whether this request's session went through both steps of sign-in."""
    user = getattr(request, "user", None)
    return bool(
        user is not None and user.is_authenticated and request.session.get(DEVICE_ID_SESSION_KEY)
    )


def authenticator(user: User) -> Authenticator | None:
    """The user's confirmed authenticator app, if they have set one up."""
    found: Authenticator | None = (
        Authenticator.objects.filter(user=user, confirmed=True).order_by("-id").first()
    )
    return found


def has_authenticator(user: User) -> bool:
    return bool(Authenticator.objects.filter(user=user, confirmed=True).exists())


@transaction.atomic
def new_authenticator(
    user: User, *, name: str, confirmed: bool, secret: bytes | None = None
) -> Authenticator:
    """A device for an authenticator app, with a new random secret (or ``secret``), sealed."""
    if secret is None:
        secret = secrets.token_bytes(SECRET_BYTES)
    device: Authenticator = Authenticator.objects.create(
        user=user, name=name, confirmed=confirmed, key=""
    )
    TOTPSeed.objects.create(device=device, key=secret.hex())
    return device


def pending_authenticator(user: User) -> Authenticator:
    """The unconfirmed device of an enrolment under way, made on first use.

    Reloading the enrolment page shows the same secret, so a code scanned before the reload
    still confirms it. It verifies nothing at sign-in until it is confirmed.
    """
    device: Authenticator | None = (
        Authenticator.objects.filter(user=user, confirmed=False).order_by("-id").first()
    )
    if device is None:
        device = new_authenticator(user, name="authenticator app", confirmed=False)
    return device


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def new_recovery_codes() -> list[str]:
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(alphabet) for _ in range(RECOVERY_CODE_CHARS))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def _normalized(code: str) -> str:
    """A code as typed, without spaces or dashes, in lower case."""
    return "".join(code.split()).replace("-", "").lower()


def recovery_digest(code: str) -> str:
    """What is stored for a recovery code: a keyed hash, so a copy of the database alone does
    not hold usable codes. (django-otp compares stored tokens for equality, up to 16
    characters; 64 bits of HMAC-SHA256 under the secret key fit.) Changing the secret key
    voids the codes: a practice admin then resets the user's two-step sign-in."""
    normalized = _normalized(code)
    key = hashlib.sha256(b"groupguard recovery codes|" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a code: the device that took it, or why none did."""

    device: Authenticator | StaticDevice | None
    method: str  # "totp" | "recovery_code"
    wait_seconds: int = 0  # > 0: too many wrong codes, the device refuses until then

    @property
    def ok(self) -> bool:
        return self.device is not None


def _wait_seconds(device: Authenticator | StaticDevice) -> int:
    allowed, info = device.verify_is_allowed()
    if allowed or not info or "locked_until" not in info:
        return 0
    locked_until: float = info["locked_until"].timestamp()
    return max(1, math.ceil(locked_until - time.time()))


def verify(user: User, code: str) -> Verification:
    """Check a code from the user's authenticator app (six digits) or a recovery code.

    Runs in one transaction with the device row locked, so two requests cannot both spend
    the same code.
    """
    normalized = _normalized(code)
    method = "totp" if normalized.isdigit() and len(normalized) <= 8 else "recovery_code"
    with transaction.atomic():
        if method == "totp":
            device: Authenticator | StaticDevice | None = (
                Authenticator.objects.select_for_update()
                .filter(user=user, confirmed=True)
                .order_by("-id")
                .first()
            )
            token = normalized
        else:
            device = (
                StaticDevice.objects.select_for_update()
                .filter(user=user, confirmed=True)
                .order_by("-id")
                .first()
            )
            token = recovery_digest(normalized)
        if device is None:
            return Verification(None, method)
        wait = _wait_seconds(device)
        if wait:
            return Verification(None, method, wait)
        return Verification(device if device.verify_token(token) else None, method)


def confirm_pending(device: Authenticator, code: str) -> Verification:
    """Check the first code from a new authenticator (which also sets its ``last_t``). After
    a wrong code the device refuses every code for a moment, even a right one: the answer
    then says how long to wait, so a right code is never called wrong."""
    with transaction.atomic():
        locked = Authenticator.objects.select_for_update().get(pk=device.pk)
        wait = _wait_seconds(locked)
        ok = not wait and bool(locked.verify_token(_normalized(code)))
    device.refresh_from_db()
    return Verification(device if ok else None, "totp", wait)


def mark_verified(request: HttpRequest, device: Authenticator | StaticDevice) -> None:
    """Record the second step in the session, under a new session key (the session gained
    rights, so a key seen before this moment must not carry them)."""
    request.session.cycle_key()
    django_otp.login(request, device)


def secret_text(device: Authenticator) -> str:
    """The secret as an authenticator app asks for it: base32, in groups of four."""
    b32 = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(b32[i : i + 4] for i in range(0, len(b32), 4))


def qr_svg(device: Authenticator) -> str:
    """The otpauth:// address of the device as an inline SVG QR code (no script, no network)."""
    import segno

    buffer = io.BytesIO()
    segno.make(device.config_url, error="m").save(
        buffer,
        kind="svg",
        scale=5,
        xmldecl=False,
        svgns=True,
        title="QR code to add groupguard to your authenticator app",
    )
    return buffer.getvalue().decode("utf-8")


def current_code(device: Authenticator) -> str:
    """A code the device takes now: the current one, or the next one when the current one was
    used already (the device accepts one step either side). For the demo's code hint and for
    tests; never shown for a real account."""
    now_step = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t()
    step = max(now_step, device.last_t + 1)
    return str(hotp(device.bin_key, step, digits=device.digits)).zfill(device.digits)

"""The one form of a user name, shared by sign-in, the lockout and account creation.

A name can be typed many ways that a person reads as the same: ``Ada``, `` ada``, ``ＡＤＡ``
(full-width letters), ``ａｄａ``. Django's sign-in form applies NFKC to what was typed, so
if the lockout counted failures under one form and the password check looked up another, a
guesser could pick a spelling the lockout never sees. Every place that stores, looks up or
counts a user name therefore goes through :func:`normalize_username`: NFKC (compatibility
forms such as full-width letters become plain ones), Unicode case folding (``ß`` and ``SS``
fold alike), NFKC again (folding can leave a character in a decomposed form), then surrounding
white space removed.
"""

from __future__ import annotations

import unicodedata


def normalize_username(raw: str) -> str:
    folded = unicodedata.normalize("NFKC", raw).casefold()
    return unicodedata.normalize("NFKC", folded).strip()

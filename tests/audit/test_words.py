"""Audit action codes in a facilitator's words."""

from __future__ import annotations

import re
from pathlib import Path

from groupguard.audit.words import NOUNS, VERBS, WHOLE, action_words

ROOT = Path(__file__).resolve().parents[2] / "groupguard"


def test_every_action_the_code_records_has_words_of_its_own() -> None:
    codes = set()
    for path in ROOT.rglob("*.py"):
        codes.update(re.findall(r'action="([a-z_]+\.[a-z_.]+)"', path.read_text()))
    assert len(codes) > 50
    for code in codes:
        noun, _, verb = code.partition(".")
        assert code in WHOLE or (noun in NOUNS and verb in VERBS), code


def test_words_for_known_and_unknown_codes() -> None:
    assert action_words("signing_link.revoke") == "Signing link withdrawn"
    assert action_words("auth.login_failed") == "Sign-in failed"
    assert action_words("groupsession.view") == "Session viewed"  # record_view's "<model>.view"
    assert action_words("group.archive") == "Group archive"
    assert action_words("odd_thing") == "Odd thing"

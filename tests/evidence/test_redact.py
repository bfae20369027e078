"""Redaction matches names however the text spells them: any case, with or without accents,
composed or decomposed, full-width, German sharp s, Turkish dotted and dotless i."""

from __future__ import annotations

import datetime
import json
import unicodedata

import pytest
from django.utils import timezone

from groupguard.contacts import actions as contacts
from groupguard.evidence.packet import collect
from groupguard.evidence.redact import Redactor
from groupguard.practice import actions as practice_actions
from groupguard.practice.models import Member, Practice
from tests.conftest import Cast


@pytest.fixture
def practice(db: None) -> Practice:
    return practice_actions.create_practice(
        name="Eastside", slug="east", jurisdiction="US-CA", acting_user=None
    )


def make(practice: Practice, given: str, family: str, preferred: str = "") -> Member:
    return practice_actions.create_member(
        practice=practice,
        given_name=given,
        family_name=family,
        preferred_name=preferred,
        acting_user=None,
    )


def test_it_redacts_a_family_name_with_a_sharp_s_in_every_spelling(practice: Practice) -> None:
    subject = make(practice, "Mia", "Zephyrine")
    greta = make(practice, "Greta", "Großmann")
    red = Redactor.for_members(subject, [greta])
    # The finding: "Greta Großmann" became "Member B Großmann".
    assert red.text("Greta Großmann called.") == "Member B called."
    assert red.text("GROSSMANN, Grossmann, großmann, GROẞMANN and Greta GROSSMANN.") == (
        "Member B, Member B, Member B, Member B and Member B."
    )


def test_it_redacts_turkish_dotted_and_dotless_i_in_any_case(practice: Practice) -> None:
    subject = make(practice, "Mia", "Zephyrine")
    isil = make(practice, "Işıl", "Yılmaz")
    ipek = make(practice, "İpek", "Demir")
    red = Redactor.for_members(subject, [isil, ipek])
    a, b = red.member(isil.id), red.member(ipek.id)
    spellings = ["Işıl", "IŞIL", "ışıl", "işil", "Isil", "ISIL", "YILMAZ", "Yilmaz", "yılmaz"]
    for spelling in spellings:
        assert red.text(f"{spelling} spoke.") == f"{a} spoke.", spelling
    for spelling in ["İpek", "İPEK", "ipek", "IPEK", "Ipek", "i\u0307pek", "ıpek"]:
        assert red.text(f"Then {spelling}.") == f"Then {b}.", spelling
    assert red.text("Işıl Yılmaz and İPEK DEMİR") == f"{a} and {b}"


def test_it_redacts_accents_composed_decomposed_or_left_out(practice: Practice) -> None:
    subject = make(practice, "Mia", "Zephyrine")
    jose = make(practice, "José", "Ortega")
    red = Redactor.for_members(subject, [jose])
    composed = unicodedata.normalize("NFC", "José")
    decomposed = "Jose\u0301"
    for spelling in [composed, decomposed, "Jose", "JOSÉ", "JOSE\u0301", "jOsÉ"]:
        redacted = red.text(f"{spelling} left early.")
        # The combining accent goes with the name, it is not left on the pseudonym.
        assert redacted == "Member B left early.", ascii(spelling)
    assert red.text(f"Ortega ({decomposed})") == "Member B (Member B)"


def test_it_matches_a_name_stored_decomposed_against_composed_text(practice: Practice) -> None:
    subject = make(practice, "Mia", "Zephyrine")
    rene = make(practice, "Rene\u0301e", "Brontë")
    red = Redactor.for_members(subject, [rene])
    assert red.text("Renée BRONTË; Renee Bronte.") == "Member B; Member B."


def test_it_redacts_full_width_and_compatibility_forms(practice: Practice) -> None:
    subject = make(practice, "Mia", "Zephyrine")
    greta = make(practice, "Greta", "Großmann")
    red = Redactor.for_members(subject, [greta])
    # Full-width letters and an ideographic space (NFKC folds both).
    assert red.text("Note: Ｇｒｅｔａ\u3000ＧＲＯＳＳＭＡＮＮ.") == "Note: Member B."
    # A no-break space inside the full name is still the full name.
    assert red.text("Greta\u00a0Großmann") == "Member B"


def test_it_redacts_letters_that_do_not_decompose_when_written_plainly(
    practice: Practice,
) -> None:
    subject = make(practice, "Mia", "Zephyrine")
    soren = make(practice, "Søren", "Łukaszewicz")
    red = Redactor.for_members(subject, [soren])
    assert red.text("Soren and LUKASZEWICZ; søren łukaszewicz.") == (
        "Member B and Member B; Member B."
    )


def test_it_redacts_a_name_with_a_typographic_apostrophe(practice: Practice) -> None:
    subject = make(practice, "Mia", "Zephyrine")
    sean = make(practice, "Seán", "O'Brien")
    red = Redactor.for_members(subject, [sean])
    assert red.text("Sean O\u2019Brien and O\u02bcBRIEN.") == "Member B and Member B."


def test_it_redacts_hyphenated_family_names_whole_and_in_parts(practice: Practice) -> None:
    subject = make(practice, "Mia", "Zephyrine")
    hanna = make(practice, "Hanna", "Müller-Lüdenscheidt")
    red = Redactor.for_members(subject, [hanna])
    assert red.text("Hanna Müller-Lüdenscheidt came.") == "Member B came."
    assert red.text("MULLER-LUDENSCHEIDT came.") == "Member B came."
    assert red.text("Müller\u2011Lüdenscheidt came.") == "Member B came."  # no-break hyphen
    assert red.text("Mrs Lüdenscheidt and Mr Muller.") == "Mrs Member B and Mr Member B."
    # The German spelling without the umlaut is the same name.
    assert red.text("Hanna Mueller-Luedenscheidt") == "Member B"


def test_it_redacts_multi_part_names_but_not_their_short_particles(practice: Practice) -> None:
    subject = make(practice, "Mia", "Zephyrine")
    maria = make(practice, "María José", "de la Cruz")
    red = Redactor.for_members(subject, [maria])
    assert red.text("María José de la Cruz arrived.") == "Member B arrived."
    assert red.text("MARIA JOSE DE LA CRUZ arrived.") == "Member B arrived."
    assert red.text("Maria  Jose\nde la Cruz arrived.") == "Member B arrived."
    assert red.text("Ms de la Cruz and María.") == "Ms Member B and Member B."
    # "de" and "la" alone are not names.
    assert red.text("She came de la part of the group.") == "She came de la part of the group."


def test_it_redacts_names_at_the_edges_and_next_to_punctuation(practice: Practice) -> None:
    subject = make(practice, "Mia", "Zephyrine")
    greta = make(practice, "Greta", "Großmann")
    red = Redactor.for_members(subject, [greta])
    cases = {
        "Großmann": "Member B",
        "Großmann said so": "Member B said so",
        "said so Großmann": "said so Member B",
        "(Großmann)": "(Member B)",
        "«Greta»": "«Member B»",
        "Greta's turn, then GROSSMANN's.": "Member B's turn, then Member B's.",
        "Greta—Großmann—Greta!": "Member B—Member B—Member B!",
        "\u2068Greta Großmann\u2069": "\u2068Member B\u2069",
        "Gre\u00adta Groß\u00admann": "Member B",
    }
    for text, expected in cases.items():
        assert red.text(text) == expected, ascii(text)


def test_it_leaves_words_that_merely_contain_a_name(practice: Practice) -> None:
    subject = make(practice, "Mia", "Zephyrine")
    greta = make(practice, "Greta", "Großmann")
    jose = make(practice, "José", "Ortega")
    ipek = make(practice, "İpek", "Demir")
    red = Redactor.for_members(subject, [greta, jose, ipek])
    for text in [
        "Gretas",
        "Margreta",
        "Großmanns",
        "Josefina",
        "Josébel",
        "Ipekyolu",
        "Greta2",
        "Ortegas",
        "Demirel",
    ]:
        assert red.text(text) == text


def test_it_leaves_the_subjects_own_short_names_whatever_their_spelling(
    practice: Practice,
) -> None:
    subject = make(practice, "Jürgen", "Großmann")
    greta = make(practice, "Greta", "Grossmann")
    red = Redactor.for_members(subject, [greta])
    # The family name is the subject's own (spelt either way): left alone in its short form,
    # but the other member's full name is always replaced.
    assert red.text("Greta Großmann and Jürgen GROSSMANN; Großmann agreed.") == (
        "Member B and Jürgen GROSSMANN; Großmann agreed."
    )
    # Another member whose given name is the subject's in another form keeps the subject's.
    jurgen = make(practice, "JURGEN", "Ortega")
    red = Redactor.for_members(subject, [jurgen])
    assert red.text("Jürgen met Jurgen Ortega.") == "Jürgen met Member B."


def test_it_redacts_a_long_text_in_one_pass(practice: Practice) -> None:
    subject = make(practice, "Mia", "Zephyrine")
    greta = make(practice, "Greta", "Großmann")
    red = Redactor.for_members(subject, [greta])
    text = "Großmann sagte: «Jose\u0301 kommt.» " * 2000
    redacted = red.text(text)
    assert redacted == "Member B sagte: «Jose\u0301 kommt.» " * 2000


def test_the_packet_redacts_a_sharp_s_name_in_a_contact_note(cast: Cast) -> None:
    greta = practice_actions.create_member(
        practice=cast.north,
        given_name="Greta",
        family_name="Großmann",
        date_of_birth=datetime.date(1988, 5, 6),
        acting_user=None,
    )
    practice_actions.enroll_member(
        cast.thursday, greta, joined_on=cast.north.today(), acting_user=None
    )
    contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia, greta],
        acting_user=cast.bob,
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        setting="after_session",
        initiated_by="member",
        summary="Mia and Greta Großmann stayed. GROSSMANN asked Mia to keep it between them.",
        others_present="Grossmann",
        request="explicit",
    )
    packet = collect(cast.mia, checkpoint=None)
    pseudonym = Redactor.for_members(cast.mia, [cast.noah, greta]).member(greta.id)
    [contact] = packet["contacts"]
    assert contact["with_others"] == [pseudonym]
    assert contact["summary"] == (
        f"Mia and {pseudonym} stayed. {pseudonym} asked Mia to keep it between them."
    )
    assert contact["summary_redacted"]
    assert contact["others_present"] == pseudonym
    text = json.dumps(packet, ensure_ascii=False).casefold()
    assert "grossmann" not in text and "greta" not in text

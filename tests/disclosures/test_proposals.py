"""The detector's risk flags on a contact propose facts for "may I raise this in group?"; the
practitioner answers them (records.Prefill.proposed, actions.facts_for)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from groupguard.contacts.models import Contact
from groupguard.disclosures import actions, records
from groupguard.disclosures.models import Assessment
from groupguard.practice import actions as practice_actions
from tests.conftest import Cast
from tests.factories import make_contact

GROUP_ANSWERS: dict[str, Any] = {"recipient": "group", "purpose": "treatment"}
THREAT = "He said he is going to hurt his neighbour if the noise goes on."
SUICIDE = "Endorses passive SI, no plan."
CHILD_ABUSE = "He admitted he hit his daughter with a belt."
SUBSTANCE = "Mia said she relapsed on Saturday and has been drinking every night."


def contact(cast: Cast, summary: str) -> Contact:
    """A phone call from Mia, reminded of the agreement, saying ``summary``."""
    return make_contact(cast, summary=summary, setting="phone", reminded_agreement=True)


def prefill(cast: Cast, entry: Contact) -> records.Prefill:
    return records.prefill(
        member=cast.mia, practitioner=cast.bob, contact=entry, now=timezone.now()
    )


def assess(cast: Cast, entry: Contact, **answers: Any) -> Assessment:
    return actions.assess(
        member=cast.mia, acting_user=cast.bob, answers={**GROUP_ANSWERS, **answers}, contact=entry
    )


def test_a_threat_proposes_a_threat_to_an_identifiable_victim_and_sets_nothing(
    cast: Cast,
) -> None:
    filled = prefill(cast, contact(cast, THREAT))
    value, why = filled.proposed["danger"]
    assert value == "threat_to_identifiable_victim"
    assert "danger" not in filled.facts and "danger" not in filled.sources
    assert "danger" not in filled.asked
    assert why.startswith(
        "The detector flagged a possible threat to harm another person in this contact's note"
    )
    assert "the detector's suggestion from the note's words" in why
    assert "confirm it against what the member said" in why
    assert set(filled.proposed) == {"danger"} and not filled.notes


def test_a_proposal_is_not_an_answer_the_assessment_asks_for_it(cast: Cast) -> None:
    entry = contact(cast, THREAT)
    with pytest.raises(ValidationError) as error:
        assess(cast, entry)
    message = error.value.message_dict["danger"][0]
    assert message.startswith(
        "Answer danger (the detector proposes 'threat_to_identifiable_victim'): The detector"
    )
    assert not Assessment.objects.exists()


def test_the_stored_source_names_the_proposal_beside_the_answer(cast: Cast) -> None:
    entry = contact(cast, THREAT)
    kept = assess(cast, entry, danger="threat_to_identifiable_victim")
    assert kept.facts["danger"] == "threat_to_identifiable_victim"
    assert kept.prefilled["danger"] == (
        "Your answer (the detector proposed “a threat to an identifiable person” from a "
        "possible threat to harm another person in the note's words; you confirmed it)"
    )
    changed = assess(cast, entry, danger="none")
    assert changed.facts["danger"] == "none"
    assert changed.prefilled["danger"].endswith("; you answered otherwise)")
    assert changed.level != kept.level


def test_suicidal_thoughts_propose_a_danger_to_self(cast: Cast) -> None:
    filled = prefill(cast, contact(cast, SUICIDE))
    value, why = filled.proposed["danger"]
    assert value == "danger_to_self"
    assert "flagged possible suicidal thoughts" in why and "“a danger to themselves”" in why


def test_a_threat_wins_over_a_danger_to_self_and_says_so(cast: Cast) -> None:
    filled = prefill(cast, contact(cast, f"{THREAT} {SUICIDE}"))
    value, why = filled.proposed["danger"]
    assert value == "threat_to_identifiable_victim"
    assert "It also flagged possible suicidal thoughts" in why


def test_child_abuse_proposes_abuse_of_a_child(cast: Cast) -> None:
    entry = contact(cast, CHILD_ABUSE)
    filled = prefill(cast, entry)
    assert filled.proposed["abuse"][0] == "child"
    assert "possible abuse or neglect of a child" in filled.proposed["abuse"][1]
    assert "abuse" not in filled.facts and "danger" not in filled.proposed
    with pytest.raises(ValidationError) as error:
        assess(cast, entry)
    assert "abuse" in error.value.message_dict
    assessment = assess(cast, entry, abuse="child")
    assert assessment.facts["abuse"] == "child"
    assert "you confirmed it" in assessment.prefilled["abuse"]


def test_a_note_without_flags_proposes_nothing(cast: Cast) -> None:
    entry = contact(cast, "Mia mentioned her new job after group.")
    filled = prefill(cast, entry)
    assert filled.proposed == {} and filled.notes == {}
    assessment = assess(cast, entry)  # danger and reportable_abuse may be left to the engine
    assert "danger" not in assessment.prefilled


def test_substance_use_proposes_no_fact_only_a_note_on_part_2(cast: Cast) -> None:
    entry = contact(cast, SUBSTANCE)
    filled = prefill(cast, entry)
    assert filled.proposed == {} and filled.facts["part2_program"] is False
    note = filled.notes["part2_program"]
    assert note.startswith("The detector flagged possible substance use in this contact's note")
    assert "In a 42 CFR Part 2 program" in note and "written consent" in note
    assert "Thursday Group is not recorded as one" in note
    practice_actions.update_group(cast.thursday, acting_user=cast.alice, part2_program=True)
    entry = Contact.objects.get(pk=entry.pk)
    filled = prefill(cast, entry)
    assert filled.facts["part2_program"] is True and filled.proposed == {}
    assert "Thursday Group is a 42 CFR Part 2 program" in filled.notes["part2_program"]
    assessment = assess(cast, entry)
    assert assessment.facts["part2_program"] is True
    source = assessment.prefilled["part2_program"]
    assert source.startswith("Thursday Group is a 42 CFR Part 2 program. The detector flagged")


def test_the_stored_flags_are_read_an_older_record_is_detected_again(cast: Cast) -> None:
    entry = contact(cast, THREAT)
    assert [f["kind"] for f in entry.detection_record["flags"]] == ["threat"]
    # The stored record, not the summary, decides: here it holds no flags.
    entry.detection = json.dumps({**entry.detection_record, "flags": []})
    assert prefill(cast, entry).proposed == {}
    # An entry saved before flags were kept (no "flags", or no record) is read again.
    for older in (json.dumps({"request": "none", "matches": []}), None):
        entry.detection = older
        assert prefill(cast, entry).proposed["danger"][0] == "threat_to_identifiable_victim"


def test_an_unknown_kind_from_a_newer_detector_proposes_nothing(cast: Cast) -> None:
    entry = contact(cast, "Mia mentioned her new job after group.")
    entry.detection = json.dumps(
        {"flags": [{"kind": "arson", "start": 0, "end": 3, "rule": "risk.arson"}]}
    )
    assert prefill(cast, entry).proposed == {}

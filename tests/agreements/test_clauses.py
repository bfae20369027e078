"""The clause library, the statement renderer and the comprehension check. Pure: no database."""

from __future__ import annotations

import hashlib
import re

import pytest

from groupguard.agreements import clauses, render
from groupguard.agreements.clauses import LIBRARY, GroupContext

CA_THERAPY = GroupContext(
    jurisdiction="US-CA", modality="therapy", part2_program=False, has_minors=False
)
NY_SUPPORT = GroupContext(
    jurisdiction="US-NY", modality="support", part2_program=False, has_minors=False
)
UK_THERAPY = GroupContext(
    jurisdiction="GB", modality="therapy", part2_program=False, has_minors=False
)
CA_PART2_TEENS = GroupContext(
    jurisdiction="US-CA", modality="counseling", part2_program=True, has_minors=True
)

ALL_POLICIES_TEXT = {
    policy: clauses.clause_by_id("private-communications").text_for(policy)
    for policy in clauses.POLICIES
}
CUSTOM = clauses.custom_clause(
    "custom-snacks", "Snacks and breaks", "We take a short break halfway through each session."
)


def ids(found: list[clauses.Clause]) -> list[str]:
    return [c.id for c in found]


def statement(**changes: object) -> render.StatementInput:
    fields: dict[str, object] = {
        "practice_name": "Northside Counseling",
        "group_name": "Thursday Group",
        "context": CA_THERAPY,
        "policy": "no_secrets",
        "role_statement": "I am Bob B., the facilitator of this group.",
        "clause_ids": tuple(ids(clauses.applicable(CA_THERAPY))),
    }
    fields.update(changes)
    return render.StatementInput(**fields)  # type: ignore[arg-type]


def library_texts() -> list[str]:
    out: list[str] = []
    for c in LIBRARY:
        out += [c.title, c.text, c.rationale, *c.sources, *(c.policy_text or {}).values()]
        if c.question is not None:
            out += [c.question.prompt, c.question.explanation, *c.question.choices]
    return out


# The library ---------------------------------------------------------------------------------


def test_every_clause_has_its_parts() -> None:
    for c in LIBRARY:
        assert c.id and c.title and c.text and c.rationale, c.id
        assert 1 <= len(c.sources) <= 4, c.id
        assert all(s.strip() for s in c.sources), c.id
        assert not c.custom, c.id


def test_clause_ids_are_unique_and_kebab_case() -> None:
    all_ids = ids(list(LIBRARY))
    assert len(all_ids) == len(set(all_ids))
    for clause_id in all_ids:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", clause_id), clause_id
        assert not clause_id.startswith(clauses.CUSTOM_PREFIX)


def test_the_ids_versions_cite_are_all_there() -> None:
    expected = {
        "role",
        "duty-to-every-member",
        "private-communications",
        "written-permission",
        "raise-it-first",
        "referral",
        "casual-contact",
        "no-conflicting-promises",
        "member-pledge",
        "no-guarantee-among-members",
        "breach",
        "legal-exceptions",
        "privilege",
        "hipaa",
        "minors",
        "part2",
        "recordings-telehealth",
        "revisit",
    }
    assert expected <= set(ids(list(LIBRARY)))


def test_the_private_communications_clause_has_a_text_per_policy() -> None:
    clause = clauses.clause_by_id("private-communications")
    assert clause.policy_text is not None and set(clause.policy_text) == set(clauses.POLICIES)
    assert len(set(ALL_POLICIES_TEXT.values())) == 3
    assert "no-secrets" in ALL_POLICIES_TEXT["no_secrets"]
    assert "limited-secrets" in ALL_POLICIES_TEXT["limited_secrets"]
    assert "tell you first" in ALL_POLICIES_TEXT["discretion"]
    assert set(clauses.POLICY_LABELS) == set(clauses.POLICIES)


def test_clause_texts_are_short() -> None:
    for c in LIBRARY:
        for text in [c.text, *(c.policy_text or {}).values()]:
            sentences = len(re.findall(r"[.!?](\s|$)", text))
            assert 2 <= sentences <= 6, (c.id, sentences)


def test_no_text_has_an_unfilled_placeholder() -> None:
    for text in library_texts():
        assert not re.search(r"[{}<>\[\]]|%\(|%s|TODO|XXX|TBD|lorem", text, re.IGNORECASE), text


def test_questions_are_well_formed() -> None:
    questioned = [c for c in LIBRARY if c.question is not None]
    assert 3 <= len(questioned) <= 6
    assert {"private-communications", "referral", "casual-contact", "legal-exceptions"} <= set(
        ids(questioned)
    )
    for c in questioned:
        q = c.question
        assert q is not None and q.id == c.id
        assert 2 <= len(q.choices) <= 4 and len(set(q.choices)) == len(q.choices)
        assert 0 <= q.correct < len(q.choices)
        assert q.prompt.endswith("?") and q.explanation


def test_explanations_survive_html_escaping() -> None:
    # The signing page shows the explanation after a wrong answer; its first sentence is what
    # members (and the flow test) look for in the escaped HTML.
    for c in LIBRARY:
        if c.question is not None:
            assert not re.search(r"[&<>\"']", c.question.explanation), c.id


def test_clause_by_id_names_the_missing_id() -> None:
    assert clauses.clause_by_id("referral").title == "If you need someone to talk to in confidence"
    with pytest.raises(KeyError, match="no-such-clause"):
        clauses.clause_by_id("no-such-clause")


# Applicability -------------------------------------------------------------------------------


def test_us_clauses_apply_in_every_state_but_not_abroad() -> None:
    assert {"hipaa", "privilege"} <= set(ids(clauses.applicable(CA_THERAPY)))
    assert "hipaa" in ids(clauses.applicable(NY_SUPPORT))
    uk = ids(clauses.applicable(UK_THERAPY))
    assert "hipaa" not in uk and "privilege" not in uk and "data-protection" in uk
    assert "data-protection" not in ids(clauses.applicable(CA_THERAPY))


def test_privilege_is_offered_to_treatment_groups_only() -> None:
    assert "privilege" in ids(clauses.applicable(CA_PART2_TEENS))  # counseling
    assert "privilege" not in ids(clauses.applicable(NY_SUPPORT))


def test_part2_and_minors_clauses_apply_only_when_the_group_needs_them() -> None:
    plain = ids(clauses.applicable(CA_THERAPY))
    assert "part2" not in plain and "minors" not in plain
    both = ids(clauses.applicable(CA_PART2_TEENS))
    assert "part2" in both and "minors" in both
    abroad = GroupContext(
        jurisdiction="GB", modality="therapy", part2_program=True, has_minors=True
    )
    assert "part2" not in ids(clauses.applicable(abroad))  # a US federal rule
    # California's minors clause cites California law; elsewhere a general one applies.
    assert "minors" not in ids(clauses.applicable(abroad))
    assert "minors-general" in ids(clauses.applicable(abroad))
    assert "minors-general" not in both


def test_the_us_legal_exceptions_are_not_offered_outside_the_us() -> None:
    abroad = GroupContext(
        jurisdiction="GB", modality="therapy", part2_program=False, has_minors=False
    )
    found = ids(clauses.applicable(abroad))
    assert "legal-exceptions" not in found and "hipaa" not in found
    assert "legal-exceptions-elsewhere" in found
    assert "legal-exceptions-elsewhere" in clauses.required_ids(abroad)
    us = ids(clauses.applicable(CA_THERAPY))
    assert "legal-exceptions" in us and "legal-exceptions-elsewhere" not in us
    for new in ("court-ordered-referral", "member-contact-outside", "telehealth-location"):
        assert new in us and new in found


def test_applicable_keeps_library_order_and_appends_custom_clauses() -> None:
    found = ids(clauses.applicable(CA_PART2_TEENS, [CUSTOM]))
    library_order = [i for i in ids(list(LIBRARY)) if i in found]
    assert found[:-1] == library_order and found[-1] == "custom-snacks"


def test_required_ids_depend_on_the_group() -> None:
    base = {
        "role",
        "duty-to-every-member",
        "private-communications",
        "referral",
        "casual-contact",
        "legal-exceptions",
        "hipaa",
    }
    assert clauses.required_ids(CA_THERAPY) == base
    assert clauses.required_ids(CA_PART2_TEENS) == base | {"part2", "minors"}
    assert "hipaa" not in clauses.required_ids(UK_THERAPY)
    for context in (CA_THERAPY, NY_SUPPORT, UK_THERAPY, CA_PART2_TEENS):
        assert clauses.required_ids(context) <= set(ids(clauses.applicable(context)))


# Validation ------------------------------------------------------------------------------------


def test_the_full_applicable_selection_is_valid() -> None:
    for context in (CA_THERAPY, NY_SUPPORT, UK_THERAPY, CA_PART2_TEENS):
        assert clauses.validate_selection(context, ids(clauses.applicable(context))) == []
    selected = [*ids(clauses.applicable(CA_THERAPY)), "custom-snacks"]
    assert clauses.validate_selection(CA_THERAPY, selected, [CUSTOM]) == []


def test_a_missing_required_clause_is_named_by_its_title() -> None:
    selected = [i for i in ids(clauses.applicable(CA_THERAPY)) if i != "referral"]
    errors = clauses.validate_selection(CA_THERAPY, selected)
    assert errors == [
        "“If you need someone to talk to in confidence” is required for this group and cannot "
        "be removed."
    ]


def test_unknown_non_applicable_and_duplicate_ids_are_refused() -> None:
    base = ids(clauses.applicable(CA_THERAPY))
    errors = clauses.validate_selection(
        CA_THERAPY, [*base, "no-such-clause", "part2", "minors", "role", "custom-snacks"]
    )
    assert "There is no clause 'no-such-clause'." in errors
    assert "There is no clause 'custom-snacks'." in errors  # not offered by this practice
    assert any("42 CFR Part 2" in e and "not part of a 42 CFR Part 2 program" in e for e in errors)
    assert any("no member who is a minor" in e for e in errors)
    assert "The clause 'role' is chosen more than once." in errors
    assert len(errors) == 5
    uk_errors = clauses.validate_selection(
        UK_THERAPY, [*ids(clauses.applicable(UK_THERAPY)), "hipaa"]
    )
    assert uk_errors == [
        "“Your health privacy rights (HIPAA)” cannot be used here: it does not apply in GB."
    ]


# Custom clauses --------------------------------------------------------------------------------


def test_a_custom_clause_is_marked_and_trimmed() -> None:
    clause = clauses.custom_clause(
        "custom-phones", "  Phones  ", " Phones stay off. ", " Focus. ", ["House rules", " "]
    )
    assert clause.custom and not clause.required and clause.question is None
    assert (clause.title, clause.text, clause.rationale, clause.sources) == (
        "Phones",
        "Phones stay off.",
        "Focus.",
        ("House rules",),
    )
    assert clause.jurisdictions is None and clause.modalities is None
    assert clauses.custom_clause("custom-a_b-", "T", "Text.").id == "custom-a_b-"  # slugify output


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("snacks", "Snacks", "Text."), "id"),
        (("custom-", "Snacks", "Text."), "id"),
        (("custom-Snacks", "Snacks", "Text."), "id"),
        (("role", "Snacks", "Text."), "id"),
        (("custom-" + "x" * 60, "Snacks", "Text."), "id"),
        (("custom-snacks", "  ", "Text."), "title"),
        (("custom-snacks", "Snacks", " \n "), "text"),
    ],
)
def test_a_bad_custom_clause_is_refused_naming_the_field(
    args: tuple[str, str, str], field: str
) -> None:
    with pytest.raises(ValueError, match=f"^{field}: "):
        clauses.custom_clause(*args)


# Rendering -------------------------------------------------------------------------------------


def test_the_statement_is_deterministic_and_tidy() -> None:
    text = render.render_statement(statement(effective_date="2026-03-01"))
    assert text == render.render_statement(statement(effective_date="2026-03-01"))
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert "\r" not in text and "\n\n\n" not in text
    assert all(line == line.rstrip() for line in text.split("\n"))
    assert text.splitlines()[0] == "Group agreement: Thursday Group"
    assert "Northside Counseling" in text and "Effective date: 2026-03-01" in text
    assert "Effective date" not in render.render_statement(statement())


def test_the_statement_holds_the_role_every_title_in_order_and_the_signature_paragraph() -> None:
    chosen = ids(clauses.applicable(CA_THERAPY))
    text = render.render_statement(statement())
    assert "I am Bob B., the facilitator of this group." in text
    positions = [
        text.index(f"\n{n}. {clauses.clause_by_id(i).title}\n") for n, i in enumerate(chosen, 1)
    ]
    assert positions == sorted(positions)
    assert "legal advice" not in text.lower()
    assert text.rstrip().endswith("agree to take part in the group on these terms.")


@pytest.mark.parametrize("policy", clauses.POLICIES)
def test_the_statement_uses_the_wording_of_the_chosen_policy(policy: str) -> None:
    text = render.render_statement(statement(policy=policy))
    assert ALL_POLICIES_TEXT[policy] in text
    assert clauses.POLICY_LABELS[policy] in text
    for other, wording in ALL_POLICIES_TEXT.items():
        if other != policy:
            assert wording not in text


def test_custom_clauses_render_in_the_chosen_order() -> None:
    chosen = ("custom-snacks", *ids(clauses.applicable(CA_THERAPY)))
    text = render.render_statement(statement(clause_ids=chosen, extra=(CUSTOM,)))
    assert "\n1. Snacks and breaks\nWe take a short break halfway through each session.\n" in text


def test_free_text_is_normalised() -> None:
    text = render.render_statement(
        statement(role_statement="  I lead this group.  \r\n\r\n\r\n\r\nI see nobody alone.\t ")
    )
    assert "Our role\nI lead this group.\n\nI see nobody alone.\n\n1. " in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"policy": "secret"}, "Unknown policy 'secret'"),
        ({"role_statement": " \n "}, "role statement is empty"),
        ({"group_name": "  "}, "group name"),
        ({"effective_date": "1 March"}, "not an ISO date"),
        ({"clause_ids": ("role",)}, "is required for this group"),
        (
            {"clause_ids": (*ids(clauses.applicable(CA_THERAPY)), "nope")},
            "There is no clause 'nope'",
        ),
    ],
)
def test_the_renderer_refuses_bad_input(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        render.render_statement(statement(**changes))


def test_statement_sha256_is_the_hash_of_the_utf8_text() -> None:
    assert render.statement_sha256("") == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert render.statement_sha256("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert render.statement_sha256("“é”\n") == hashlib.sha256("“é”\n".encode()).hexdigest()


# The comprehension check ---------------------------------------------------------------------


def test_questions_follow_the_clause_order_and_the_limit() -> None:
    chosen = ids(clauses.applicable(CA_THERAPY))
    questions = render.questions_for(chosen)
    assert [q.id for q in questions] == ["private-communications", "referral", "casual-contact"]
    every = render.questions_for(chosen, limit=10)
    assert [q.id for q in every] == [
        "private-communications",
        "referral",
        "casual-contact",
        "no-guarantee-among-members",
        "legal-exceptions",
    ]
    assert render.questions_for(chosen, limit=0) == []


def test_the_core_question_is_always_asked() -> None:
    chosen = [
        "legal-exceptions",
        "no-guarantee-among-members",
        "casual-contact",
        "private-communications",
    ]
    assert [q.id for q in render.questions_for(chosen, limit=2)] == [
        "casual-contact",
        "private-communications",
    ]
    assert [q.id for q in render.questions_for(chosen, limit=1)] == ["private-communications"]
    assert [q.id for q in render.questions_for(["legal-exceptions", "private-communications"])] == [
        "legal-exceptions",
        "private-communications",
    ]


def test_only_one_of_referral_and_casual_contact_is_forced_in() -> None:
    chosen = [
        "legal-exceptions",
        "no-guarantee-among-members",
        "private-communications",
        "casual-contact",
        "referral",
    ]
    assert [q.id for q in render.questions_for(chosen, limit=3)] == [
        "legal-exceptions",
        "private-communications",
        "casual-contact",
    ]


def test_questions_skip_custom_clauses_no_longer_offered() -> None:
    chosen = ["custom-retired", "private-communications", "custom-snacks"]
    assert [q.id for q in render.questions_for(chosen, [CUSTOM])] == ["private-communications"]
    with pytest.raises(KeyError):
        render.questions_for(["no-such-clause"])


# Diffs and the role statement --------------------------------------------------------------------


def test_diff_lines_shows_what_changed() -> None:
    old = "Title\n1. Role\nOld text\nEnd\n"
    new = "Title\n1. Role\nNew text\nEnd\nAdded\n"
    assert render.diff_lines(old, new) == [
        ("same", "Title"),
        ("same", "1. Role"),
        ("removed", "Old text"),
        ("added", "New text"),
        ("same", "End"),
        ("added", "Added"),
    ]
    assert render.diff_lines(old, old) == [("same", line) for line in old.splitlines()]
    assert render.diff_lines("", "a\n") == [("added", "a")]


def test_the_default_role_statement_without_dual_roles() -> None:
    assert render.default_role_statement([], []) == (
        "I am the facilitator of this group, and I am not the individual therapist of any member."
    )
    assert render.default_role_statement(["Ada Q."], []) == (
        "I am Ada Q., the facilitator of this group, and I am not the individual therapist of any "
        "member."
    )
    assert render.default_role_statement(["Ada Q.", "Ben R."], []) == (
        "We, Ada Q. and Ben R., are the facilitators of this group, and neither of us is the "
        "individual therapist of any member."
    )
    assert "none of us is" in render.default_role_statement(["Ada Q.", "Ben R.", "Cy D."], [])


def test_the_default_role_statement_names_the_facilitator_but_never_the_member() -> None:
    dual = [
        ("Ada Q.", "Mia Zephyrine", "Also individual therapist"),
        ("Ada Q.", "Noah Quillfeather", "Also individual therapist"),
        ("Ben R.", "Mia Zephyrine", "Other"),
    ]
    text = render.default_role_statement(["Ada Q.", "Ben R."], dual)
    assert "Mia" not in text and "Zephyrine" not in text and "Noah" not in text
    assert "Ada Q. is also the individual therapist of two members of this group." in text
    assert "Ben R. also has another professional role with one member of this group." in text
    assert "kept separate from the group" in text
    single = render.default_role_statement(
        ["Ada Q."], [("Ada Q.", "", "Also couple or family therapist")]
    )
    assert single.startswith(
        "I am Ada Q., the facilitator of this group. I am also the couple or family therapist of one member"
    )


def test_a_facilitator_without_a_second_role_says_so() -> None:
    text = render.default_role_statement(["Ada Q.", "Ben R."], [("Ada Q.", "", "Supervisor")])
    assert "Ada Q. is also the supervisor of one member of this group." in text
    assert "Ben R. is not the individual therapist of any member." in text


def test_the_page_a_member_reads_keeps_every_word_of_the_signed_text_in_order() -> None:
    text = render.render_statement(statement(effective_date="2026-03-01"))
    blocks = render.reading_blocks(text)
    headings = [t for kind, t in blocks if kind == "heading"]
    # Each clause's title is a heading; the opening lines are not.
    assert len(headings) >= len(statement().clause_ids)
    assert not any(h.startswith("Group agreement") for h in headings)
    assert all(len(h) <= 100 and not h.endswith(".") for h in headings)
    assert " ".join(t for _, t in blocks).split() == text.split()

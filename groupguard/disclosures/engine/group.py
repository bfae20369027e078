"""Rules for bringing into the group what a member shared with the facilitator alone.

The general rule, from the founding article: sharing with current members, in session, for the
group's treatment is not a disclosure to third parties, and a casual remark outside the
session, with no promise, is not a confidence. These rules say where that holds less well
(a promise, an objection, a second role, New York, a minor, sensitive content) and what makes
it hold better (an agreement signed before, advance notice, a written rationale). Three
rules forbid outright: AAMFT's prior written permission, individual-therapy material without
authorization, and an agreed restriction.
"""

from __future__ import annotations

from groupguard.disclosures.engine.law import CAMFT, EXCEPTIONS, LESLIE, PART2
from groupguard.disclosures.engine.rule import Rule, is_, not_

HHS_FAQ = "HHS HIPAA FAQ 203 (group therapy)"
NYSED = "NYSED Office of the Professions, Couples and group therapy confidentiality"
# The brief lists these facts among those that move exposure without naming a source for them.
BRIEF = "groupguard domain brief, facts that move exposure (no single source)"

_GROUP = is_("recipient", "group")
_TALK_FIRST = (
    "Talk with the member before the session: explain why it matters to the group, and ask "
    "them to raise it themselves or to release you from the promise."
)
_SIGN_AGREEMENT = (
    "Have every member sign a group agreement with a policy on private communications before "
    "the next session."
)

GROUP_RULES: tuple[Rule, ...] = (
    # --- forbid ------------------------------------------------------------------------------
    Rule(
        "individual-therapy.needs-authorization",
        "forbid",
        (is_("said_in", "individual_therapy"), _GROUP, is_("authorization", False)),
        "What a member tells you in individual therapy belongs to that therapy, the "
        "confidential space the group points members to. Bringing it into the group needs the "
        "member's written authorization.",
        (LESLIE, "45 CFR 164.508"),
        recommendations=(
            "Invite the member to bring it to the group themselves, or ask for a written "
            "authorization covering what you would share.",
        ),
    ),
    Rule(
        "aamft.prior-written-permission",
        "forbid",
        (
            is_("ethics", "AAMFT"),
            _GROUP,
            not_("said_in", "group_session"),
            is_("written_permission", False),
        ),
        "The AAMFT Code bars revealing one member's confidences to the others in a couple, "
        "family or group without that member's prior written permission, and none is on file: "
        "no agreement signed before, no written authorization.",
        ("AAMFT Code of Ethics 2.2",),
        recommendations=(
            "Ask the member for written permission first, or invite them to raise it themselves.",
            "Put prior written permission for private communications into the group agreement.",
        ),
    ),
    Rule(
        "restriction.agreed",
        "forbid",
        (
            _GROUP,
            is_("member_objects", True),
            is_("promise", "express"),
            is_("authorization", False),
        ),
        "The member asked for a restriction and you expressly promised confidentiality: a "
        "restriction the provider agreed to binds the provider.",
        ("45 CFR 164.522",),
        recommendations=(
            "Keep the promise. If the group's work needs it, ask the member to raise it "
            "themselves or to release you from the promise in writing.",
        ),
    ),
    # --- permit ------------------------------------------------------------------------------
    Rule(
        "group.treatment",
        "permit",
        (_GROUP, is_("purpose", "treatment")),
        "Sharing with current members, in session, for the group's treatment is part of that "
        "treatment, not a disclosure to third parties.",
        (HHS_FAQ, LESLIE),
    ),
    # --- raise -------------------------------------------------------------------------------
    Rule(
        "promise.express",
        "raise",
        (is_("promise", "express"),),
        "You expressly promised to keep it confidential. The member could rely on that, and "
        "a promise that conflicts with the duty to the group should not have been made.",
        (LESLIE, "45 CFR 164.522"),
        points=7,
        floor="elevated",
        recommendations=(
            _TALK_FIRST,
            "From now on answer a request for secrecy with the group's policy and a referral, "
            "not a promise.",
        ),
    ),
    Rule(
        "promise.implied",
        "raise",
        (is_("promise", "implied"),),
        "Your words or conduct suggested it would stay private, which makes the member's "
        "expectation more reasonable than after a casual remark.",
        (LESLIE,),
        points=2,
        recommendations=(_TALK_FIRST,),
    ),
    Rule(
        "request.explicit",
        "raise",
        (is_("member_request", "explicit"),),
        "The member asked you to keep it private. Without a promise the request does not bind "
        "you, but it shows what the member expected.",
        (LESLIE,),
        points=2,
    ),
    Rule(
        "request.implied",
        "raise",
        (is_("member_request", "implied"),),
        "The member's words or conduct showed they expected privacy, without asking for it.",
        (LESLIE,),
        points=1,
    ),
    Rule(
        "member.objects",
        "raise",
        (is_("member_objects", True),),
        "The member objected, or asked for a restriction. A provider need not agree to a "
        "restriction but is bound by one it agreed to, and going ahead over an objection "
        "invites a complaint.",
        ("45 CFR 164.522",),
        points=4,
        floor="elevated",
        recommendations=(
            "Do not agree to a restriction you cannot keep; keep any you agreed to.",
            "Talk it through with the member before anything is shared.",
        ),
    ),
    Rule(
        "relationship.individual-therapist",
        "raise",
        (is_("relationship", "also_individual_therapist"),),
        "You are also this member's individual therapist, so what they tell you privately is "
        "easily taken as said in that therapy: the two roles blur which confidence applies.",
        (LESLIE,),
        points=4,
        floor="elevated",
        recommendations=(
            "Say which role you are in when the member talks to you outside group, and note it.",
        ),
    ),
    Rule(
        "relationship.couple-or-family-therapist",
        "raise",
        (is_("relationship", "also_couple_or_family_therapist"),),
        "You also see this member in couple or family therapy, where another policy on "
        "secrets may govern what they tell you.",
        ("AAMFT Code of Ethics 2.2", CAMFT),
        points=2,
    ),
    Rule(
        "setting.scheduled-one-on-one",
        "raise",
        (_GROUP, is_("said_in", "scheduled_one_on_one")),
        "A scheduled one-to-one meeting is not casual contact: the member could reasonably "
        "expect more privacy there.",
        (LESLIE,),
        points=2,
    ),
    Rule(
        "new-york.one-to-one-confidence",
        "raise",
        (
            _GROUP,
            is_("one_to_one_default", "individual_confidence"),
            not_("said_in", "group_session"),
            not_("agreement", "signed_before"),
        ),
        "Here one-to-one talk with a group member counts as an individual confidence unless "
        "the group agreed otherwise in advance, and it did not.",
        (NYSED,),
        points=4,
        floor="elevated",
        recommendations=("Ask the member's permission before raising it.", _SIGN_AGREEMENT),
    ),
    Rule(
        "agreement.missing",
        "raise",
        (_GROUP, is_("agreement", "none")),
        "No written group agreement allows bringing private communications into group, so "
        "nothing on paper set the member's expectation.",
        (LESLIE, "APA Ethics Code 4.02(b)"),
        points=1,
        recommendations=(_SIGN_AGREEMENT,),
    ),
    Rule(
        "agreement.tell-first-promised",
        "raise",
        (_GROUP, is_("told_first_promised", True), is_("member_told_in_advance", False)),
        "The agreement the member signed promises them the chance to raise it first, or to "
        "be told before it comes up: raising it without that goes against the agreement's "
        "word.",
        ("NASW Code of Ethics 1.07(d)", "groupguard clause library: raise-it-first"),
        points=1,
        recommendations=(
            "Tell the member before the session, and offer them the chance to raise it "
            "themselves, as the agreement says.",
        ),
    ),
    Rule(
        "agreement.signed-after",
        "raise",
        (_GROUP, is_("agreement", "signed_after")),
        "The agreement was signed after the member said it, so it did not govern that moment; "
        "it helps from now on.",
        (LESLIE, "APA Ethics Code 4.02(b)"),
        points=1,
    ),
    Rule(
        "member.minor",
        "raise",
        (is_("minor", True),),
        "The member is a minor: consent, parents' involvement and records follow rules of "
        "their own (the sources cite California's).",
        ("Cal. Health and Safety Code 124260", "Cal. Family Code 6924"),
        points=2,
        recommendations=(
            "Check who consented to the minor's treatment, and what parents may be told, "
            "before sharing anything.",
        ),
    ),
    Rule(
        "program.part2",
        "raise",
        (is_("part2_program", True),),
        "The group is a 42 CFR Part 2 substance-use program, whose records carry extra federal "
        "protection.",
        PART2,
        points=2,
        recommendations=(
            "Anything leaving the program needs consent that meets Part 2's requirements, or a "
            "qualifying court order.",
        ),
    ),
    Rule(
        "content.sensitive",
        "raise",
        (is_("sensitive", True),),
        "Highly sensitive content (an affair, HIV status, a crime) can do lasting harm once "
        "others know it, whatever the policy says.",
        (BRIEF,),
        points=2,
        floor="elevated",
        recommendations=(
            "Share no more than the group's work needs; often it is enough that the member "
            "raises it in their own words.",
        ),
    ),
    Rule(
        "purpose.not-treatment",
        "raise",
        (_GROUP, not_("purpose", "treatment")),
        "Sharing in group counts as treatment only when it is done for treatment; for another "
        "purpose it loses that footing.",
        (HHS_FAQ, LESLIE),
        points=3,
        floor="elevated",
        recommendations=(
            "If a law or a safety concern is the reason, use the legal channel (the potential "
            "victim, the police, protective services), not the group.",
        ),
    ),
    Rule(
        "relevance.not-relevant",
        "raise",
        (_GROUP, is_("relevant_to_treatment", False)),
        "It does not serve the group's work, and sharing what treatment does not need is hard "
        "to defend.",
        (LESLIE,),
        points=3,
        floor="elevated",
        recommendations=("Leave it out unless it becomes relevant to the group's work.",),
    ),
    Rule(
        "danger-to-self.in-group",
        "raise",
        (_GROUP, is_("danger", "danger_to_self")),
        "A member's danger to themselves calls for assessment and safety steps first; telling "
        "the group is not one of them.",
        EXCEPTIONS,
        points=3,
        floor="elevated",
        recommendations=(
            "Assess the risk and make a safety plan with the member now, before any session.",
        ),
    ),
    # --- lower -------------------------------------------------------------------------------
    Rule(
        "agreement.signed-before",
        "lower",
        (_GROUP, is_("agreement", "signed_before"), is_("policy", "no_secrets")),
        "Before saying it, the member signed a written agreement that allows bringing private "
        "communications into group: the deciding fact for what they could expect.",
        (LESLIE, "AAMFT Code of Ethics 2.2", NYSED),
        points=2,
    ),
    Rule(
        "agreement.limited-secrets",
        "lower",
        (_GROUP, is_("agreement", "signed_before"), is_("policy", "limited_secrets")),
        "Before saying it, the member signed a limited-secrets agreement: some private "
        "communications may come into group, at the facilitator's judgment.",
        ("NASW Code of Ethics 1.07(g)", LESLIE),
        points=1,
    ),
    Rule(
        "setting.casual-no-promise",
        "lower",
        (
            _GROUP,
            is_("said_in", "outside_session_casual", "written_message"),
            is_("promise", "none"),
            is_("member_request", "none"),
            is_("one_to_one_default", "casual_not_confidential"),
        ),
        "A casual or informal remark outside the scheduled session (in passing, by phone, in a "
        "message), with no promise, is not a confidence.",
        (LESLIE,),
        points=1,
    ),
    Rule(
        "setting.said-in-group",
        "lower",
        (_GROUP, is_("said_in", "group_session")),
        "It was said in session, in front of the group: raising it again tells no one anything "
        "new.",
        (HHS_FAQ,),
        points=3,
    ),
    Rule(
        "member.told-in-advance",
        "lower",
        (is_("member_told_in_advance", True),),
        "The member was told it would come up, or given the chance to raise it first.",
        ("NASW Code of Ethics 1.07(d)",),
        points=1,
    ),
    Rule(
        "member.reminded-at-time",
        "lower",
        (is_("reminded_at_time", True),),
        "When it was said, you reminded the member of the group's policy, so they knew it "
        "could come up.",
        (LESLIE,),
        points=1,
    ),
    Rule(
        "rationale.documented",
        "lower",
        (is_("documented_rationale", True),),
        "Your rationale, and what you will share, are in writing before you act.",
        (BRIEF,),
        points=1,
    ),
    Rule(
        "authorization.written",
        "lower",
        (is_("authorization", True),),
        "The member's written authorization covers this disclosure.",
        ("45 CFR 164.508", "AAMFT Code of Ethics 2.2"),
        points=3,
    ),
)

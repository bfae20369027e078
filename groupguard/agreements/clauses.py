"""The clause library of the group agreement (the written disclosure statement members sign).

Pure Python, no Django: the library is data, and the functions decide which clauses apply to a
group, which of them cannot be removed, and whether a facilitator's selection is acceptable.

Terms:
- A **clause** is one section of the agreement: member-facing text in plain words, plus a short
  rationale and the sources behind it for the facilitator. Library clause ids are stable forever,
  because published statement versions store the ids they were built from.
- The **policy** says how things a member tells a facilitator privately (outside the session) are
  handled: no secrets, limited secrets, or the facilitator's discretion (NASW Code of Ethics
  1.07(g) asks practitioners to say which). Only the private-communications clause varies by it.
- A **jurisdiction** is a code like ``US-CA`` or ``GB``; a clause limited to a country code
  (``US``) applies to every region of that country (``US-CA``, ``US-NY``, ...).
- A **custom clause** is a practice's own, with an id of the form ``custom-<slug>``.

The texts are decision support written for groupguard, not legal advice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

POLICIES = ("no_secrets", "limited_secrets", "discretion")
POLICY_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "no_secrets": "No secrets",
        "limited_secrets": "Limited secrets",
        "discretion": "Facilitator's discretion",
    }
)
MODALITIES = ("therapy", "counseling", "psychoeducation", "support")

CUSTOM_PREFIX = "custom-"
# Django's slugify may keep underscores and, once truncated, end with a hyphen; accept both so
# every slug the practice form produces is a valid id.
_CUSTOM_ID_RE = re.compile(r"^custom-[a-z0-9][a-z0-9_-]*$")
CUSTOM_ID_MAX_LENGTH = 60  # PracticeClause.clause_id

# The EU member states and the United Kingdom (GB, and UK as people often type it), where health
# data is special-category personal data under (UK) GDPR Article 9.
_GDPR = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR IE IT LV LT LU MT NL PL PT RO SK SI ES SE GB UK".split()
)
_US = frozenset({"US"})
_TREATMENT = frozenset({"therapy", "counseling"})


@dataclass(frozen=True)
class Question:
    """One comprehension question; ``explanation`` is shown after a wrong answer."""

    id: str
    prompt: str
    choices: tuple[str, ...]
    correct: int
    explanation: str


@dataclass(frozen=True)
class Clause:
    id: str
    title: str
    text: str  # member-facing; for a clause with policy variants, the no-secrets wording
    rationale: str  # for the facilitator: why the clause is there
    sources: tuple[str, ...]
    required: bool = False
    jurisdictions: frozenset[str] | None = None  # None: everywhere
    not_in: frozenset[str] = frozenset()  # codes or countries where it does not apply
    modalities: frozenset[str] | None = None  # None: every modality
    part2_only: bool = False
    minors_only: bool = False
    # Excluded from the hash so a clause stays hashable; equality still compares it.
    policy_text: Mapping[str, str] | None = field(default=None, hash=False)
    question: Question | None = None
    custom: bool = False

    def text_for(self, policy: str) -> str:
        """The member-facing text under ``policy`` (the variant if there is one)."""
        if self.policy_text is not None and policy in self.policy_text:
            return self.policy_text[policy]
        return self.text


@dataclass(frozen=True)
class GroupContext:
    """The facts about a group that decide which clauses apply."""

    jurisdiction: str
    modality: str
    part2_program: bool
    has_minors: bool


def _variants(**texts: str) -> Mapping[str, str]:
    if set(texts) != set(POLICIES):
        raise ValueError("Every policy needs its own wording of the clause.")
    return MappingProxyType(texts)


_PRIVATE = _variants(
    no_secrets=(
        "This group follows a no-secrets policy. If you tell a facilitator something when the "
        "rest of the group is not there (before or after a session, by phone, text or email), "
        "the facilitator may bring it into the group when it matters to the group's work. The "
        "facilitator will use judgment about whether, when and how much to share, and you will "
        "usually get the chance to raise it yourself first. If something needs to stay private, "
        "ask for the referral described in this agreement."
    ),
    limited_secrets=(
        "This group follows a limited-secrets policy. If you tell a facilitator something when "
        "the rest of the group is not there (before or after a session, by phone, text or "
        "email), the facilitator may keep some of it private and may bring some of it into the "
        "group when it matters to the group's work. That choice is the facilitator's, made with "
        "care about when and how much to share. Please do not assume that what you say "
        "privately will stay private."
    ),
    discretion=(
        "In this group, the facilitator decides case by case what happens to things a member "
        "says privately, outside the session. Some things may stay private; others may be "
        "brought into the group when they matter to the group's work. Before bringing something "
        "you shared into the group, the facilitator will tell you first, so it does not come as "
        "a surprise."
    ),
)

LIBRARY: tuple[Clause, ...] = (
    Clause(
        id="role",
        title="Who leads the group, and who the client is",
        text=(
            "Every member of this group is a client, and the work happens with all of you "
            "together. The role statement at the start of this agreement says who leads the "
            "group and whether a facilitator has any other professional role with a member. "
            "Talking with a facilitator one-to-one does not, on its own, make them your "
            "individual therapist."
        ),
        rationale=(
            "A member who is unsure of the practitioner's role may believe a private talk "
            "created an individual, confidential relationship. Saying up front who the client "
            "is, and naming any second role, removes that misunderstanding."
        ),
        sources=(
            "APA Ethics Code 10.03",
            "ACA Code of Ethics A.8",
            "ACA Code of Ethics B.4.b",
            "Leslie, Avoiding Liability Bulletin, Dec 2008",
        ),
        required=True,
    ),
    Clause(
        id="duty-to-every-member",
        title="Our duty is to every member",
        text=(
            "The facilitators owe the same care to each person in the group and to the group as "
            "a whole. That is why we cannot favour one member by keeping something from the "
            "group when it affects the group's work. Group records are about several people at "
            "once, so we share them outside the practice only with the written authorization "
            "of every member they concern, under a court order, or as the law requires or "
            "permits."
        ),
        rationale=(
            "In a group the practitioner's duty runs to all members at once. Group records name "
            "several clients, so releasing them needs each member's authorization or a court "
            "order, not only the requester's."
        ),
        sources=(
            "CAMFT, Confidentiality and privilege: group, conjoint, family and collateral "
            "therapy issues (2009)",
            "AAMFT Code of Ethics 2.2",
        ),
        required=True,
    ),
    Clause(
        id="private-communications",
        title="Things you tell a facilitator privately",
        text=_PRIVATE["no_secrets"],
        rationale=(
            "Most complaints start when a member confided in the facilitator outside the session "
            "and later heard it raised in group. Choosing a policy and stating it before the "
            "group begins makes the member's expectation clear, and in places such as New York "
            "a one-to-one talk counts as an individual confidence unless there was a prior "
            "agreement."
        ),
        sources=(
            "NASW Code of Ethics 1.07(g)",
            "Leslie, Avoiding Liability Bulletin, Dec 2008",
            "NYSED Office of the Professions, Couples and group therapy confidentiality",
        ),
        required=True,
        policy_text=_PRIVATE,
        question=Question(
            id="private-communications",
            prompt=(
                "If you tell a facilitator something after a session, when the others have "
                "left, could it be brought up in group?"
            ),
            choices=(
                "No. Anything said outside the session stays between you and the facilitator.",
                "Yes, it could, if it matters to the group's work.",
                "Only if another member asks about it.",
            ),
            correct=1,
            explanation=(
                "Yes, it could be brought into group. Under this agreement, what you tell a "
                "facilitator privately may be shared with the group when it matters to the work "
                "of the group, and the facilitator uses judgment about when and how much. If "
                "something needs to stay private, ask for a referral to an individual therapist."
            ),
        ),
    ),
    Clause(
        id="written-permission",
        title="Your written permission",
        text=(
            "By signing this agreement before the group begins, you give the facilitators "
            "written permission to bring into the group what you share with them privately, in "
            "the way this agreement describes. The permission covers only the current members "
            "of this group, in session, and only what the group's work needs. It does not allow "
            "anyone to pass your information to people outside the group."
        ),
        rationale=(
            "Marriage and family therapists may not reveal one member's confidences to the "
            "others without that member's prior written permission, so a signed, prior, written "
            "policy is the deciding fact, not a nicety. Limiting it to current members in "
            "session keeps the disclosure within treatment."
        ),
        sources=(
            "AAMFT Code of Ethics 2.2",
            "NYSED Office of the Professions, Couples and group therapy confidentiality",
        ),
    ),
    Clause(
        id="raise-it-first",
        title="A chance to raise it yourself first",
        text=(
            "When a facilitator plans to bring into the group something you said privately, you "
            "will usually be offered the chance to bring it up yourself, in your own words. When "
            "that is not possible or not right for the group, the facilitator will try to let "
            "you know beforehand. The aim is that nothing you said privately catches you off "
            "guard in a session."
        ),
        rationale=(
            "Telling a client before their information is disclosed, where that is possible, "
            "respects their autonomy and lowers the chance that they feel betrayed."
        ),
        sources=("NASW Code of Ethics 1.07(d)",),
    ),
    Clause(
        id="referral",
        title="If you need someone to talk to in confidence",
        text=(
            "The group is not the place for everything. If you need to talk with someone in "
            "confidence about something you do not want the group to hear, a facilitator can "
            "refer you to an individual therapist or counselor. What you say there falls under "
            "the confidentiality of individual treatment, not under this group agreement."
        ),
        rationale=(
            "Offering a referral gives members a proper confidential outlet, so the facilitator "
            "is never asked to hold a secret against the group's interest."
        ),
        sources=("Leslie, Avoiding Liability Bulletin, Dec 2008",),
        required=True,
        question=Question(
            id="referral",
            prompt=(
                "You want to talk about something you do not want the group to hear. What is "
                "the best step?"
            ),
            choices=(
                "Tell a facilitator after group and ask them to keep it secret.",
                "Ask a facilitator for a referral to an individual therapist or counselor.",
                "Send a private message to another member about it.",
            ),
            correct=1,
            explanation=(
                "Asking for a referral is the best step. A private word with a facilitator may "
                "still be brought into group, while an individual therapist or counselor can "
                "give you the confidential space you need."
            ),
        ),
    ),
    Clause(
        id="casual-contact",
        title="Casual contact is not kept from the group",
        text=(
            "Chats with a facilitator outside the scheduled session, in the hallway, in the "
            "parking lot, or by text, email or phone, are not kept from the group: what you say "
            "there may come up in group when it matters to the group's work. They stay as "
            "private as the group itself, never shared outside it except as the law requires "
            "or permits. If something matters to you, please bring it to the session, where "
            "the group can help."
        ),
        rationale=(
            "Members should not expect confidentiality for casual or informal contact with the "
            "practitioner outside the scheduled session; saying so in advance prevents a "
            "mistaken expectation."
        ),
        sources=("Leslie, Avoiding Liability Bulletin, Dec 2008",),
        required=True,
        question=Question(
            id="casual-contact",
            prompt=(
                "You run into a facilitator in the parking lot and mention something personal. "
                "Is that conversation confidential?"
            ),
            choices=(
                "Yes, because the rest of the group was not there.",
                "No. Casual contact outside the session is not kept from the group.",
            ),
            correct=1,
            explanation=(
                "No, it is not kept from the group. Informal conversations outside the "
                "scheduled session are not private talks, and what you said may come up in "
                "group when it matters to the work of the group."
            ),
        ),
    ),
    Clause(
        id="no-conflicting-promises",
        title="No promises that would work against the group",
        text=(
            "The facilitators will not promise to keep something secret for one member if that "
            "would get in the way of their duty to the group. If you ask a facilitator to keep "
            "something just between the two of you, they may say no and remind you of this "
            "agreement. That is not a lack of care for you; it is how the group stays fair to "
            "everyone in it."
        ),
        rationale=(
            "An express promise of confidentiality is what most raises the practitioner's "
            "exposure. Declining such promises in advance protects the primary duty to the "
            "group."
        ),
        sources=("Leslie, Avoiding Liability Bulletin, Dec 2008",),
    ),
    Clause(
        id="member-pledge",
        title="What members promise each other",
        text=(
            "Each member agrees to keep private who else is in the group and what others share "
            "here. You are free to talk about your own experience outside the group, but not "
            "about other members' stories or anything that could identify them. That includes "
            "not recording sessions and not posting about other members online."
        ),
        rationale=(
            "Practitioners should seek an agreement among members about each person's right to "
            "confidentiality, covering identities and stories, and explain why it matters."
        ),
        sources=("NASW Code of Ethics 1.07(f)", "ACA Code of Ethics B.4.a"),
    ),
    Clause(
        id="no-guarantee-among-members",
        title="We cannot guarantee what other members do",
        text=(
            "The facilitators ask every member to keep this promise and take any breach "
            "seriously, but we cannot guarantee that everyone will. Members do not carry the "
            "same professional and legal duties as the facilitators. Please keep that in mind "
            "when you decide what to share."
        ),
        rationale=(
            "Members must be told that the practitioner cannot guarantee that all participants "
            "will honour their agreement, so they can choose what to disclose."
        ),
        sources=("NASW Code of Ethics 1.07(f)",),
        question=Question(
            id="no-guarantee-among-members",
            prompt=(
                "Can the facilitators guarantee that other members will keep what you say private?"
            ),
            choices=(
                "Yes. Every member signs this agreement, so it is guaranteed.",
                "No. Members promise to keep it private, but nobody can guarantee it.",
            ),
            correct=1,
            explanation=(
                "No, nobody can guarantee it. Members promise each other privacy and a breach is "
                "taken seriously, but members do not carry the legal duties of the facilitators, "
                "so share at a pace that feels safe to you."
            ),
        ),
    ),
    Clause(
        id="breach",
        title="If a member breaks that promise",
        text=(
            "If a member shares another member's identity or story outside the group, the "
            "facilitators will talk with them about it and may discuss it with the group. "
            "Depending on what happened, the member may be asked to leave the group. The "
            "facilitators will decide what is fair to everyone, including the person whose "
            "privacy was affected."
        ),
        rationale=(
            "Stating the consequences of a breach in advance makes the members' pledge "
            "meaningful and lets the practitioner act without seeming arbitrary."
        ),
        sources=("HPSO",),
    ),
    Clause(
        id="legal-exceptions",
        title="When the law requires or permits us to share information",
        text=(
            "Some duties come from the law and override this agreement. A facilitator may have "
            "to act without your permission if someone is in serious danger from themselves or "
            "another person, if a child, an elder or a dependent adult may be being abused, or "
            "if a court orders it (a subpoena alone is not enough). Limited information may also "
            "be shared to arrange payment, as the law allows. In those cases the information "
            "goes to people who can help, such as a person at risk, the police or protective "
            "services, never to the group."
        ),
        rationale=(
            "The law wins over any group policy: duty to protect, mandated abuse reporting and "
            "court orders. Members should hear these limits before they disclose, and threats "
            "or abuse belong in the legal channel, not in the group."
        ),
        sources=(
            "APA Ethics Code 4.02",
            "AAMFT Code of Ethics 2.1",
            "Cal. Civil Code 43.92",
            "45 CFR 164.512(j)",
        ),
        required=True,
        question=Question(
            id="legal-exceptions",
            prompt=(
                "A member says something that suggests a person is in serious danger. What can "
                "happen?"
            ),
            choices=(
                "Nothing. Everything said in group stays private, no matter what.",
                "A facilitator may have to tell people who can help, such as the police.",
                "The facilitators will tell the families of the other members.",
            ),
            correct=1,
            explanation=(
                "The law can require a facilitator to act. When someone may be in serious "
                "danger, or a child, elder or dependent adult may be abused, a facilitator may "
                "have to tell the people who can help, even without permission."
            ),
        ),
        jurisdictions=_US,
    ),
    Clause(
        id="legal-exceptions-elsewhere",
        title="When the law requires or permits us to share information",
        text=(
            "Some duties come from the law where we practice and override this agreement. A "
            "facilitator may have to act without your permission if someone is in serious "
            "danger, if a child or a vulnerable adult may be being harmed, or if a court "
            "orders it. In those cases the information goes to people who can help, never to "
            "the group. We will tell you which laws apply here if you ask."
        ),
        rationale=(
            "Outside the US the engine models no law: the duties to protect and to report and "
            "the court's powers come from local law, which the facilitator should name in a "
            "custom clause. Members should still hear that the law can override the agreement."
        ),
        sources=("APA Ethics Code 4.02", "AAMFT Code of Ethics 2.1"),
        required=True,
        not_in=_US,
        question=Question(
            id="legal-exceptions-elsewhere",
            prompt=(
                "A member says something that suggests a person is in serious danger. What can "
                "happen?"
            ),
            choices=(
                "Nothing. Everything said in group stays private, no matter what.",
                "A facilitator may have to tell people who can help.",
                "The facilitators will tell the families of the other members.",
            ),
            correct=1,
            explanation=(
                "The law can require a facilitator to act when someone may be in serious "
                "danger or a child or vulnerable adult may be harmed, even without permission."
            ),
        ),
    ),
    Clause(
        id="court-ordered-referral",
        title="If a court or an agency sent you here",
        text=(
            "If a court, a probation officer, an employer's program or another agency asked you "
            "to attend, we tell them only what you authorize in writing, usually whether you "
            "attended and took part, never what you or anyone else said in group. You can see "
            "what we send. Other members are never named."
        ),
        rationale=(
            "A referral source of a mandated member is a third party: reports go out only under "
            "the member's written authorization (and Part 2 consent in a substance-use "
            "program), limited to attendance and participation, and never name other members."
        ),
        sources=("45 CFR 164.508", "42 CFR Part 2", "NASW Code of Ethics 1.07(f)"),
    ),
    Clause(
        id="member-contact-outside",
        title="When members meet outside the group",
        text=(
            "Members sometimes see each other outside the group, by chance or by choice. "
            "Please bring anything important that happens between you back into the group, "
            "because private alliances and secrets between members can get in the way of the "
            "group's work. Whether you meet outside at all is up to you; what another member "
            "said in group is never yours to share, there or anywhere."
        ),
        rationale=(
            "Contact between members outside the group is a core issue of group work (Yalom; "
            "AGPA's practice guidelines): saying in advance that it belongs back in the group, "
            "and that the members' pledge to each other still holds, prevents subgroups and "
            "secrets that the facilitator is then asked to keep."
        ),
        sources=(
            "AGPA Practice Guidelines for Group Psychotherapy",
            "Yalom and Leszcz, The Theory and Practice of Group Psychotherapy",
            "ACA Code of Ethics B.4.a",
        ),
    ),
    Clause(
        id="telehealth-location",
        title="Online sessions: where you are and what we do in an emergency",
        text=(
            "When you join a session online, we will ask where you are at the start, because "
            "the law of the place where you are can decide what we must do in an emergency. "
            "Please join from a private place where no one else can hear the group, and give "
            "us a phone number and an emergency contact. If we believe you are in danger during "
            "a session, we may call you, your emergency contact or local emergency services."
        ),
        rationale=(
            "In telehealth the law where the member is usually governs the duty to protect and "
            "to report, and an emergency plan needs the member's location; privacy of the "
            "member's surroundings protects the other members."
        ),
        sources=("APA Guidelines for the Practice of Telepsychology (2013)", "45 CFR 164.512(j)"),
    ),
    Clause(
        id="privilege",
        title="Legal privilege depends on the state",
        text=(
            "Privilege is the legal rule that can keep what is said in therapy out of court. "
            "Whether it covers what is said in a group depends on the state, and it can be lost "
            "in some situations, for example when information is shared outside the group. We "
            "cannot promise that a court will treat what is said in this group as privileged."
        ),
        rationale=(
            "Psychotherapist-patient privilege for group communications varies by state and can "
            "be waived; members should not assume it. It concerns treatment, so the clause is "
            "offered to therapy and counseling groups."
        ),
        sources=(
            "Leslie, Avoiding Liability Bulletin, Dec 2008 (group privilege)",
            "CAMFT, Confidentiality and privilege: group, conjoint, family and collateral "
            "therapy issues (2009)",
        ),
        jurisdictions=_US,
        modalities=_TREATMENT,
    ),
    Clause(
        id="hipaa",
        title="Your health privacy rights (HIPAA)",
        text=(
            "You will receive the practice's Notice of Privacy Practices, which explains how "
            "your health information is used and your rights. Sharing with the other members "
            "during group sessions is part of your treatment here. You may ask us to restrict "
            "how we use or share your information; we do not have to agree, but once we agree "
            "we are bound by it, so raise any request before the group starts. Most uses of "
            "psychotherapy notes, including notes about group sessions, need your separate "
            "written authorization."
        ),
        rationale=(
            "HHS treats disclosures among group members during sessions as part of treatment. "
            "An agreed restriction is binding, so requests must be settled before the group "
            "starts, and psychotherapy notes (which include group sessions) need specific "
            "authorization."
        ),
        sources=(
            "HHS HIPAA FAQ 203 (group therapy)",
            "45 CFR 164.522",
            "45 CFR 164.501",
            "45 CFR 164.508",
        ),
        required=True,
        jurisdictions=_US,
    ),
    Clause(
        id="data-protection",
        title="How your personal data is protected",
        text=(
            "Information about your health is a special category of personal data, and we "
            "handle it with extra care. Group notes may mention other members, who have rights "
            "over their own information too, so if you ask for your records, details about "
            "others may be removed. If we ever need to share something to keep someone safe, "
            "we will talk with you first whenever we can."
        ),
        rationale=(
            "Under (UK) GDPR health data is special-category data, and other members named in "
            "a note are data subjects too. The BACP framework asks practitioners to state "
            "foreseeable limits when contracting and to consult the client before a "
            "safeguarding override."
        ),
        sources=("GDPR Art. 9", "BACP Ethical Framework 2018"),
        required=True,
        jurisdictions=_GDPR,
    ),
    Clause(
        id="minors",
        title="Members who are minors",
        text=(
            "Some members of this group are minors. Depending on the law where we practice and "
            "the young person's age, they may be able to consent to their own treatment, or a "
            "parent or guardian may need to consent and may have a right to some information. "
            "Before the group starts, we will explain to each young member and their parent or "
            "guardian what parents will and will not be told. The legal duties to protect and "
            "to report abuse apply whatever a member's age."
        ),
        rationale=(
            "Consent, parents' access and records for minors follow specific rules (in "
            "California, for example, a minor of 12 or older may consent to outpatient mental "
            "health care in some cases). A minor member raises the practitioner's exposure, so "
            "the limits must be explained to both the minor and the parent."
        ),
        sources=("Cal. Health and Safety Code 124260", "Cal. Family Code 6924"),
        required=True,
        minors_only=True,
        jurisdictions=frozenset({"US-CA"}),
    ),
    Clause(
        id="minors-general",
        title="Members who are minors",
        text=(
            "Some members of this group are minors. The law where we practice decides when a "
            "young person may consent to their own treatment and what a parent or guardian may "
            "be told. Before the group starts, we will explain to each young member and their "
            "parent or guardian what parents will and will not be told. Care a young person "
            "may lawfully agree to on their own stays theirs to share. The legal duties to "
            "protect and to report abuse apply whatever a member's age."
        ),
        rationale=(
            "Minors' consent and parents' access differ from state to state; where a minor may "
            "consent on their own, the minor, not the parent, controls that information under "
            "HIPAA. Check your state's minor-consent law and name it in a custom clause."
        ),
        sources=("45 CFR 164.502(g)(3)", "APA Ethics Code 4.02"),
        required=True,
        minors_only=True,
        not_in=frozenset({"US-CA"}),
    ),
    Clause(
        id="part2",
        title="Substance use treatment records (42 CFR Part 2)",
        text=(
            "This group is part of a substance use treatment program covered by a federal law, "
            "42 CFR Part 2, which gives extra protection to records that show you are in "
            "treatment. In general we share those records only with your written consent. "
            "Without it, they can be used in a legal case against you only under a special "
            "court order; a subpoena alone is not enough. You will receive a separate notice "
            "that explains these rights."
        ),
        rationale=(
            "Part 2 programs need their own notice and consent; the 2024 final rule aligned "
            "much of Part 2 with HIPAA, with compliance required from 16 February 2026. Records "
            "need consent or a qualifying court order."
        ),
        sources=("42 CFR Part 2", "42 CFR Part 2 final rule, FR 2024-02544"),
        required=True,
        jurisdictions=_US,
        part2_only=True,
    ),
    Clause(
        id="recordings-telehealth",
        title="Recordings, messages and online sessions",
        text=(
            "Members may not record any part of a session, by audio, video or screenshot. The "
            "facilitators will not record a session unless every member agrees in writing first. "
            "If you join online, please do it from a private place where nobody else can see or "
            "hear the group, and use headphones if you can. Messages and email are not fully "
            "secure, so keep personal details for the session."
        ),
        rationale=(
            "Recordings, screenshots and overheard video sessions are the easiest ways for "
            "members' stories to leave the group; the members' agreement should cover them "
            "explicitly, alongside the security of records."
        ),
        sources=("NASW Code of Ethics 1.07(f)", "ACA Code of Ethics B.4.a"),
    ),
    Clause(
        id="revisit",
        title="When we go over this again",
        text=(
            "We go over these limits of privacy before the group starts and again when "
            "something important changes, such as when new members join. If the agreement "
            "itself changes, you will be asked to read and sign the new version. You can ask "
            "about any part of it at any time."
        ),
        rationale=(
            "Limits of confidentiality are discussed at the outset and again as circumstances "
            "warrant; re-explaining them when members join lowers the practitioner's exposure."
        ),
        sources=("APA Ethics Code 4.02(b)",),
    ),
)

_BY_ID: Mapping[str, Clause] = MappingProxyType({c.id: c for c in LIBRARY})


def clause_by_id(clause_id: str) -> Clause:
    """The library clause with this id; custom clauses are not looked up here."""
    try:
        return _BY_ID[clause_id]
    except KeyError:
        raise KeyError(f"No clause with id {clause_id!r} in the clause library.") from None


def _jurisdiction_matches(allowed: frozenset[str], jurisdiction: str) -> bool:
    country = jurisdiction.split("-", 1)[0]
    return jurisdiction in allowed or country in allowed


def _why_not(clause: Clause, context: GroupContext) -> str | None:
    """Why ``clause`` does not apply to the group, or None if it does."""
    if clause.jurisdictions is not None and not _jurisdiction_matches(
        clause.jurisdictions, context.jurisdiction
    ):
        return f"it does not apply in {context.jurisdiction}"
    if _jurisdiction_matches(clause.not_in, context.jurisdiction):
        return f"another clause covers {context.jurisdiction}"
    if clause.modalities is not None and context.modality not in clause.modalities:
        return f"it does not apply to a {context.modality} group"
    if clause.part2_only and not context.part2_program:
        return "the group is not part of a 42 CFR Part 2 program"
    if clause.minors_only and not context.has_minors:
        return "the group has no member who is a minor"
    return None


def applicable(context: GroupContext, extra: Sequence[Clause] = ()) -> list[Clause]:
    """The library clauses that apply to the group, in library order, then ``extra``."""
    return [c for c in LIBRARY if _why_not(c, context) is None] + list(extra)


def required_ids(context: GroupContext) -> set[str]:
    """Ids of the clauses this group's agreement must keep."""
    return {c.id for c in LIBRARY if c.required and _why_not(c, context) is None}


def validate_selection(
    context: GroupContext, selected: Sequence[str], extra: Sequence[Clause] = ()
) -> list[str]:
    """Problems with a selection of clause ids, as messages for the facilitator; empty if fine."""
    known = {c.id: c for c in extra} | dict(_BY_ID)
    required = required_ids(context)
    errors: list[str] = []
    seen: set[str] = set()
    for clause_id in selected:
        if clause_id in seen:
            errors.append(f"The clause {clause_id!r} is chosen more than once.")
            continue
        seen.add(clause_id)
        clause = known.get(clause_id)
        if clause is None:
            errors.append(f"There is no clause {clause_id!r}.")
            continue
        reason = _why_not(clause, context)
        if reason is not None:
            errors.append(f"“{clause.title}” cannot be used here: {reason}.")
    for clause in LIBRARY:
        if clause.id in required and clause.id not in seen:
            errors.append(f"“{clause.title}” is required for this group and cannot be removed.")
    return errors


def custom_clause(
    id: str,  # shadows the builtin on purpose: the field is called id everywhere else
    title: str,
    text: str,
    rationale: str = "",
    sources: Sequence[str] = (),
) -> Clause:
    """A practice's own clause. Raises ValueError naming the field that is wrong."""
    if not _CUSTOM_ID_RE.match(id) or len(id) > CUSTOM_ID_MAX_LENGTH:
        raise ValueError(
            f"id: {id!r} is not a custom clause id; use 'custom-' followed by lowercase "
            f"letters, digits and hyphens, at most {CUSTOM_ID_MAX_LENGTH} characters."
        )
    if not title.strip():
        raise ValueError("title: a custom clause needs a title.")
    if not text.strip():
        raise ValueError("text: a custom clause needs text for members to read.")
    if isinstance(sources, str):
        raise ValueError("sources: give a list of source names, not a single string.")
    return Clause(
        id=id,
        title=title.strip(),
        text=text.strip(),
        rationale=rationale.strip(),
        sources=tuple(str(s).strip() for s in sources if str(s).strip()),
        custom=True,
    )

"""Rules where the law decides: third parties, the duty to protect, abuse reports, Part 2.

The law wins over any group policy: a threat against an identifiable person goes to the
potential victim and law enforcement, suspected abuse to protective services, never to the
group; anyone outside the current group needs the member's written authorization, a court
order (a subpoena is not one) or a law that requires or permits telling them.

Where a legal duty or permission and 42 CFR Part 2 meet (a threat or an abuse report in a
substance-use program, without consent or a court order), the engine does not forbid: it
would stop a warning the law may require. It raises the level and asks for a lawyer instead
(``part2.legal-duty``).
"""

from __future__ import annotations

from groupguard.disclosures.engine.rule import Rule, is_, not_

LESLIE = "Leslie, Avoiding Liability Bulletin, Dec 2008"
CAMFT = (
    "CAMFT, Confidentiality and privilege: group, conjoint, family and collateral "
    "therapy issues (2009)"
)
PART2 = ("42 CFR Part 2", "42 CFR Part 2 final rule, FR 2024-02544")
DUTY_TABLES = ("JAAPL duty-to-warn table", "NCSL duty-to-warn chart", "45 CFR 164.512(j)")
EXCEPTIONS = ("APA Ethics Code 4.02", "AAMFT Code of Ethics 2.1")

_THIRD = is_("recipient", "third_party")
_NO_CONSENT = (is_("authorization", False), is_("court_order", False))
_THREAT = is_("danger", "threat_to_identifiable_victim")
_DOCUMENT_REPORT = "Document what you reported, to whom and when."
_US = is_("us_law", True)
STATE_TABLE = "groupguard state table (groupguard/jurisdictions/states)"

LAW_RULES: tuple[Rule, ...] = (
    # --- forbid ------------------------------------------------------------------------------
    Rule(
        "third-party.no-basis",
        "forbid",
        (
            _THIRD,
            *_NO_CONSENT,
            is_("legal_basis", False),
            not_("danger", "threat_to_identifiable_victim"),
            is_("tpo", "none"),
            not_("content", "other_member", "part2_record"),
            not_("content", "other_member", "part2_record"),
            not_("abuse_report", "not_allowed"),
        ),
        "Anyone outside the current group is a third party. Without the member's written "
        "authorization, a court order, or a law that requires or permits telling this "
        "recipient, the disclosure is not permitted.",
        (CAMFT, "AAMFT Code of Ethics 2.2", LESLIE),
        recommendations=(
            "If sharing would help the member, ask for a written authorization that names the "
            "recipient and what may be shared.",
        ),
    ),
    Rule(
        "third-party.subpoena-is-not-an-order",
        "forbid",
        (is_("third_party", "court"), *_NO_CONSENT),
        "A subpoena asks for records; it does not authorize releasing them. Without a court "
        "order or the member's written authorization nothing goes to the court.",
        (CAMFT, "AAMFT Code of Ethics 2.2"),
        recommendations=(
            "Do not ignore a subpoena, and do not release anything on its strength alone: "
            "consult a lawyer or your risk line about answering it and asserting privilege.",
            "Ask the member whether they will authorize the release in writing.",
        ),
    ),
    Rule(
        "part2.needs-consent-or-order",
        "forbid",
        (is_("part2_program", True), _THIRD, *_NO_CONSENT, is_("legal_basis", False)),
        "Records of a 42 CFR Part 2 substance-use program have federal protection of their "
        "own: they leave the program only with the patient's written consent or a qualifying "
        "court order.",
        PART2,
        recommendations=(
            "Ask for written consent that meets Part 2's requirements before sharing anything "
            "that shows the member is in the program.",
        ),
    ),
    Rule(
        "duty-to-protect.not-the-group",
        "forbid",
        (is_("recipient", "group"), _THREAT, not_("said_in", "group_session")),
        "A threat against an identifiable person is handled through the legal channel, the "
        "potential victim and law enforcement. Telling the group protects no one and spreads "
        "it to people who cannot act on it.",
        ("Cal. Civil Code 43.92", "45 CFR 164.512(j)"),
        recommendations=(
            "Assess the threat now; if it is serious, warn the potential victim and law "
            "enforcement as your jurisdiction's duty to protect requires or permits.",
            "Consult a colleague or your risk line, and document the assessment.",
        ),
    ),
    Rule(
        "duty-to-protect.wrong-recipient",
        "forbid",
        (_THREAT, is_("warning_recipient", False), _THIRD, *_NO_CONSENT, is_("legal_basis", False)),
        "The duty to protect is met by warning the potential victim and law enforcement; it "
        "opens no door to anyone else.",
        (*DUTY_TABLES, STATE_TABLE),
        recommendations=("Direct the warning to the potential victim and law enforcement.",),
    ),
    Rule(
        "duty-to-protect.not-whom-the-law-names",
        "forbid",
        (_THREAT, is_("warning_law", "unlisted"), *_NO_CONSENT, _US),
        "Here the law permits a disclosure about a threat only to the people it names, and "
        "this recipient is not one of them; federal privacy law gives way to a state law that "
        "protects the record more.",
        (STATE_TABLE, "45 CFR 160.203(b)", "Tex. Health & Safety Code 611.004(a)(2)"),
        recommendations=(
            "Tell the people your state's law names (see the law it read (below)), such as law "
            "enforcement or medical staff, only what they need to act.",
            "Consult your risk line before any other warning.",
        ),
    ),
    Rule(
        "abuse.not-the-group",
        "forbid",
        (is_("recipient", "group"), is_("protected_victim", True)),
        "Suspected abuse of a child, an elder or a dependent adult goes to the agency the law "
        "names, in a report, never to the group.",
        (STATE_TABLE, *EXCEPTIONS),
        recommendations=("Report it as your state's law says, within the time it allows.",),
    ),
    Rule(
        "abuse-report.not-allowed",
        "forbid",
        (is_("abuse_report", "not_allowed"), is_("abuse_recipient", True), *_NO_CONSENT, _US),
        "Here the law does not let you report this abuse without the member's consent: the "
        "member is an adult who decides whether to report it.",
        (STATE_TABLE,),
        recommendations=(
            "Offer the member help to report, a safety plan and the hotline numbers, and "
            "document that you did.",
        ),
    ),
    Rule(
        "third-party.state-requires-consent",
        "forbid",
        (
            _THIRD,
            is_("state_sharing", "consent_required"),
            *_NO_CONSENT,
            is_("danger", "none"),
            _US,
        ),
        "Federal privacy law would allow this sharing for treatment or payment, but this "
        "state's mental-health records law is stricter and asks for the member's written "
        "consent first; the stricter law wins.",
        (STATE_TABLE, "45 CFR 164.506(c)", "45 CFR 160.203(b)"),
        recommendations=(
            "Ask the member for a written consent that names the recipient and what may be shared.",
        ),
    ),
    Rule(
        "content.hiv-needs-authorization",
        "forbid",
        (
            is_("hiv_rule", "written_authorization"),
            is_("authorization", False),
            is_("court_order", False),
            is_("legal_basis", False),
            _US,
        ),
        "This state's law protects HIV test results apart: they are disclosed only with the "
        "person's specific written authorization, and a group's no-secrets agreement is not "
        "one.",
        (STATE_TABLE,),
        recommendations=(
            "Leave it to the member to tell the group, if and when they choose; for anyone "
            "else, ask for an authorization that names the HIV information.",
        ),
    ),
    Rule(
        "content.other-member-outside",
        "forbid",
        (
            _THIRD,
            is_("content", "other_member"),
            is_("court_order", False),
            is_("duty_basis", False),
        ),
        "It is another member's information: their confidentiality is yours to keep too, and "
        "this member's authorization cannot release it.",
        ("NASW Code of Ethics 1.07(f)", "ACA Code of Ethics B.4.a", CAMFT),
        recommendations=("Share nothing about the other member outside the group.",),
    ),
    Rule(
        "content.minor-consented-care-to-family",
        "forbid",
        (
            _THIRD,
            is_("content", "minor_reproductive_health"),
            is_("third_party", "family"),
            is_("authorization", False),
            is_("danger", "none"),
        ),
        "Where a minor may consent to care on their own, the minor, not the parent, controls "
        "the information about that care.",
        ("45 CFR 164.502(g)(3)", "Cal. Family Code 6925"),
        recommendations=("Ask the minor whether, and what, they want their family told.",),
    ),
    Rule(
        "content.part2-record-outside",
        "forbid",
        (
            _THIRD,
            is_("content", "part2_record"),
            *_NO_CONSENT,
            is_("duty_basis", False),
        ),
        "A record of the member's treatment in a 42 CFR Part 2 program keeps Part 2's "
        "protection wherever it is: it leaves only with consent that meets Part 2 or a "
        "qualifying court order.",
        PART2,
        recommendations=("Ask for consent that meets Part 2's requirements.",),
    ),
    # --- require -----------------------------------------------------------------------------
    Rule(
        "duty-to-protect.mandatory",
        "require",
        (_THREAT, is_("warning_law", "duty"), _US),
        "Here the duty to protect is mandatory: a serious threat of violence against an "
        "identifiable person must be acted on, and telling this recipient is how the law says "
        "the duty is met (the law it read (below) gives the state's trigger and how to discharge "
        "it).",
        (STATE_TABLE, "Tarasoff (1976)", *DUTY_TABLES),
        recommendations=(
            "Act now as your state's law says: the law it read (below) names whom to tell and how.",
            "Share what the warning needs, not the member's history.",
            "Document the threat, your assessment, whom you told and when.",
        ),
    ),
    Rule(
        "abuse-report.mandatory",
        "require",
        (
            is_("abuse_report", "mandatory"),
            is_("third_party", "protective_services"),
            _US,
        ),
        "Here you are a mandated reporter of this abuse: the report goes to the agency the law "
        "names, within the time it sets (the law it read (below) says which and how fast).",
        (STATE_TABLE, *EXCEPTIONS),
        recommendations=(
            "Report within the time your state's law sets (see the law it read (below)).",
            _DOCUMENT_REPORT,
        ),
    ),
    # --- permit ------------------------------------------------------------------------------
    Rule(
        "third-party.authorized",
        "permit",
        (_THIRD, is_("authorization", True)),
        "The member's written authorization covers this disclosure, so it may go to this "
        "recipient, within what the authorization names.",
        ("45 CFR 164.508", CAMFT),
        recommendations=(
            "Share only what the authorization names, with the recipient it names.",
            "Psychotherapy notes, notes of group sessions included, need an authorization "
            "that names them specifically.",
        ),
    ),
    Rule(
        "third-party.court-order",
        "permit",
        (_THIRD, is_("court_order", True), is_("authorization", False)),
        "A court order can require disclosure without the member's authorization (a subpoena "
        "cannot).",
        (CAMFT, *EXCEPTIONS),
        floor="elevated",
        recommendations=(
            "Release only what the order requires, to whom it names.",
            "Whether a court must respect what is said in group depends on the state, and "
            "privilege can be lost: ask a lawyer whether to assert it before releasing.",
        ),
    ),
    Rule(
        "duty-to-protect.permitted",
        "permit",
        (_THREAT, is_("warning_law", "allowed"), is_("duty_to_protect", "permissive"), _US),
        "Here the law permits, but does not require, a disclosure to protect an identifiable "
        "person, to the people it names; federal privacy law also allows a good-faith "
        "disclosure to someone able to lessen a serious, imminent threat.",
        (STATE_TABLE, "45 CFR 164.512(j)"),
        floor="elevated",
        recommendations=(
            "Decide with a consultation whether to warn, and document the decision either way.",
            "If you warn, tell only what the warning needs.",
        ),
    ),
    Rule(
        "duty-to-protect.beyond-the-duty",
        "permit",
        (_THREAT, is_("warning_law", "allowed"), is_("duty_to_protect", "mandatory"), _US),
        "The mandatory duty here is met by telling others (the law it read (below) names them); "
        "telling this recipient as well is allowed where it can lessen a serious, imminent "
        "threat.",
        (STATE_TABLE, "45 CFR 164.512(j)"),
        floor="elevated",
        recommendations=("Make sure the people the duty names are told first.",),
    ),
    Rule(
        "duty-to-protect.beyond-the-state-s-list",
        "permit",
        (_THREAT, is_("warning_law", "beyond"), _US),
        "This state's law permits a disclosure about a threat to others than this recipient. "
        "Federal privacy law allows a good-faith disclosure to anyone able to lessen a serious, "
        "imminent threat, but whether the state's law leaves room for it here is not settled "
        "by the state table.",
        (STATE_TABLE, "45 CFR 164.512(j)"),
        floor="high",
        recommendations=(
            "Prefer the people your state's law names (see the law it read (below)); check with "
            "your risk line before telling anyone else.",
        ),
    ),
    Rule(
        "duty-to-protect.states-conflict",
        "permit",
        (_THREAT, is_("warning_law", "conflict"), _US),
        "The two states whose law applies disagree: one makes the warning to this recipient "
        "the way to meet its duty, the other allows a disclosure about a threat only to "
        "others. Which law governs is a question for a lawyer, and it cannot wait.",
        (STATE_TABLE, "45 CFR 164.512(j)"),
        floor="high",
        recommendations=(
            "Call your risk line or a lawyer now; meanwhile tell the people both states allow "
            "(see the law it read (below)).",
        ),
    ),
    Rule(
        "duty-to-protect.check-state",
        "permit",
        (_THREAT, is_("warning_recipient", True), is_("duty_to_protect", "unknown", "none"), _US),
        "The state table does not settle this state's duty to protect: most states make "
        "acting on a serious threat mandatory, some only permit it. Federal privacy law allows "
        "a good-faith disclosure to someone able to lessen a serious, imminent threat.",
        (STATE_TABLE, *DUTY_TABLES),
        floor="high",
        recommendations=(
            "A warning may be required: check your state's law today, with your risk line or "
            "a lawyer.",
            "Document the decision either way.",
        ),
    ),
    Rule(
        "abuse-report.permitted",
        "permit",
        (is_("abuse_report", "permitted"), is_("abuse_recipient", True), _US),
        "Here the law permits, but does not require, a report of this abuse.",
        (STATE_TABLE,),
        floor="elevated",
        recommendations=(
            "Where the member is an adult who can decide, ask for their consent first.",
            _DOCUMENT_REPORT,
        ),
    ),
    Rule(
        "abuse-report.police",
        "permit",
        (is_("abuse_report", "mandatory"), is_("third_party", "law_enforcement"), _US),
        "Law enforcement is one of the legal channels for suspected abuse; in most states the "
        "mandated report goes to protective services.",
        (STATE_TABLE, *EXCEPTIONS),
        floor="elevated",
        recommendations=("Make sure the report the law requires is made as well.",),
    ),
    Rule(
        "abuse-report.check-state",
        "permit",
        (is_("abuse_report", "unknown"), is_("abuse_recipient", True), _US),
        "The state table does not settle whether this abuse must, may or may not be reported here.",
        (STATE_TABLE, *EXCEPTIONS),
        floor="high",
        recommendations=(
            "A report may be required: check your state's law today, with your risk line or "
            "a lawyer.",
        ),
    ),
    Rule(
        "third-party.treatment-coordination",
        "permit",
        (
            _THIRD,
            is_("tpo", "treatment"),
            is_("state_sharing", "permitted", "limited"),
            is_("part2_program", False),
            _US,
        ),
        "Sharing with another provider for the member's treatment (their psychiatrist, their "
        "physician) needs no authorization under federal privacy law, and this state's law "
        "allows it too (within the limits the law it read (below) names).",
        ("45 CFR 164.506(c)", STATE_TABLE),
        recommendations=(
            "Psychotherapy notes, notes of group sessions included, still need an "
            "authorization that names them.",
            "Tell the member you coordinate with their other providers.",
        ),
    ),
    Rule(
        "third-party.payment",
        "permit",
        (
            _THIRD,
            is_("tpo", "payment"),
            is_("state_sharing", "permitted", "limited"),
            is_("part2_program", False),
            _US,
        ),
        "A claim to the member's health plan needs no authorization under federal privacy law, "
        "and this state's law allows it too; only what the claim needs goes.",
        ("45 CFR 164.506(c)", "45 CFR 164.502(b)", STATE_TABLE),
        recommendations=(
            "Send only what the claim needs, never psychotherapy notes.",
            "A member who pays in full out of pocket may ask that nothing go to the plan "
            "(45 CFR 164.522(a)(1)(vi)).",
        ),
    ),
    Rule(
        "third-party.check-state-records",
        "permit",
        (
            _THIRD,
            not_("tpo", "none"),
            is_("state_sharing", "unknown"),
            is_("authorization", False),
            is_("part2_program", False),
            is_("danger", "none"),
            _US,
        ),
        "Federal privacy law allows sharing for treatment, payment and operations without "
        "authorization, but whether this state's mental-health records law asks for consent "
        "first is not settled by the state table.",
        ("45 CFR 164.506(c)", STATE_TABLE),
        floor="high",
        recommendations=(
            "Check your state's mental-health records law before sharing, or ask the member "
            "for a written consent, which settles it everywhere.",
        ),
    ),
    Rule(
        "danger-to-self.lessen-threat",
        "permit",
        (
            is_("danger", "danger_to_self"),
            is_("third_party", "family", "other_provider", "law_enforcement"),
        ),
        "When a member is a danger to themselves, a good-faith disclosure to someone able to "
        "lessen a serious, imminent threat is permitted, and the ethics codes name danger to "
        "self among the limits of confidentiality.",
        ("45 CFR 164.512(j)", *EXCEPTIONS),
        floor="elevated",
        recommendations=(
            "Share only what helps lessen the threat.",
            "Document why you believed the threat serious and imminent.",
        ),
    ),
    # --- raise -------------------------------------------------------------------------------
    Rule(
        "jurisdiction.not-modelled",
        "raise",
        (is_("us_law", False), not_("danger", "none"), is_("recipient", "third_party")),
        "The engine models US law only; what the law requires or permits where you practise "
        "is not something it can tell you.",
        (STATE_TABLE,),
        points=1,
        floor="high",
        recommendations=("Check the law where you practise with a lawyer or your association.",),
    ),
    Rule(
        "jurisdiction.not-modelled-abuse",
        "raise",
        (is_("us_law", False), not_("abuse", "none")),
        "The engine models US law only; whether this abuse must be reported where you "
        "practise is not something it can tell you.",
        (STATE_TABLE,),
        points=1,
        floor="high",
        recommendations=("Check your local reporting duties today.",),
    ),
    Rule(
        "duty-to-protect.made-in-group",
        "raise",
        (is_("recipient", "group"), _THREAT, is_("said_in", "group_session")),
        "The threat was made in session, so the group already heard it and may work on it; "
        "the duty to protect still runs through the legal channel, not through the group.",
        (STATE_TABLE, "45 CFR 164.512(j)"),
        points=2,
        floor="elevated",
        recommendations=(
            "Assess the threat now and warn or report as your state's law requires, whatever "
            "the group does with it.",
        ),
    ),
    Rule(
        "content.hiv-unsettled",
        "raise",
        (is_("hiv_rule", "unknown"), is_("authorization", False)),
        "Most states protect HIV test results apart, often asking for a specific written "
        "authorization; the state table does not settle this state's rule.",
        (STATE_TABLE, "Cal. Health & Safety Code 120980"),
        points=2,
        floor="high",
        recommendations=("Check your state's HIV confidentiality law before sharing it.",),
    ),
    Rule(
        "content.other-member-in-group",
        "raise",
        (is_("recipient", "group"), is_("content", "other_member")),
        "What a member told you about another member is the other member's story too.",
        ("NASW Code of Ethics 1.07(f)", "ACA Code of Ethics B.4.a"),
        points=3,
        floor="elevated",
        recommendations=("Leave the other member's part out, or let them speak for themselves.",),
    ),
    Rule(
        "content.genetic",
        "raise",
        (is_("content", "genetic"),),
        "Genetic test results have laws of their own in many states (California's asks for a "
        "written authorization) and say something about the member's relatives too.",
        ("Cal. Civil Code 56.17", "GINA (Genetic Information Nondiscrimination Act, 2008)"),
        points=2,
        floor="elevated",
    ),
    Rule(
        "content.genetic-outside",
        "raise",
        (_THIRD, is_("content", "genetic"), is_("authorization", False)),
        "Outside the group, genetic test results usually need the member's written authorization.",
        ("Cal. Civil Code 56.17",),
        points=2,
        floor="high",
    ),
    Rule(
        "content.minor-consented-care",
        "raise",
        (is_("content", "minor_reproductive_health"),),
        "Care a minor consented to on their own (reproductive health) is theirs to share: the "
        "minor controls that information.",
        ("45 CFR 164.502(g)(3)", "Cal. Family Code 6925"),
        points=3,
        floor="elevated",
        recommendations=("Let the minor decide whether, and how, it comes up.",),
    ),
    Rule(
        "content.part2-record-in-group",
        "raise",
        (is_("recipient", "group"), is_("content", "part2_record")),
        "A record of Part 2 substance-use treatment keeps its federal protection; in group, "
        "let the member tell their own story.",
        PART2,
        points=2,
        floor="elevated",
    ),
    Rule(
        "abuse.partner-violence-in-group",
        "raise",
        (is_("recipient", "group"), is_("abuse", "domestic_violence")),
        "Violence by a partner is the member's own story to tell: raising it in group without "
        "their agreement can shame them and, if it reaches the partner, endanger them.",
        (*EXCEPTIONS, "NASW Code of Ethics 1.07(c)"),
        points=2,
        floor="elevated",
        recommendations=("Ask the member first whether and how they want it brought up.",),
    ),
    Rule(
        "third-party.outside-group",
        "raise",
        (_THIRD,),
        "The recipient is outside the current group: the disclosure leaves the treatment "
        "setting, where the group's own agreement no longer covers it.",
        (LESLIE, CAMFT),
        points=2,
    ),
    Rule(
        "part2.legal-duty",
        "raise",
        (is_("part2_program", True), _THIRD, *_NO_CONSENT, is_("legal_basis", True)),
        "Part 2 protects the records of the member's substance-use treatment, while a duty or "
        "permission to warn or report points to this recipient. Both laws apply, and how they "
        "fit together here is a question for a lawyer.",
        PART2,
        points=3,
        recommendations=(
            "Consult a lawyer or your risk line now, and do not let the consultation delay a "
            "warning or report the law requires.",
            "Share only what the warning or report needs.",
        ),
    ),
    Rule(
        "part2.qualifying-order",
        "raise",
        (is_("part2_program", True), _THIRD, is_("court_order", True), is_("authorization", False)),
        "Part 2 records are released only on a qualifying court order: an order that does not "
        "meet Part 2's requirements does not release them.",
        PART2,
        points=1,
        recommendations=(
            "Have a lawyer check that the order meets Part 2's requirements before you release "
            "anything.",
        ),
    ),
)

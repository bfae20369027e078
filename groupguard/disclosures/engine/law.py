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

LAW_RULES: tuple[Rule, ...] = (
    # --- forbid ------------------------------------------------------------------------------
    Rule(
        "third-party.no-basis",
        "forbid",
        (_THIRD, *_NO_CONSENT, is_("legal_basis", False)),
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
        (is_("recipient", "group"), _THREAT),
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
        (_THREAT, _THIRD, *_NO_CONSENT, is_("legal_basis", False)),
        "The duty to protect is met by warning the potential victim and law enforcement; it "
        "opens no door to anyone else.",
        ("Cal. Civil Code 43.92", "45 CFR 164.512(j)"),
        recommendations=("Direct the warning to the potential victim and law enforcement.",),
    ),
    Rule(
        "abuse.not-the-group",
        "forbid",
        (is_("recipient", "group"), is_("reportable_abuse", True)),
        "Suspected abuse goes to protective services in a report, never to the group.",
        ("Cal. Penal Code 11166", *EXCEPTIONS),
        recommendations=("Report it to protective services within the time the law allows.",),
    ),
    # --- require -----------------------------------------------------------------------------
    Rule(
        "duty-to-protect.mandatory",
        "require",
        (_THREAT, is_("duty_to_protect", "mandatory"), is_("warning_recipient", True)),
        "Here the duty to protect is mandatory: a serious threat of physical violence against "
        "a reasonably identifiable victim must be acted on, and reasonable efforts to warn the "
        "victim and law enforcement discharge the duty. A threat reported to you by the "
        "member's family counts too.",
        ("Cal. Civil Code 43.92", "Tarasoff (1976)", "Ewing v. Goldstein (2004)"),
        recommendations=(
            "Warn the potential victim and law enforcement now, with a reasonable effort to "
            "reach both.",
            "Share what the warning needs, not the member's history.",
            "Document the threat, your assessment, whom you warned and when.",
        ),
    ),
    Rule(
        "abuse-report.california",
        "require",
        (
            is_("reportable_abuse", True),
            is_("third_party", "protective_services"),
            is_("jurisdiction", "US-CA"),
        ),
        "California makes practitioners mandated reporters: suspected child abuse is reported "
        "by phone at once and in writing within 36 hours, and elder and dependent-adult abuse "
        "have a reporting duty of their own.",
        ("Cal. Penal Code 11166", "Cal. Welfare and Institutions Code 15630"),
        recommendations=(
            "Phone protective services at once, and send the written report within 36 hours.",
            _DOCUMENT_REPORT,
        ),
    ),
    Rule(
        "abuse-report.mandated",
        "require",
        (
            is_("reportable_abuse", True),
            is_("third_party", "protective_services"),
            not_("jurisdiction", "US-CA"),
        ),
        "Suspected child abuse must be reported to protective services; the ethics codes list "
        "it among the limits of confidentiality. The engine treats the report as required in "
        "every jurisdiction it knows. Its sources cite only California's statute, so check "
        "your state's law for how and how fast.",
        EXCEPTIONS,
        recommendations=(
            "Report to protective services within the time your state's law sets.",
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
        (_THREAT, is_("duty_to_protect", "permissive"), is_("warning_recipient", True)),
        "This state permits, but does not require, a disclosure to protect an identifiable "
        "victim; federal privacy law also allows a good-faith disclosure to someone able to "
        "lessen a serious, imminent threat.",
        DUTY_TABLES,
        floor="elevated",
        recommendations=(
            "Decide with a consultation whether to warn, and document the decision either way.",
            "If you warn, tell the potential victim and law enforcement only what the warning "
            "needs.",
        ),
    ),
    Rule(
        "duty-to-protect.check-state",
        "permit",
        (_THREAT, is_("duty_to_protect", "varies"), is_("warning_recipient", True)),
        "Outside the states in the table the duty to protect varies: most states mandate it, "
        "by statute or case law, some only permit it and a few are silent. Federal privacy law "
        "allows a good-faith disclosure to someone able to lessen a serious, imminent threat.",
        DUTY_TABLES,
        floor="elevated",
        recommendations=(
            "Check your state's duty-to-protect law today: in most states warning is mandatory.",
            "Consult a colleague or your risk line, and document the decision either way.",
        ),
    ),
    Rule(
        "abuse-report.police",
        "permit",
        (is_("reportable_abuse", True), is_("third_party", "law_enforcement")),
        "Law enforcement is one of the legal channels for suspected abuse; the report to "
        "protective services is the one the engine treats as required.",
        EXCEPTIONS,
        floor="elevated",
        recommendations=("Make sure the report to protective services is made as well.",),
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

"""Risk in a contact note: phrases that show a threat to someone, suicidal thoughts, self-harm,
abuse of a child, an elder or a dependent adult, or substance use.

A flag is a suggestion for "may I raise this in group?" (danger to self or others, reportable
abuse, a 42 CFR Part 2 program's substance-use records), never a decision: the facilitator
confirms the facts. These rules give the spans; the model (``model``) catches wording they do
not know. A flag is dropped when the words just before it in the same sentence rule it out
("denies SI/HI", "no thoughts of hurting anyone", "never used").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from groupguard.contacts.detector.features import Needles

_CHILD = (
    r"(?:child|children|kid|kids|son|daughter|baby|toddler|infant|boy|girl|stepson|stepdaughter"
    r"|step-son|step-daughter|grandson|granddaughter|niece|nephew|newborn|teen|teenager|minor"
    r"|\d{1,2}[- ]?(?:yo|y/o|year[- ]old))"
)
_ELDER = (
    r"(?:elderly|older|aging|ageing|aged|old|senior|\d{2}[- ]?(?:yo|y/o|year[- ]old))"
    r" (?:mother|mom|father|dad|parent|parents|neighbor|neighbour|aunt|uncle|woman|man|lady"
    r"|relative|grandmother|grandfather)|(?:grandmother|grandfather|grandma|grandpa|nana"
    r"|elderly [a-z]+|nursing home resident|my (?:mom|dad) with dementia)"
)
_DEPENDENT = (
    r"(?:(?:disabled|developmentally disabled|intellectually disabled|non-?verbal|bedbound"
    r"|bedridden|paralyzed|wheelchair[- ]bound|autistic) (?:adult|brother|sister|son|daughter"
    r"|cousin|resident|client|man|woman|roommate)|dependent adult|adult (?:son|daughter|brother"
    r"|sister) with (?:a disability|autism|down syndrome|cerebral palsy|an intellectual"
    r" disability)|group home resident|resident(?:s)? (?:at|of|in) (?:the|a|her|his) group home"
    r"|(?:her|his|their) (?:brother|sister|son|daughter) who (?:can't|cannot) care for"
    r" (?:himself|herself|themselves))"
)
_HURT = (
    r"(?:hit|hits|hitting|beat|beats|beating|beaten|slapped|slaps|punched|punches|kicked|kicks"
    r"|choked|chokes|shoved|shoves|pushed|burned|burnt|bruised|whipped|smacked|hurt|hurts|hurting"
    r"|abused|abuses|abusing|molested|molests|neglected|neglects|neglecting|starved|locked"
    r"|tied up|threw|throws|left alone|yelled at and hit|touched)"
)
_NEGATION = re.compile(
    r"(?:\b(?:den(?:y|ies|ied|ying)|no|not|negative for|without|never|ruled out|rules out"
    r"|free of|absence of|nor|n't|-)\s+(?:[\w/+-]+\s+){0,4}|\bno\b[^.;!?]{0,30})\Z"
)

# The patterns' sources; compiled on first use (``patterns``), so importing is cheap.
_SOURCES: dict[str, str] = {
    "suicide": (
        r"\b(?:suicid\w*|kill(?:ing)? (?:my|her|him|them)sel(?:f|ves)|end(?:ing|ed)? (?:my|her|his"
        r"|their) (?:own )?life|end it all|take (?:my|her|his|their) (?:own )?life"
        r"|better off dead|(?:want|wants|wanted|wanting) to die|wish(?:es|ed)? (?:i|she|he|they)"
        r" (?:was|were) dead|(?:not|never) (?:to )?wak(?:e|ing) up|no reason to live"
        r"|(?:don't|doesn't|didn't) want to (?:live|be alive|be here anymore|go on)"
        r"|(?:\+|endorse[sd]?|reports?|reported|passive|active|with|w/) ?si\b|\bsi (?:with|w/|w/o"
        r"|without) (?:a )?plan|overdos(?:e|ing) on purpose|hang(?:ing)? (?:my|her|him|them)sel(?:f"
        r"|ves)|jump(?:ing)? off (?:a|the) (?:bridge|roof)|giving (?:her|his|their|my) things away)"
    ),
    "self_harm": (
        r"\b(?:self[- ]?harm\w*|self[- ]?injur\w*|nssi|cut(?:s|ting)? (?:my|her|him|them)sel(?:f"
        r"|ves)|cut(?:ting)? (?:on )?(?:my|her|his|their) (?:arms?|wrists?|legs?|thighs?|stomach)"
        r"|(?:started|is|was|been|began) cutting(?: again)?|cutting again|burn(?:s|ed|ing)?"
        r" (?:my|her|him|them)sel(?:f|ves)|hurt(?:s|ing)? (?:my|her|him|them)sel(?:f|ves)"
        r"|hit(?:s|ting)? (?:my|her|him|them)sel(?:f|ves)"
        r"|scratch(?:es|ed|ing)? (?:my|her|his|their)"
        r" (?:skin|arms?) (?:raw|until)|urges? to (?:cut|self[- ]harm|hurt (?:my|her|him)self))"
    ),
    "threat": (
        r"\b(?:(?:going to|gonna|will|want(?:s|ed)? to|plan(?:s|ned|ning)? to|threaten(?:s|ed)?"
        r" to|thinking (?:about|of)|fantasi[sz](?:es|ed|ing) about) (?:kill(?:ing)?|hurt(?:ing)?"
        r"|shoot(?:ing)?|stab(?:bing)?|beat(?:ing)?(?: up)?|strangl(?:e|ing)"
        r"|run(?:ning)? (?:him|her"
        r"|them) over|get(?:ting)? (?:back at|even with)|mak(?:e|ing) (?:him|her|them) pay"
        r"|hunt(?:ing)? (?:him|her|them) down)(?! (?:my|her|him|them)sel(?:f|ves))"
        r"|homicidal|(?:\+|endorse[sd]?|reports?|with|w/) ?hi\b|\bhi (?:toward|towards|re|against)"
        r"|threat(?:s|ened)? (?:to|against) (?:kill|hurt|harm)|bought a (?:gun|knife) (?:to|for)"
        r"|(?:kill|hurt|shoot) (?:him|her|them|my ex|his ex|her ex|my boss|the boss) if)"
    ),
    "child_abuse": (
        rf"\b(?:{_HURT}\b[^.;!?]{{0,25}}\b(?:(?:my|her|his|their|the|a) )?{_CHILD}\b"
        rf"|\b(?:my|her|his|their|the|a) {_CHILD}\b[^.;!?]{{0,25}}\b(?:was|is|were|got|gets|been)"
        rf" {_HURT}\b|child (?:abuse|neglect|maltreatment)|bruises on (?:my|her|his|their|the)"
        rf" {_CHILD}|(?:sexually|physically) abus\w+ (?:a |my |her |his |their )?{_CHILD}"
        rf"|cps (?:report|case|call))"
    ),
    "elder_abuse": (
        rf"\b(?:{_HURT}\b[^.;!?]{{0,25}}\b(?:(?:my|her|his|their|the|an|a) )?(?:{_ELDER})\b"
        rf"|(?:{_ELDER})\b[^.;!?]{{0,30}}\b(?:was|is|were|got|gets|been|being) {_HURT}\b"
        rf"|elder (?:abuse|neglect)|(?:taking|took|stealing|stole|takes|drained|draining|cashing)"
        rf" (?:money |checks |pension |savings |social security )?(?:from|out of)? ?(?:(?:my|her"
        rf"|his|their) )?(?:{_ELDER})(?:'s)?(?: (?:account|savings|checks|pension|social"
        rf" security|money))?)"
    ),
    "dependent_adult_abuse": (
        rf"\b(?:{_HURT}\b[^.;!?]{{0,25}}\b(?:(?:my|her|his|their|the|a) )?{_DEPENDENT}"
        rf"|{_DEPENDENT}\b[^.;!?]{{0,30}}\b(?:was|is|were|got|gets|been|being) {_HURT}\b"
        rf"|dependent adult (?:abuse|neglect)|(?:taking|took|stealing|stole|keeps|kept) (?:the )?"
        rf"(?:money|disability checks?|ssi checks?|benefits) (?:of|from) (?:(?:my|her|his|their)"
        rf" )?{_DEPENDENT})"
    ),
    "substance_use": (
        r"\b(?:relaps(?:e|ed|es|ing)|drinking again|(?:been|started|was|is|kept) drinking"
        r"|drank (?:a|two|three|a lot|heavily|until|all)|got drunk|was drunk|blackout drunk|binge"
        r" drinking|binged on|using again|(?:used|using|uses|smoked|snorted|shot up|injected|took)"
        r" (?:some )?(?:meth|heroin|coke|cocaine|crack|fentanyl|opioids|oxy\w*|percs?|xanax"
        r"|benzos|pills|weed|marijuana|molly|ecstasy|dope|speed|k2|spice)|high on|overdos(?:e|ed"
        r"|ing)\b|\bod'?d|\bdui\b|\bdwi\b"
        r"|positive (?:uds|tox(?:icology)? screen|drug (?:test|screen)"
        r"|breathalyzer|for (?:thc|opiates|cocaine|meth|alcohol|fentanyl))|hungover|withdrawal"
        r" (?:symptoms|from)|detox)\b"
    ),
}
RISK_EXPLANATIONS: dict[str, str] = {
    "threat": "a threat or intent to harm another person",
    "suicide": "suicidal thoughts, a wish to die or a plan",
    "self_harm": "self-harm: cutting, burning or other injury to oneself",
    "child_abuse": "possible abuse or neglect of a child",
    "elder_abuse": "possible abuse, neglect or exploitation of an older adult",
    "dependent_adult_abuse": "possible abuse, neglect or exploitation of a dependent adult",
    "substance_use": "substance use (in a 42 CFR Part 2 program, these records need the "
    "member's written consent)",
}


@cache
def patterns() -> dict[str, re.Pattern[str]]:
    """Each risk kind's compiled pattern (compiled once, on first use: ``groupguard detect``
    need not pay for them before it reads a note)."""
    return {kind: re.compile(source) for kind, source in _SOURCES.items()}


@dataclass(frozen=True)
class RiskMatch:
    kind: str
    start: int
    end: int


# Word pieces a kind's pattern cannot match without: a note with none of them skips it.
_NEEDS: dict[str, tuple[str, ...]] = {
    "suicide": ("suicid", "kill", "life", "end it", "dead", "die", "wak", "live", "si",
                "overdos", "hang", "jump", "giving"),
    "self_harm": ("self", "nssi", "cut", "burn", "hurt", "hit", "scratch"),
    "threat": ("kill", "hurt", "shoot", "stab", "beat", "strangl", "run", "get", "mak", "hunt",
               "homicid", "hi", "threat", "gun", "knife"),
    "child_abuse": ("child", "kid", "son", "daughter", "baby", "toddler", "infant", "boy", "girl",
                    "grand", "niece", "nephew", "newborn", "teen", "minor", "yo", "y/o", "year",
                    "cps"),
    "elder_abuse": ("elder", "older", "aging", "ageing", "aged", "old", "senior", "grand", "nana",
                    "nursing", "dementia", "yo", "y/o", "year"),
    "dependent_adult_abuse": ("disab", "verbal", "bed", "paraly", "wheelchair", "autis",
                              "dependent", "group home", "care for"),
    "substance_use": ("relaps", "drink", "drank", "drunk", "binge", "using", "used", "uses",
                      "smoked", "snorted", "shot", "inject", "took", "high", "overdos", "od",
                      "dui", "dwi", "positive", "hungover", "withdrawal", "detox"),
}  # fmt: skip


_PIECES = {kind: frozenset(pieces) for kind, pieces in _NEEDS.items()}
_ALL_PIECES = frozenset().union(*_PIECES.values())
_PIECE_FINDER = Needles(_ALL_PIECES)


def risk_matches(lowered: str, sentences: list[tuple[int, int]]) -> list[RiskMatch]:
    """Each risk phrase in ``lowered`` (the lower-cased, normalised note) that the words just
    before it in its sentence do not rule out. Each pattern runs only on the sentences that
    hold one of its word pieces (``_NEEDS``)."""
    out = []
    spans = sentences or [(0, len(lowered))]
    present = [(s, e, _PIECE_FINDER.present(lowered[s:e])) for s, e in spans]
    for kind, pattern in patterns().items():
        pieces = _PIECES[kind]
        for begin, stop, held in present:
            if held.isdisjoint(pieces):
                continue
            for found in pattern.finditer(lowered, begin, stop):
                start = found.start()
                if _NEGATION.search(lowered, max(begin, start - 60), start):
                    continue
                out.append(RiskMatch(kind, start, found.end()))
    return out
